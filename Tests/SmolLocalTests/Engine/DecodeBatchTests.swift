import Foundation
@testable import SmolLocal
import Testing

/// Issue 15: one batched decode step over several sessions gives each session what its own decode gives.
@Suite("Batched decoding")
struct DecodeBatchTests {
    /// Tiny random models (dense, mixture of experts, sliding windows of 8, MLX 4-bit) and the real SmolLM2.
    static let models = ["tiny-llama", "tiny-qwen3moe", "tiny-gemma3", "tiny-llama-gguf/model-q8_0.gguf", "tiny-llama-mlx/q4-f32",
                         "tiny-llama-mlx/q4-bf16", "SmolLM2"]

    static func load(_ name: String) throws -> LlamaModel {
        try LlamaModel(contentsOf: name == "SmolLM2" ? try FixturePaths.smolLM2GGUF() : try FixturePaths.fixture(name))
    }

    static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        return Int32(best)
    }

    /// max |a - b| divided by max(1, max |b|).
    static func relativeError(_ a: UnsafeBufferPointer<Float>, _ b: UnsafeBufferPointer<Float>) -> Float {
        var diff: Float = 0, scale: Float = 1
        for (x, y) in zip(a, b) {
            diff = max(diff, abs(x - y))
            scale = max(scale, abs(y))
        }
        return diff / scale
    }

    @Test("8 sessions at different positions, joining and leaving: batched logits match solo decode; a row is bit-identical alone or batched",
          arguments: models)
    func batchedMatchesSolo(_ name: String) throws {
        let model = try Self.load(name)
        let count = 8, steps = 28
        var rng = SeededGenerator(seed: 15)
        let vocab = UInt64(min(model.config.vocabSize, 20_000))
        // Different lengths, so the rows sit at different positions (past tiny-gemma3's window of 8).
        let prompts = (0..<count).map { i in (0..<(1 + 5 * i)).map { _ in Int32(rng.next() % vocab) } }
        func sessions() throws -> [InferenceSession] {
            try (0..<count).map { i in
                let session = try InferenceSession(model: model, contextLength: 96 + 8 * i, cacheType: i % 3 == 2 ? .f32 : .f16)
                try session.prefill(prompts[i])
                return session
            }
        }
        let solo = try sessions(), batched = try sessions(), single = try sessions()
        let batch = try DecodeBatch(model: model, capacity: count)
        var worst: Float = 0
        for step in 0..<steps {
            // Sequences join at different steps and leave early, so the batch changes from step to step.
            let active = (0..<count).filter { i in step >= i / 2 && step < steps - (i % 3) * 3 }
            var rows: [(session: InferenceSession, token: Int32)] = []
            for i in active {
                let token = Self.argmax(solo[i].logits)
                #expect(Self.argmax(batched[i].logits) == token, "\(name) session \(i) step \(step)")
                worst = max(worst, Self.relativeError(batched[i].logits, solo[i].logits))
                try solo[i].decode(token)
                try batch.decode([(single[i], token)])
                rows.append((batched[i], token))
            }
            try batch.decode(rows)
            for i in active {
                #expect(batched[i].position == solo[i].position)
                #expect(Array(batched[i].logits) == Array(single[i].logits), "\(name) session \(i) step \(step): batch-dependent")
            }
        }
        // GGUF and MLX weights: every token's arithmetic in a batch is the one-token kernels' own, so batched logits
        // equal solo ones exactly.
        let tolerance: Float = name.contains("gguf") || name.contains("mlx") || name == "SmolLM2" ? 0 : 1e-4
        #expect(worst <= tolerance, "\(name): batched vs solo relative error \(worst)")
    }

    @Test("a step rejects a full cache, a repeated session, another model's session and too many rows")
    func rejectsInvalidBatches() throws {
        let model = try Self.load("tiny-llama"), other = try Self.load("tiny-llama")
        let batch = try DecodeBatch(model: model, capacity: 2)
        let a = try InferenceSession(model: model, contextLength: 4), b = try InferenceSession(model: model)
        let c = try InferenceSession(model: model), foreign = try InferenceSession(model: other)
        try a.prefill([1, 2, 3, 4])
        #expect(throws: InferenceError.contextOverflow(position: 4, adding: 1, contextLength: 4)) { try batch.decode([(a, 1)]) }
        #expect(throws: InferenceError.self) { try batch.decode([(b, 1), (b, 2)]) }
        #expect(throws: InferenceError.self) { try batch.decode([(foreign, 1)]) }
        #expect(throws: InferenceError.self) { try batch.decode([(b, 1), (c, 2), (foreign, 3)]) }
        #expect(throws: InferenceError.emptyInput) { try batch.decode([]) }
        #expect(b.position == 0 && c.position == 0)
    }
}
