#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CSmolKernels
import Foundation

/// How many CPUs this process may actually use: the online CPUs, narrowed by its CPU affinity (`taskset`,
/// container cpusets) and by a cgroup CPU quota (`docker --cpus`, Kubernetes limits), whichever is smallest.
///
/// `sysconf(_SC_NPROCESSORS_ONLN)` alone counts every CPU of the host, so a container limited to two CPUs
/// on a 64-core machine would start 64 threads that the kernel then throttles.
public enum ProcessorBudget {
    /// The CPUs this process may use, at least 1.
    public static var available: Int {
        let online = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
        var budget = online
        if let affinity = affinityCount() { budget = min(budget, affinity) }
        if let quota = cgroupQuota() { budget = min(budget, quota) }
        return max(1, budget)
    }

    /// The CPUs in the calling thread's affinity mask (Linux), or `nil` where there is none to read.
    public static func affinityCount() -> Int? {
        let count = Int(csk_affinity_cpu_count())
        return count > 0 ? count : nil
    }

    /// The CPU quota of this process's cgroup, rounded up to whole CPUs, or `nil` when it has none.
    ///
    /// Reads cgroup v2's `cpu.max` (`"quota period"` or `"max period"`), else v1's `cpu.cfs_quota_us` and
    /// `cpu.cfs_period_us` (quota `-1` is no limit), under `root`.
    public static func cgroupQuota(root: String = "/sys/fs/cgroup") -> Int? {
        if let text = try? String(contentsOfFile: root + "/cpu.max", encoding: .utf8) {
            return quota(cpuMax: text)
        }
        for folder in [root + "/cpu", root + "/cpu,cpuacct", root] {
            guard let quota = try? String(contentsOfFile: folder + "/cpu.cfs_quota_us", encoding: .utf8),
                  let period = try? String(contentsOfFile: folder + "/cpu.cfs_period_us", encoding: .utf8)
            else { continue }
            return self.quota(quota: quota, period: period)
        }
        return nil
    }

    /// Whole CPUs allowed by cgroup v2's `cpu.max` text, `nil` for `max` (no limit) or text it cannot read.
    public static func quota(cpuMax text: String) -> Int? {
        let fields = text.split(whereSeparator: \.isWhitespace)
        guard fields.count == 2, fields[0] != "max" else { return nil }
        return quota(quota: String(fields[0]), period: String(fields[1]))
    }

    /// Whole CPUs allowed by a quota and a period in microseconds (rounded up), `nil` for no limit.
    static func quota(quota: String, period: String) -> Int? {
        guard let quota = Int(quota.trimmingCharacters(in: .whitespacesAndNewlines)),
              let period = Int(period.trimmingCharacters(in: .whitespacesAndNewlines)), quota > 0, period > 0
        else { return nil }
        return max(1, (quota + period - 1) / period)
    }
}
