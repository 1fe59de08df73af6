#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing

@testable import SmolLocal

@Suite("The CPUs a process may use")
struct ProcessorBudgetTests {
    @Test("cgroup v2 cpu.max: 'max' is no limit, a quota rounds up to whole CPUs, anything else is ignored")
    func cpuMax() {
        #expect(ProcessorBudget.quota(cpuMax: "max 100000\n") == nil)
        #expect(ProcessorBudget.quota(cpuMax: "150000 100000\n") == 2)
        #expect(ProcessorBudget.quota(cpuMax: "100000 100000") == 1)
        #expect(ProcessorBudget.quota(cpuMax: "50000 100000") == 1)
        #expect(ProcessorBudget.quota(cpuMax: "800000 100000") == 8)
        for text in ["", "100000", "abc 100000", "-1 100000", "100000 0"] {
            #expect(ProcessorBudget.quota(cpuMax: text) == nil, "\(text)")
        }
    }

    @Test("a cgroup folder's quota is read from cpu.max (v2), else cpu.cfs_quota_us / cpu.cfs_period_us (v1)")
    func cgroupFolders() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cgroup-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/cpu", withIntermediateDirectories: true)
        #expect(ProcessorBudget.cgroupQuota(root: root) == nil)
        try "-1\n".write(toFile: root + "/cpu/cpu.cfs_quota_us", atomically: true, encoding: .utf8)
        try "100000\n".write(toFile: root + "/cpu/cpu.cfs_period_us", atomically: true, encoding: .utf8)
        #expect(ProcessorBudget.cgroupQuota(root: root) == nil, "quota -1 is no limit")
        try "250000\n".write(toFile: root + "/cpu/cpu.cfs_quota_us", atomically: true, encoding: .utf8)
        #expect(ProcessorBudget.cgroupQuota(root: root) == 3)
        try "200000 100000\n".write(toFile: root + "/cpu.max", atomically: true, encoding: .utf8)
        #expect(ProcessorBudget.cgroupQuota(root: root) == 2, "v2 wins where both exist")
    }

    #if os(Linux)
    @Test("the affinity count is what Python's os.sched_getaffinity sees for the same mask")
    func affinityMatchesPython() throws {
        // A child process inherits this process's affinity mask, so both must count the same CPUs.
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import os; print(len(os.sched_getaffinity(0)))"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "python3 is the oracle here")
        let python = Int(String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(ProcessorBudget.affinityCount() == python)
    }
    #endif

    @Test("the budget is at least one CPU and never more than the online CPUs, affinity or quota")
    func budgetBounds() {
        let available = ProcessorBudget.available
        let online = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        #expect(available >= 1 && available <= online)
        if let affinity = ProcessorBudget.affinityCount() { #expect(available <= affinity) }
        if let quota = ProcessorBudget.cgroupQuota() { #expect(available <= quota) }
        #expect(KernelThreads.defaultCount == min(available, 16))
    }
}

@Suite("Physical cores")
struct PhysicalCoreTests {
    @Test("a kernel CPU list reads ranges and single CPUs; malformed lists are nil")
    func cpuLists() {
        #expect(ProcessorBudget.cpuList("0-3,8,10-11\n") == [0, 1, 2, 3, 8, 10, 11])
        #expect(ProcessorBudget.cpuList("5") == [5])
        #expect(ProcessorBudget.cpuList("3-1") == nil)
        #expect(ProcessorBudget.cpuList("a-b") == nil)
        #expect(ProcessorBudget.cpuList("") == nil)
    }

    @Test("hyper-thread siblings count once; a CPU without topology makes the count unknown")
    func siblingsCountOnce() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("cpus-\(UUID().uuidString)").path
        // cpu0 and cpu2 share core 0, cpu1 and cpu3 share core 1 (the usual Linux numbering of siblings).
        for (cpu, core) in [(0, 0), (1, 1), (2, 0), (3, 1)] {
            let folder = root + "/cpu\(cpu)/topology"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try "\(core)\n".write(toFile: folder + "/core_id", atomically: true, encoding: .utf8)
            try "0\n".write(toFile: folder + "/physical_package_id", atomically: true, encoding: .utf8)
        }
        #expect(ProcessorBudget.physicalCores(root: root, allowed: [0, 1, 2, 3]) == 2)
        #expect(ProcessorBudget.physicalCores(root: root, allowed: [0, 2]) == 1)  // affinity to one core's siblings
        #expect(ProcessorBudget.physicalCores(root: root, allowed: [0, 7]) == nil)
        let here = try #require(ProcessorBudget.physicalCores())
        #expect(here >= 1 && here <= ProcessorBudget.available * 2)
        #expect(KernelThreads.defaultCount <= ProcessorBudget.available)
    }
}
