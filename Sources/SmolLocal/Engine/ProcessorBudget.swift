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

    /// The physical cores among the CPUs this process may run on (distinct package and core ids in sysfs
    /// topology), or nil where the topology cannot be read. Two hyper-threads of one core share its
    /// execution units and caches, and decoding is bound by memory bandwidth, so llama.cpp defaults to
    /// physical cores; this engine does the same.
    public static func physicalCores(root: String = "/sys/devices/system/cpu", allowed: [Int]? = allowedCPUs()) -> Int? {
        guard let allowed, !allowed.isEmpty else { return nil }
        var cores = Set<String>()
        for cpu in allowed {
            let folder = root + "/cpu\(cpu)/topology/"
            guard let core = try? String(contentsOfFile: folder + "core_id", encoding: .utf8),
                  let package = try? String(contentsOfFile: folder + "physical_package_id", encoding: .utf8)
            else { return nil }
            cores.insert(package.trimmingCharacters(in: .whitespacesAndNewlines) + ":" + core.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return cores.count
    }

    /// The performance cores on Apple silicon (`hw.perflevel0.physicalcpu`), nil elsewhere (and on Intel Macs,
    /// which have no performance levels). Apple has no sysfs topology for ``physicalCores(root:allowed:)``, and
    /// a thread on an efficiency core finishes its share of a matrix product last, holding up every region.
    public static func performanceCores() -> Int? {
        #if canImport(Darwin)
        var value: Int32 = 0
        var size = MemoryLayout<Int32>.size
        guard sysctlbyname("hw.perflevel0.physicalcpu", &value, &size, nil, 0) == 0, value > 0 else { return nil }
        return Int(value)
        #else
        return nil
        #endif
    }

    /// The CPUs this process may run on (`Cpus_allowed_list` of /proc/self/status), or nil where unknown.
    public static func allowedCPUs(status: String = "/proc/self/status") -> [Int]? {
        guard let text = try? String(contentsOfFile: status, encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") })
        else { return nil }
        return cpuList(String(line.dropFirst("Cpus_allowed_list:".count)))
    }

    /// A kernel CPU list (`0-3,8,10-11`) as numbers, nil when malformed.
    static func cpuList(_ text: String) -> [Int]? {
        var cpus: [Int] = []
        for part in text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",") {
            let bounds = part.split(separator: "-").map { Int($0) }
            switch bounds.count {
            case 1:
                guard let only = bounds[0] else { return nil }
                cpus.append(only)
            case 2:
                guard let low = bounds[0], let high = bounds[1], low <= high, high - low < 1 << 16 else { return nil }
                cpus.append(contentsOf: low...high)
            default:
                return nil
            }
        }
        return cpus.isEmpty ? nil : cpus
    }
}
