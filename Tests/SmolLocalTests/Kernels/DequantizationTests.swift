import CSmolKernels
import Foundation
import SmolCore
import Testing

/// Kernel families (CSK_ISA_*) this CPU runs: csk_*_isa silently caps an unsupported one to the best supported,
/// so a test of an unsupported family would re-test another kernel; such tests are disabled (shown as skipped).
enum KernelISA {
    static func supported(_ isa: Int32) -> Bool { csk_isa_supported(isa) != 0 }
}

@Suite("Dequantization and dot kernels against gguf-py")
struct DequantizationTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var type: Int32
        var rowBytes: Int
        var bytes: [UInt8]
        var dequant: [Float]
        var dots: [Double]
        var testDescription: String { name }
    }

    static let rows = 4
    static let cols = 512

    static func load() throws -> (x: [Float], cases: [Case]) {
        let dir = try FixturePaths.fixture("quant-vectors")
        let manifest = try JSONValue(parsing: try FixturePaths.data(dir + "/manifest.json"))
        let x = try FixturePaths.floats(dir + "/x.f32")
        var cases: [Case] = []
        for entry in try #require(manifest["types"]?.arrayValue) {
            let name = try #require(entry["type"]?.stringValue)
            cases.append(Case(
                name: name,
                type: Int32(try #require(entry["ggml_type"]?.intValue)),
                rowBytes: try #require(entry["row_bytes"]?.intValue),
                bytes: [UInt8](try FixturePaths.data(dir + "/" + (try #require(entry["bytes"]?.stringValue)))),
                dequant: try FixturePaths.floats(dir + "/" + (try #require(entry["dequant"]?.stringValue))),
                dots: try #require(entry["dots"]?.arrayValue).compactMap(\.doubleValue)))
        }
        return (x, cases)
    }


    @Test("every type's fixture is present")
    func allTypesPresent() throws {
        let names = Set(try Self.load().cases.map(\.name))
        #expect(names == ["F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q8_0", "Q4_K", "Q6_K",
                          "Q5_1", "Q2_K", "Q3_K", "Q5_K", "IQ4_NL", "IQ4_XS"])
    }

    @Test("row dequantization is bit-identical to gguf-py")
    func dequantizationIsExact() throws {
        let (_, cases) = try Self.load()
        for c in cases {
            #expect(csk_type_supported(c.type) == 1, "\(c.name) unsupported")
            #expect(c.bytes.count == Self.rows * c.rowBytes)
            for r in 0..<Self.rows {
                var out = [Float](repeating: .nan, count: Self.cols)
                c.bytes.withUnsafeBytes { raw in
                    csk_dequantize_row(c.type, raw.baseAddress! + r * c.rowBytes, &out, Int64(Self.cols))
                }
                let expected = Array(c.dequant[(r * Self.cols)..<((r + 1) * Self.cols)])
                let mismatches = zip(out, expected).filter { $0.bitPattern != $1.bitPattern }.count
                #expect(mismatches == 0, "\(c.name) row \(r): \(mismatches) elements differ")
            }
        }
    }

    /// Checks csk_dot_row_isa with `isa` against gguf-py's dots. The C side caps an ISA the CPU lacks to the
    /// best one it has, so callers only run this for a supported `isa` (the tests below are skipped otherwise).
    static func checkFusedDots(isa: Int32, name isaName: String) throws {
        try #require(Int(csk_best_isa()) >= Int(isa), "\(isaName) is not supported here: this would test another kernel")
        let (x, cases) = try load()
        #expect(!cases.isEmpty)
        for c in cases {
            for r in 0..<rows {
                let got = c.bytes.withUnsafeBytes { raw in
                    csk_dot_row_isa(isa, c.type, raw.baseAddress! + r * c.rowBytes, x, Int64(cols))
                }
                let want = c.dots[r]
                let scale = zip(c.dequant[(r * cols)..<((r + 1) * cols)], x).reduce(0.0) { $0 + abs(Double($1.0 * $1.1)) }
                #expect(abs(Double(got) - want) <= 2e-6 * scale + 1e-7, "\(isaName) \(c.name) row \(r): \(got) vs \(want)")
            }
        }
    }

    @Test("fused dot products match dot(dequantized row, x) with the scalar kernels")
    func fusedDotMatchesScalar() throws {
        try Self.checkFusedDots(isa: Int32(CSK_ISA_SCALAR), name: "scalar")
    }

    @Test("fused dot products match dot(dequantized row, x) with the AVX2 kernels",
          .enabled(if: KernelISA.supported(Int32(CSK_ISA_AVX2)), "the CPU has no AVX2 (FMA, F16C)"))
    func fusedDotMatchesAVX2() throws {
        try Self.checkFusedDots(isa: Int32(CSK_ISA_AVX2), name: "avx2")
    }

    @Test("fused dot products match dot(dequantized row, x) with the AVX-512 kernels",
          .enabled(if: KernelISA.supported(Int32(CSK_ISA_AVX512)), "the CPU has no AVX-512"))
    func fusedDotMatchesAVX512() throws {
        try Self.checkFusedDots(isa: Int32(CSK_ISA_AVX512), name: "avx512")
    }

    @Test("the multi-threaded matmul agrees with per-row dots for one and several tokens")
    func matmulMatchesRows() throws {
        let (x, cases) = try Self.load()
        let tokens = 5  // one 4-token block plus a remainder
        var xs = [Float]()
        for t in 0..<tokens { xs += x.map { $0 * Float(t + 1) } }
        var scratch = [Float](repeating: 0, count: csk_matmul_scratch_floats(Int32(Self.cols)))
        for c in cases {
            for ntok in [1, tokens] {
                var y = [Float](repeating: .nan, count: ntok * Self.rows)
                let bias: [Float] = [0.5, -1, 2, 0]
                c.bytes.withUnsafeBytes { raw in
                    xs.withUnsafeBufferPointer { xp in
                        y.withUnsafeMutableBufferPointer { yp in
                            bias.withUnsafeBufferPointer { bp in
                                var job = csk_matmul_job(type: c.type, rows: Int32(Self.rows), cols: Int32(Self.cols), ntok: Int32(ntok),
                                                         w: raw.baseAddress, row_bytes: c.rowBytes, x: xp.baseAddress, y: yp.baseAddress,
                                                         y_stride: Int64(Self.rows), bias: bp.baseAddress, affine: csk_affine())
                                csk_matmul(&job, 1, &scratch)
                            }
                        }
                    }
                }
                for t in 0..<ntok {
                    for r in 0..<Self.rows {
                        let want = c.dots[r] * Double(t + 1) + Double(bias[r])
                        #expect(abs(Double(y[t * Self.rows + r]) - want) <= 1e-4 * (abs(want) + 1), "\(c.name) ntok \(ntok) t \(t) r \(r)")
                    }
                }
            }
        }
    }
}
