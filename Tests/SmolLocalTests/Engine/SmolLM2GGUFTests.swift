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
        let session = InferenceSession(model: model, contextLength: 256)
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
}
