import Foundation
import SmolCore
import SmolLocal
import Testing

@Suite("SmolLM2-135M-Instruct Q4_1 GGUF end to end")
struct SmolLM2GGUFTests {
    @Test("greedy decoding answers the capital-of-France prompt with Paris")
    func greedyAnswersParis() throws {
        let model = try LlamaModel(contentsOf: try FixturePaths.smolLM2GGUF())
        #expect(model.config.architecture == .llama)
        #expect(model.config.ropeLayout == .interleaved)
        #expect(model.config.tieWordEmbeddings)
        let fixture = try JSONValue(parsing: try FixturePaths.data(try FixturePaths.fixture("smollm2-prompt/prompt.json")))
        let prompt = try #require(fixture["input_ids"]?.arrayValue).compactMap { $0.intValue.map(Int32.init) }
        let expected = try #require(fixture["expected_greedy_ids"]?.arrayValue).compactMap { $0.intValue.map(Int32.init) }
        let session = try InferenceSession(model: model, contextLength: 256)
        try session.prefill(prompt)
        var generated: [Int32] = []
        for _ in 0..<expected.count {
            let next = Sampler.argmax(session.logits)
            generated.append(next)
            if model.config.eosTokenIDs.contains(Int(next)) { break }
            try session.decode(next)
        }
        #expect(generated == expected)
    }

    static func ids(_ value: JSONValue?) throws -> [Int32] {
        try #require(value?.arrayValue).compactMap { $0.intValue.map(Int32.init) }
    }

    @Test("greedy continuations of the chat and three 32-token prompts equal transformers' on the dequantized weights")
    func matchesTransformers() throws {
        let model = try LlamaModel(contentsOf: try FixturePaths.smolLM2GGUF())
        let reference = try JSONValue(parsing: try FixturePaths.data(try FixturePaths.fixture("smollm2-reference.json")))
        var runs: [(String, [Int32], [Int32], JSONValue?)] = []
        let chat = try #require(reference["chat"])
        runs.append(("chat", try Self.ids(chat["input_ids"]), try Self.ids(chat["greedy_new_ids"]), chat["top5_first_4_steps"]))
        for p in try #require(reference["prompts"]?.arrayValue) {
            runs.append((p["name"]?.stringValue ?? "?", try Self.ids(p["input_ids"]), try Self.ids(p["greedy_new_ids"]), p["top5_first_4_steps"]))
        }
        #expect(runs.count == 4)
        let session = try InferenceSession(model: model, contextLength: 256)
        for (name, prompt, expected, top5) in runs {
            session.reset()
            try session.prefill(prompt)
            var generated: [Int32] = []
            for step in 0..<expected.count {
                if let top = top5?[step]?.arrayValue {
                    // The reference's top-5 logits, to 1e-3 (f32 accumulation order differs from torch).
                    for pair in top {
                        let id = try #require(pair[0]?.intValue), logit = try #require(pair[1]?.doubleValue)
                        #expect(abs(Double(session.logits[id]) - logit) <= 1e-3 * max(1, abs(logit)), "\(name) step \(step) id \(id)")
                    }
                }
                let next = Sampler.argmax(session.logits)
                generated.append(next)
                if step + 1 < expected.count { try session.decode(next) }
            }
            #expect(generated == expected, "\(name)")
        }
    }
}
