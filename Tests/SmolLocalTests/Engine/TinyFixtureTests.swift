import Foundation
import SmolLocal
import Testing

/// Prompt logits and greedy continuations of the tiny random models against transformers' references.
@Suite("Tiny fixtures against transformers")
struct TinyFixtureTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var model: String
        var reference: String
        var architecture: ModelConfig.Architecture
        var testDescription: String { model }
    }

    static let cases: [Case] = [
        Case(model: "tiny-llama", reference: "tiny-llama/reference_logits.safetensors", architecture: .llama),
        Case(model: "tiny-qwen2", reference: "tiny-qwen2/reference_logits.safetensors", architecture: .qwen2),
        Case(model: "tiny-llama3", reference: "tiny-llama3/reference_logits.safetensors", architecture: .llama),
        Case(model: "tiny-llama-gguf/model-f32.gguf", reference: "tiny-llama/reference_logits.safetensors", architecture: .llama),
        Case(model: "tiny-qwen2-gguf/model-f32.gguf", reference: "tiny-qwen2/reference_logits.safetensors", architecture: .qwen2),
        Case(model: "tiny-llama3-gguf/model-f32.gguf", reference: "tiny-llama3/reference_logits.safetensors", architecture: .llama),
        Case(model: "tiny-llama-gguf/model-q8_0.gguf", reference: "tiny-llama-gguf/reference_logits_q8_0.safetensors", architecture: .llama),
        Case(model: "tiny-qwen2-gguf/model-q8_0.gguf", reference: "tiny-qwen2-gguf/reference_logits_q8_0.safetensors", architecture: .qwen2),
        Case(model: "tiny-llama3-gguf/model-q8_0.gguf", reference: "tiny-llama3-gguf/reference_logits_q8_0.safetensors", architecture: .llama),
    ] + familyCases

    /// Issue 13 §1: the families after Llama, each a tiny random checkpoint with transformers' references.
    static let familyCases: [Case] = [
        Case(model: "tiny-qwen3", reference: "tiny-qwen3/reference_logits.safetensors", architecture: .qwen3),
        Case(model: "tiny-qwen3moe", reference: "tiny-qwen3moe/reference_logits.safetensors", architecture: .qwen3moe),
        Case(model: "tiny-gemma2", reference: "tiny-gemma2/reference_logits.safetensors", architecture: .gemma2),
        Case(model: "tiny-gemma3", reference: "tiny-gemma3/reference_logits.safetensors", architecture: .gemma3),
        Case(model: "tiny-phi3", reference: "tiny-phi3/reference_logits.safetensors", architecture: .phi3),
        Case(model: "tiny-phi3-longrope", reference: "tiny-phi3-longrope/reference_logits.safetensors", architecture: .phi3),
        Case(model: "tiny-smollm3", reference: "tiny-smollm3/reference_logits.safetensors", architecture: .smollm3),
        Case(model: "tiny-mistral", reference: "tiny-mistral/reference_logits.safetensors", architecture: .mistral),
    ] + ["qwen3", "qwen3moe", "phi3", "phi3-longrope", "smollm3"].flatMap { name in
        // llama.cpp's converter keeps the weights bit for bit in f32: the HF references hold.
        [Case(model: "tiny-\(name)-gguf/model-f32.gguf", reference: "tiny-\(name)/reference_logits.safetensors",
              architecture: ggufArchitecture(name)),
         Case(model: "tiny-\(name)-gguf/model-q8_0.gguf", reference: "tiny-\(name)-gguf/reference_logits_q8_0.safetensors",
              architecture: ggufArchitecture(name))]
    } + ["gemma2", "gemma3"].flatMap { name in
        // A Gemma GGUF has no query_pre_attn_scalar: its references are transformers' with the head width instead.
        [Case(model: "tiny-\(name)-gguf/model-f32.gguf", reference: "tiny-\(name)-gguf/reference_logits_f32.safetensors",
              architecture: ggufArchitecture(name)),
         Case(model: "tiny-\(name)-gguf/model-q8_0.gguf", reference: "tiny-\(name)-gguf/reference_logits_q8_0.safetensors",
              architecture: ggufArchitecture(name))]
    }

    static func ggufArchitecture(_ name: String) -> ModelConfig.Architecture {
        name == "phi3-longrope" ? .phi3 : ModelConfig.Architecture(rawValue: name) ?? .llama
    }

    /// max |a - b| over a row divided by max(1, max |b|): float32 noise is ~1e-6 here.
    static func relativeError(_ a: ArraySlice<Float>, _ b: ArraySlice<Float>) -> Float {
        var diff: Float = 0, scale: Float = 1
        for (x, y) in zip(a, b) {
            diff = max(diff, abs(x - y))
            scale = max(scale, abs(y))
        }
        return diff / scale
    }

    static func floats(_ t: TensorRef) -> [Float] {
        (0..<t.elementCount).map { t.bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Float.self) }
    }

    static func ints(_ t: TensorRef) -> [Int32] {
        (0..<t.elementCount).map { t.bytes.loadUnaligned(fromByteOffset: $0 * 4, as: Int32.self) }
    }

    @Test("prompt logits are within 1e-4 of transformers and greedy decoding matches token for token", arguments: cases)
    func matchesReference(_ c: Case) throws {
        let model = try LlamaModel(contentsOf: try FixturePaths.fixture(c.model))
        #expect(model.config.architecture == c.architecture)
        let ref = try SafetensorsFile(path: try FixturePaths.fixture(c.reference))
        let inputIDs = Self.ints(try #require(ref.tensor(named: "input_ids")))
        let logits = Self.floats(try #require(ref.tensor(named: "logits")))
        let greedyIDs = Self.ints(try #require(ref.tensor(named: "greedy_new_ids")))
        let greedyLogits = Self.floats(try #require(ref.tensor(named: "greedy_logits")))
        let vocab = model.config.vocabSize
        #expect(logits.count == inputIDs.count * vocab)

        let session = try InferenceSession(model: model, cacheType: .f32)
        let ours = try session.prefillReturningAllLogits(inputIDs)
        var worst: Float = 0
        for row in 0..<inputIDs.count {
            let range = (row * vocab)..<((row + 1) * vocab)
            worst = max(worst, Self.relativeError(ours[range], logits[range]))
        }
        #expect(worst <= 1e-4, "prompt logits relative error \(worst)")

        var generated: [Int32] = []
        var worstStep: Float = 0
        for step in 0..<greedyIDs.count {
            let range = (step * vocab)..<((step + 1) * vocab)
            worstStep = max(worstStep, Self.relativeError(ArraySlice(session.logits), greedyLogits[range]))
            let next = Sampler.argmax(session.logits)
            generated.append(next)
            try session.decode(next)
        }
        #expect(generated == greedyIDs)
        #expect(worstStep <= 1e-4, "decode logits relative error \(worstStep)")
    }

    @Test("an f16 KV cache gives the same 24 greedy ids as f32, with logits within 1e-2", arguments: cases)
    func halfCacheKeepsGreedyOutput(_ c: Case) throws {
        let model = try LlamaModel(contentsOf: try FixturePaths.fixture(c.model))
        let ref = try SafetensorsFile(path: try FixturePaths.fixture(c.reference))
        let inputIDs = Self.ints(try #require(ref.tensor(named: "input_ids")))
        let greedyIDs = Self.ints(try #require(ref.tensor(named: "greedy_new_ids")))
        let greedyLogits = Self.floats(try #require(ref.tensor(named: "greedy_logits")))
        let vocab = model.config.vocabSize
        let session = try InferenceSession(model: model)
        #expect(session.cacheType == .f16)
        try session.prefill(inputIDs)
        var generated: [Int32] = []
        var worst: Float = 0
        for step in 0..<greedyIDs.count {
            let range = (step * vocab)..<((step + 1) * vocab)
            worst = max(worst, Self.relativeError(ArraySlice(session.logits), greedyLogits[range]))
            let next = Sampler.argmax(session.logits)
            generated.append(next)
            try session.decode(next)
        }
        #expect(generated == greedyIDs)
        #expect(worst <= 1e-2, "decode logits relative error \(worst)")
    }

    @Test("the same prompt fed token by token gives the same logits as the batched prefill")
    func tokenByTokenMatchesBatch() throws {
        let model = try LlamaModel(contentsOf: try FixturePaths.fixture("tiny-qwen2"))
        let ids: [Int32] = [1, 85, 91, 85, 325, 79, 201, 387, 347, 260, 223, 268, 78, 82, 72, 87, 78, 223, 378, 366,
                            223, 318, 70, 342, 287, 78, 380, 14, 262, 84, 393, 311, 343, 91, 294, 87, 73]
        let batched = try InferenceSession(model: model, cacheType: .f32)
        try batched.prefill(ids)
        let single = try InferenceSession(model: model, cacheType: .f32)
        for id in ids { try single.decode(id) }
        #expect(Self.relativeError(ArraySlice(batched.logits), ArraySlice(single.logits)) <= 1e-5)
    }

    @Test("truncating the cache and re-running a suffix reproduces the logits")
    func truncateAndReuse() throws {
        let model = try LlamaModel(contentsOf: try FixturePaths.fixture("tiny-llama"))
        let ids: [Int32] = [1, 85, 91, 85, 325, 79, 201, 387, 347, 260]
        let session = try InferenceSession(model: model)
        try session.prefill(ids)
        let full = session.copyLogits()
        try session.truncate(to: 4)
        #expect(session.logits.isEmpty)
        #expect(session.cachedPrefixLength(of: ids) == 4)
        try session.prefill(Array(ids[4...]))
        #expect(Self.relativeError(ArraySlice(session.logits), ArraySlice(full)) == 0)
        session.reset()
        #expect(session.position == 0)
    }

    @Test("context overflow, bad token ids and empty input are typed errors")
    func typedErrors() throws {
        let model = try LlamaModel(contentsOf: try FixturePaths.fixture("tiny-llama"))
        let session = try InferenceSession(model: model, contextLength: 8)
        #expect(throws: InferenceError.emptyInput) { try session.prefill([]) }
        #expect(throws: InferenceError.invalidToken(token: 400, vocabSize: 400)) { try session.decode(400) }
        #expect(throws: InferenceError.invalidToken(token: -1, vocabSize: 400)) { try session.prefill([1, -1]) }
        try session.prefill([1, 2, 3, 4, 5, 6])
        #expect(throws: InferenceError.contextOverflow(position: 6, adding: 3, contextLength: 8)) { try session.prefill([1, 2, 3]) }
        try session.decode(7)
        try session.decode(8)
        #expect(throws: InferenceError.contextOverflow(position: 8, adding: 1, contextLength: 8)) { try session.decode(9) }
        #expect(throws: InferenceError.invalidTruncation(length: 9, cached: 8)) { try session.truncate(to: 9) }
    }
}
