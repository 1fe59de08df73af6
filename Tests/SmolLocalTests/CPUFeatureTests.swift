import CSmolKernels
import Testing

@Suite("CPU feature detection")
struct CPUFeatureTests {
    @Test("FMA and F16C are only reported together with AVX2 on x86-64")
    func featuresAreConsistent() {
        let features = csk_cpu_features()
        #if arch(x86_64)
        if features & UInt32(CSK_CPU_AVX512F) != 0 {
            #expect(features & UInt32(CSK_CPU_AVX2) != 0)
        }
        #else
        #expect(features == 0)
        #endif
    }
}
