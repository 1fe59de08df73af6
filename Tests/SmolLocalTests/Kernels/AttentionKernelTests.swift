import CSmolKernels
import Foundation
import SmolLocal
import Testing

/// The attention kernels (the grouped-query AVX-512 kernel on this CPU when it has AVX-512, else the
/// per-head ones) against attention computed in double precision from the same f16 cache, and the batched
/// call (`csk_attention_rows`) against one-row calls.
@Suite("Attention kernels")
struct AttentionKernelTests {
    struct Shape: CustomStringConvertible, Sendable {
        let heads: Int, kvHeads: Int, headDim: Int, positions: Int, first: Int, softcap: Float
        var description: String { "\(heads)/\(kvHeads) heads × \(headDim), \(positions) positions from \(first)" }
    }

    static let shapes = [
        Shape(heads: 9, kvHeads: 3, headDim: 64, positions: 100, first: 0, softcap: 0),  // SmolLM2-135M
        Shape(heads: 4, kvHeads: 1, headDim: 256, positions: 37, first: 5, softcap: 0),  // Gemma 3 270M, a window
        Shape(heads: 12, kvHeads: 1, headDim: 32, positions: 17, first: 0, softcap: 30),  // a group above eight
        Shape(heads: 2, kvHeads: 2, headDim: 48, positions: 1, first: 0, softcap: 0),  // one position
        Shape(heads: 4, kvHeads: 2, headDim: 72, positions: 70, first: 0, softcap: 0),  // not a multiple of 16
    ]

    /// Half-precision cache contents and queries from a seeded generator.
    static func data(_ s: Shape, seed: UInt64) -> (q: [Float], k: [UInt16], v: [UInt16]) {
        var rng = SeededGenerator(seed: seed)
        func uniform() -> Float { Float(rng.next() % 20_001) / 10_000 - 1 }
        let q = (0..<(s.heads * s.headDim)).map { _ in uniform() * 2 }
        let n = s.positions * s.kvHeads * s.headDim
        let k = (0..<n).map { _ in csk_f32_to_f16(uniform()) }
        let v = (0..<n).map { _ in csk_f32_to_f16(uniform()) }
        return (q, k, v)
    }

    static func reference(_ s: Shape, q: [Float], k: [UInt16], v: [UInt16], scale: Float) -> [Double] {
        var out = [Double](repeating: 0, count: s.heads * s.headDim)
        let group = s.heads / s.kvHeads, row = s.kvHeads * s.headDim
        for h in 0..<s.heads {
            let kv = (h / group) * s.headDim
            var scores = (s.first..<s.positions).map { p in
                var dot = 0.0
                for d in 0..<s.headDim { dot += Double(q[h * s.headDim + d]) * Double(csk_f16_to_f32(k[p * row + kv + d])) }
                let scaled = dot * Double(scale)
                return s.softcap > 0 ? tanh(scaled / Double(s.softcap)) * Double(s.softcap) : scaled
            }
            let top = scores.max()!
            scores = scores.map { exp($0 - top) }
            let sum = scores.reduce(0, +)
            for (i, p) in (s.first..<s.positions).enumerated() {
                for d in 0..<s.headDim { out[h * s.headDim + d] += scores[i] / sum * Double(csk_f16_to_f32(v[p * row + kv + d])) }
            }
        }
        return out
    }

    static func attend(_ s: Shape, q: [Float], k: [UInt16], v: [UInt16], scale: Float) -> [Float] {
        var out = [Float](repeating: .nan, count: s.heads * s.headDim)
        var scratch = [Float](repeating: 0, count: csk_attention_scratch_floats(Int32(s.positions), Int32(s.heads / s.kvHeads)))
        csk_attention_f16(q, k, v, &out, Int32(s.heads), Int32(s.kvHeads), Int32(s.headDim), Int32(s.first),
                          Int32(s.positions - 1), scale, s.softcap, &scratch)
        return out
    }

    @Test("f16-cache attention matches double-precision attention", arguments: shapes)
    func matchesReference(_ s: Shape) {
        let (q, k, v) = Self.data(s, seed: 77)
        let scale = 1 / Float(s.headDim).squareRoot()
        let got = Self.attend(s, q: q, k: k, v: v, scale: scale)
        let want = Self.reference(s, q: q, k: k, v: v, scale: scale)
        for i in want.indices {
            #expect(abs(Double(got[i]) - want[i]) <= 2e-5 * (abs(want[i]) + 1), "\(s) element \(i): \(got[i]) vs \(want[i])")
        }
    }

    @Test("attention of several rows in one call is bit-identical to each row's own call")
    func rowsEqualOneRowCalls() {
        // Rows of different lengths over one shape's caches, as sequences of a batch would be.
        let s = Self.shapes[0]
        let (q0, k, v) = Self.data(s, seed: 5)
        let rows = 6, qSize = s.heads * s.headDim
        let queries = (0..<rows).flatMap { r in q0.map { $0 * Float(r + 1) / 3 } }
        let positions = [99, 12, 63, 64, 0, 80], firsts = [0, 0, 10, 0, 0, 70]
        let scale: Float = 0.125
        var batched = [Float](repeating: .nan, count: rows * qSize)
        var scratch = [Float](repeating: 0, count: csk_attention_scratch_floats(Int32(s.positions), Int32(s.heads / s.kvHeads)))
        queries.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                v.withUnsafeBufferPointer { vp in
                    batched.withUnsafeMutableBufferPointer { op in
                        let descriptors = (0..<rows).map { r in
                            csk_attention_row(q: qp.baseAddress! + r * qSize, k_cache: UnsafeRawPointer(kp.baseAddress!),
                                              v_cache: UnsafeRawPointer(vp.baseAddress!), out: op.baseAddress! + r * qSize,
                                              first: Int32(firsts[r]), position: Int32(positions[r]))
                        }
                        csk_attention_rows(descriptors, Int32(rows), 1, Int32(s.heads), Int32(s.kvHeads), Int32(s.headDim),
                                           scale, 0, &scratch)
                    }
                }
            }
        }
        for r in 0..<rows {
            var one = [Float](repeating: .nan, count: qSize)
            csk_attention_f16(Array(queries[r * qSize..<(r + 1) * qSize]), k, v, &one, Int32(s.heads), Int32(s.kvHeads),
                              Int32(s.headDim), Int32(firsts[r]), Int32(positions[r]), scale, 0, &scratch)
            #expect(Array(batched[r * qSize..<(r + 1) * qSize]) == one, "row \(r)")
        }
    }
}
