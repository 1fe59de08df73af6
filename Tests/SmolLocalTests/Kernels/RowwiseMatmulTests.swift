import CSmolKernels
import Foundation
import SmolLocal
import Testing

/// Issue 15: batched decoding must not change a sequence's numbers, so the batched product
/// (`csk_matmul_rowwise`) gives every token exactly what a one-token `csk_matmul` gives it.
@Suite("Batched products against one-token products")
struct RowwiseMatmulTests {
    /// With the kernels this CPU runs (the kernel family is process-wide, so forcing another one here would
    /// change the numbers of tests running alongside): on AVX-512, the multi-token four-row kernel.
    @Test("each token of a batched product is bit-identical to its one-token product (every type, 1...9 tokens, rows in fours and leftovers)")
    func batchedRowsEqualOneTokenRows() throws {
        let (x, cases) = try DequantizationTests.load()
        let cols = DequantizationTests.cols
        // 11 rows: two four-row groups and three leftover rows, cycled from the fixture's four rows.
        let rows = 11
        var rng = SeededGenerator(seed: 1515)
        var scratch = [Float](repeating: 0, count: csk_matmul_scratch_floats(Int32(cols)))
        for c in cases {
            var weights = [UInt8]()
            for r in 0..<rows { weights += c.bytes[(r % 4) * c.rowBytes..<(r % 4 + 1) * c.rowBytes] }
            let bias = (0..<rows).map { Float($0) * 0.25 - 1 }
            for ntok in 1...9 {
                // Different activations per token, so a mixed-up token would show.
                let xs = (0..<ntok).flatMap { _ in x.map { $0 * (Float(rng.next() % 1000) / 250 - 2) } }
                let batched = Self.product(c, weights, rows: rows, xs: xs, ntok: ntok, bias: bias, scratch: &scratch, rowwise: true)
                for t in 0..<ntok {
                    let one = Self.product(c, weights, rows: rows, xs: Array(xs[t * cols..<(t + 1) * cols]), ntok: 1, bias: bias,
                                           scratch: &scratch, rowwise: false)
                    #expect(Array(batched[t * rows..<(t + 1) * rows]) == one, "\(c.name) ntok \(ntok) token \(t)")
                }
            }
        }
    }

    static func product(_ c: DequantizationTests.Case, _ weights: [UInt8], rows: Int, xs: [Float], ntok: Int, bias: [Float],
                        scratch: inout [Float], rowwise: Bool) -> [Float] {
        let cols = DequantizationTests.cols
        var y = [Float](repeating: .nan, count: ntok * rows)
        weights.withUnsafeBytes { raw in
            xs.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    bias.withUnsafeBufferPointer { bp in
                        var job = csk_matmul_job(type: c.type, rows: Int32(rows), cols: Int32(cols), ntok: Int32(ntok),
                                                 w: raw.baseAddress, row_bytes: c.rowBytes, x: xp.baseAddress, y: yp.baseAddress,
                                                 y_stride: Int64(rows), bias: bp.baseAddress, affine: csk_affine())
                        if rowwise { csk_matmul_rowwise(&job, 1, &scratch) } else { csk_matmul(&job, 1, &scratch) }
                    }
                }
            }
        }
        return y
    }
}
