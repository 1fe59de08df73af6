import CSmolKernels
import Foundation
import Testing

@Suite("CPU feature detection")
struct CPUFeatureTests {
    /// The kernel lists in /proc/cpuinfo only the features the CPU has *and* the OS has enabled (it clears the
    /// AVX-512 flags when XSAVE does not cover their registers), which is exactly what the kernels may use.
    @Test("the features reported and the kernel family chosen are exactly what /proc/cpuinfo lists")
    func featuresMatchTheOperatingSystem() throws {
        let features = csk_cpu_features()
        #if arch(x86_64) && os(Linux)
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let line = try #require(cpuinfo.split(separator: "\n").first { $0.hasPrefix("flags") })
        let flags = Set(line.split(separator: ":", maxSplits: 1).last?.split(separator: " ").map(String.init) ?? [])
        try #require(flags.contains("sse2"), "the flags line was not parsed: \(line.prefix(80))")
        let named: [(UInt32, String)] = [
            (UInt32(CSK_CPU_AVX2), "avx2"), (UInt32(CSK_CPU_FMA), "fma"),
            (UInt32(CSK_CPU_F16C), "f16c"), (UInt32(CSK_CPU_AVX512F), "avx512f"),
            (UInt32(CSK_CPU_AVX512BF16), "avx512_bf16"),
        ]
        for (bit, flag) in named {
            #expect((features & bit != 0) == flags.contains(flag), "\(flag): reported \(features & bit != 0)")
        }
        let avx2 = flags.isSuperset(of: ["avx2", "fma", "f16c"])
        let expected = avx2 && flags.contains("avx512f") ? CSK_ISA_AVX512 : avx2 ? CSK_ISA_AVX2 : CSK_ISA_SCALAR
        #expect(Int(csk_best_isa()) == expected)
        #elseif arch(x86_64)
        // Without /proc/cpuinfo, at least the implication the dispatcher relies on.
        if features & UInt32(CSK_CPU_AVX512F) != 0 { #expect(features & UInt32(CSK_CPU_AVX2) != 0) }
        #elseif arch(arm64)
        // Advanced SIMD is in every AArch64 CPU; the optional features are checked under qemu per CPU model
        // (scripts/test-arm64.sh).
        #expect(features & UInt32(CSK_CPU_NEON) != 0)
        #expect(Int(csk_best_isa()) == CSK_ISA_NEON)
        #expect(csk_isa_supported(Int32(CSK_ISA_AVX2)) == 0)
        #else
        #expect(features == 0)
        #expect(Int(csk_best_isa()) == CSK_ISA_SCALAR)
        #endif
    }
}
