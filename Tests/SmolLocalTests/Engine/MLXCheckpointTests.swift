import CSmolKernels
import Foundation
import SmolLocal
import Testing

/// MLX checkpoints written by mlx-lm's own converter (scripts/fixtures/make_mlx_tiny.py) against mlx's outputs.
@Suite("MLX checkpoints against mlx and mlx-lm")
struct MLXCheckpointTests {
    static let variants = ["q4-bf16", "q4-f32", "q8-f16", "q3-g32", "q6-g32", "q2-g128", "mixed", "bf16"]

    static func folder(_ variant: String) throws -> String { try FixturePaths.fixture("tiny-llama-mlx/" + variant) }

    /// Any F32/F16/BF16/I32 tensor as floats (I32 as their values).
    static func floats(_ t: TensorRef) -> [Float] {
        if t.type == .i32 { return TinyFixtureTests.ints(t).map(Float.init) }
        var out = [Float](repeating: 0, count: t.elementCount)
        out.withUnsafeMutableBufferPointer { dst in
            csk_dequantize_row(Int32(t.type.rawValue), t.bytes.baseAddress!, dst.baseAddress!, Int64(t.elementCount))
        }
        return out
    }

    @Test("dequantized rows are bit-identical to mx.dequantize", arguments: variants.filter { $0 != "bf16" })
    func dequantizationIsExact(_ variant: String) throws {
        let model = try LlamaModel(contentsOf: try Self.folder(variant))
        let reference = try SafetensorsFile(path: try Self.folder(variant) + "/dequantized.safetensors")
        #expect(!reference.tensors.isEmpty)
        for t in reference.tensors {
            let matrix = try #require(model.matrix(t.name), "\(t.name)")
            #expect(matrix.affine != nil, "\(t.name) should be quantized")
            let expected = Self.floats(t)
            let rows = t.shape[0], columns = t.shape[1]
            var mismatches = 0
            for r in 0..<rows {
                let ours = try #require(matrix.dequantizedRow(r, mlxRounding: true))
                for c in 0..<columns where ours[c].bitPattern != expected[r * columns + c].bitPattern { mismatches += 1 }
            }
            #expect(mismatches == 0, "\(variant) \(t.name): \(mismatches) of \(rows * columns) values differ")
        }
    }

    /// Checks the fused affine dot of `isa` on sampled rows of the quantized matrices among a few paths, and that
    /// at least one was quantized. The C side caps an ISA the CPU lacks to the best one, so callers run this only
    /// for a supported one.
    static func checkFusedKernels(_ variant: String, isa: Int32) throws {
        try #require(KernelISA.supported(isa), "ISA \(isa) is not supported here: this would test another kernel")
        let model = try LlamaModel(contentsOf: try Self.folder(variant))
        let paths = ["model.embed_tokens", "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.k_proj",
                     "model.layers.0.mlp.down_proj", "model.layers.1.mlp.down_proj", "model.layers.1.mlp.up_proj"]
        var checkedMatrices = 0
        for path in paths {
            let matrix = try #require(model.matrix(path))
            guard let affine = matrix.affine else { continue }
            checkedMatrices += 1
            let x = (0..<matrix.columns).map { Float(sin(Double($0) * 0.37) + 0.25) }
            var descriptor = csk_affine(scales: affine.scales.bytes.baseAddress, biases: affine.biases.bytes.baseAddress,
                                        scale_type: Int32(affine.scales.type.rawValue), bits: Int32(affine.bits),
                                        group_size: Int32(affine.groupSize))
            for row in stride(from: 0, to: matrix.rows, by: max(1, matrix.rows / 17)) {
                let w = try #require(matrix.dequantizedRow(row))
                let exact = zip(w, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
                let magnitude = zip(w, x).reduce(0.0) { $0 + abs(Double($1.0) * Double($1.1)) }
                let ours = x.withUnsafeBufferPointer {
                    csk_affine_dot_row_isa(isa, &descriptor, matrix.tensor.bytes.baseAddress!, Int64(row),
                                           $0.baseAddress!, Int64(matrix.columns))
                }
                #expect(abs(Double(ours) - exact) <= 1e-5 * max(1, magnitude),
                        "\(variant) \(path) row \(row) isa \(isa): \(ours) vs \(exact)")
            }
        }
        #expect(checkedMatrices > 0, "\(variant): none of the sampled matrices is quantized")
    }

    @Test("the scalar fused dequantize-dot kernels equal the dot with the f32-dequantized row",
          arguments: variants.filter { $0 != "bf16" })
    func fusedKernelsAgreeScalar(_ variant: String) throws {
        try Self.checkFusedKernels(variant, isa: Int32(CSK_ISA_SCALAR))
    }

    @Test("the AVX2 fused dequantize-dot kernels equal the dot with the f32-dequantized row",
          .enabled(if: KernelISA.supported(Int32(CSK_ISA_AVX2)), "the CPU has no AVX2 (FMA, F16C)"),
          arguments: variants.filter { $0 != "bf16" })
    func fusedKernelsAgreeAVX2(_ variant: String) throws {
        try Self.checkFusedKernels(variant, isa: Int32(CSK_ISA_AVX2))
    }

    @Test("the AVX-512 fused dequantize-dot kernels equal the dot with the f32-dequantized row",
          .enabled(if: KernelISA.supported(Int32(CSK_ISA_AVX512)), "the CPU has no AVX-512"),
          arguments: variants.filter { $0 != "bf16" })
    func fusedKernelsAgreeAVX512(_ variant: String) throws {
        try Self.checkFusedKernels(variant, isa: Int32(CSK_ISA_AVX512))
    }

    @Test("prompt logits are within 1e-4 of mlx-lm (f32) and 24 greedy tokens are identical", arguments: variants)
    func matchesMLX(_ variant: String) throws {
        let model = try LlamaModel(contentsOf: try Self.folder(variant))
        let ref = try SafetensorsFile(path: try Self.folder(variant) + "/reference.safetensors")
        let inputIDs = TinyFixtureTests.ints(try #require(ref.tensor(named: "input_ids")))
        let rows = TinyFixtureTests.ints(try #require(ref.tensor(named: "logit_rows")))
        let logits = Self.floats(try #require(ref.tensor(named: "logits")))
        let greedyIDs = TinyFixtureTests.ints(try #require(ref.tensor(named: "greedy_new_ids")))
        let greedyLogits = Self.floats(try #require(ref.tensor(named: "greedy_logits")))
        let vocab = model.config.vocabSize

        let session = try InferenceSession(model: model, cacheType: .f32)
        let ours = try session.prefillReturningAllLogits(inputIDs)
        var worst: Float = 0
        for (k, row) in rows.enumerated() {
            let r = Int(row)
            worst = max(worst, TinyFixtureTests.relativeError(ours[(r * vocab)..<((r + 1) * vocab)],
                                                              logits[(k * vocab)..<((k + 1) * vocab)]))
        }
        #expect(worst <= 1e-4, "\(variant): prompt logits relative error \(worst)")
        var generated: [Int32] = []
        for step in 0..<greedyIDs.count {
            if step * vocab < greedyLogits.count {
                let error = TinyFixtureTests.relativeError(ArraySlice(session.logits), greedyLogits[(step * vocab)..<((step + 1) * vocab)])
                #expect(error <= 1e-4, "\(variant) step \(step): relative error \(error)")
            }
            let next = Sampler.argmax(session.logits)
            generated.append(next)
            try session.decode(next)
        }
        #expect(generated == greedyIDs, "\(variant)")
    }

    @Test("per-module settings: overrides, `false`, and modules without scales stay unquantized")
    func perModuleSettings() throws {
        let mixed = try LlamaModel(contentsOf: try Self.folder("mixed"))
        #expect(mixed.matrix("model.layers.0.mlp.down_proj")?.encoding == "MLX 8-bit g32 BF16")
        #expect(mixed.matrix("model.layers.1.mlp.down_proj")?.encoding == "MLX 4-bit g64 BF16")
        #expect(mixed.matrix("model.layers.1.self_attn.v_proj")?.encoding == "BF16")
        #expect(mixed.matrix("lm_head")?.encoding == "MLX 4-bit g64 BF16")  // tied: the quantized embedding as a linear
        let g128 = try LlamaModel(contentsOf: try Self.folder("q2-g128"))
        #expect(g128.matrix("model.layers.0.mlp.down_proj")?.encoding == "MLX 2-bit g128 BF16")
        #expect(g128.matrix("model.layers.0.mlp.up_proj")?.encoding == "BF16")
        #expect(try LlamaModel(contentsOf: try Self.folder("q8-f16")).weightEncoding == "MLX 8-bit g64 F16")
        #expect(try LlamaModel(contentsOf: try Self.folder("q4-f32")).weightEncoding == "MLX 4-bit g64 F32")
        #expect(try LlamaModel(contentsOf: try Self.folder("bf16")).weightEncoding == "BF16")
    }
}
