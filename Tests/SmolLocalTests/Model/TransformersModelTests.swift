import Foundation
import SmolCore
@testable import SmolLocal
import Testing

/// The reference answers transformers gives on the dequantized SmolLM2 checkpoint
/// (`scripts/fixtures/make_smollm2_reference.py`).
private struct SmolLM2Reference {
    let json: JSONValue

    init() throws {
        json = try JSONValue(parsing: [UInt8](FixturePaths.data(FixturePaths.fixture("smollm2-reference.json"))))
    }

    var chat: JSONValue { json["chat"] ?? .null }

    func prompt(named name: String) throws -> JSONValue {
        let prompts = try #require(json["prompts"]?.arrayValue)
        return try #require(prompts.first { $0["name"]?.stringValue == name })
    }
}

/// One model shared by the suite: loading maps the file, and generations run one at a time anyway.
private let sharedSmolLM2: Result<TransformersModel, any Error> = Result {
    try TransformersModel(modelID: try FixturePaths.smolLM2GGUF(), maxNewTokens: 64)
}

private func smolLM2() throws -> TransformersModel { try sharedSmolLM2.get() }

private let capitalQuestion = [ChatMessage(role: .user, text: "What is the capital of France?")]

@Suite("TransformersModel on the real SmolLM2-135M-Instruct GGUF", .serialized)
struct TransformersModelSmolLM2Tests {
    @Test("the chat template and tokenizer give transformers' prompt ids")
    func promptMatchesTransformers() throws {
        let model = try smolLM2()
        let reference = try SmolLM2Reference()
        let prompt = try LocalPrompt.render(capitalQuestion, tools: nil, checkpoint: model.checkpoint, templateKwargs: [:])
        #expect(prompt == reference.chat["prompt"]?.stringValue)
        let ids = model.checkpoint.tokenizer.encode(prompt).map(Int.init)
        #expect(ids == reference.chat["input_ids"]?.arrayValue?.compactMap(\.intValue))
    }

    @Test("greedy answer to the capital question is transformers' answer, with its token usage")
    func capitalOfFrance() async throws {
        let model = try smolLM2()
        let answer = try await model.generate(capitalQuestion, options: GenerateOptions())
        #expect(answer.text == "The capital of France is Paris.")
        #expect(answer.role == .assistant)
        #expect(answer.tokenUsage == TokenUsage(inputTokens: 37, outputTokens: 7))
        #expect(answer.finishReason == "stop")
    }

    @Test("streaming yields the same text as generate, and the usage exactly once")
    func streamEqualsGenerate() async throws {
        let model = try smolLM2()
        var deltas: [ChatMessageStreamDelta] = []
        for try await delta in model.generateStream(capitalQuestion, options: GenerateOptions()) { deltas.append(delta) }
        #expect(deltas.count > 3)
        #expect(deltas.compactMap(\.content).joined() == "The capital of France is Paris.")
        #expect(deltas.compactMap(\.tokenUsage) == [TokenUsage(inputTokens: 37, outputTokens: 7)])
        #expect(deltas.last?.finishReason == "stop")
    }

    @Test("32 greedy tokens of a chat continuation equal transformers' on the dequantized weights")
    func haikuMatchesTransformers() async throws {
        let model = try smolLM2()
        let reference = try SmolLM2Reference().prompt(named: "chat_haiku")
        let messages = try #require(reference["messages"]?.arrayValue).map { message in
            ChatMessage(role: MessageRole(rawValue: message["role"]?.stringValue ?? "") ?? .user,
                        text: message["content"]?.stringValue ?? "")
        }
        let answer = try await model.generate(messages, options: GenerateOptions(parameters: ["max_new_tokens": 32]))
        #expect(answer.text == reference["greedy_text"]?.stringValue)
        #expect(answer.tokenUsage?.outputTokens == 32)
        #expect(answer.finishReason == "length")
    }

    @Test("a stop sequence that ends inside a token stops there, streamed or not (smolagents #1703)")
    func stopInsideToken() async throws {
        let model = try smolLM2()
        let options = GenerateOptions(stopSequences: ["Par"])
        let answer = try await model.generate(capitalQuestion, options: options)
        #expect(answer.text == "The capital of France is ")
        var streamed = ""
        for try await delta in model.generateStream(capitalQuestion, options: options) { streamed += delta.content ?? "" }
        #expect(streamed == "The capital of France is ")
    }

    @Test("max_new_tokens per call wins over the model's limit")
    func perCallLimit() async throws {
        let model = try smolLM2()
        let answer = try await model.generate(capitalQuestion, options: GenerateOptions(parameters: ["max_new_tokens": 3]))
        #expect(answer.text == "The capital of")
        #expect(answer.tokenUsage?.outputTokens == 3)
        #expect(answer.finishReason == "length")
    }

    @Test("seeded sampling is repeatable and differs from another seed")
    func seededSampling() async throws {
        let model = try smolLM2()
        func sample(_ seed: Int) async throws -> String? {
            try await model.generate([ChatMessage(role: .user, text: "Tell me a story.")], options: GenerateOptions(
                parameters: ["do_sample": true, "temperature": 1.0, "seed": .int(seed), "max_new_tokens": 24])).text
        }
        let first = try await sample(7)
        #expect(try await sample(7) == first)
        #expect(try await sample(8) != first)
    }

    @Test("a stream that is abandoned stops decoding and the model serves the next call")
    func abandonedStream() async throws {
        let model = try smolLM2()
        var received = 0
        for try await delta in model.generateStream([ChatMessage(role: .user, text: "Count to one hundred.")],
                                                    options: GenerateOptions(parameters: ["max_new_tokens": 200])) {
            if delta.content != nil { received += 1 }
            if received == 3 { break }
        }
        let answer = try await model.generate(capitalQuestion, options: GenerateOptions())
        #expect(answer.text == "The capital of France is Paris.")
    }

    @Test("unsupported response formats, unknown parameters and images are typed errors before any decoding")
    func invalidRequests() async throws {
        let model = try smolLM2()
        await #expect(throws: ModelError.self) {
            _ = try await model.generate(capitalQuestion, options: GenerateOptions(responseFormat: .custom(["type": "regex"])))
        }
        do {
            _ = try await model.generate(capitalQuestion, options: GenerateOptions(parameters: ["frequency_penalty": 1]))
            Issue.record("an unknown parameter was accepted")
        } catch let ModelError.invalidInput(message, location) {
            #expect(message.contains("frequency_penalty") && message.contains("repetition_penalty"))
            #expect(location == "parameters.frequency_penalty")
        }
        let image = ChatMessage(role: .user, content: .parts([.image(.url("https://example.com/cat.png"))]))
        await #expect(throws: ModelError.self) { _ = try await model.generate([image], options: GenerateOptions()) }
    }
}

@Suite("TransformersModel on the tiny fixtures")
struct TransformersModelTinyTests {
    @Test("HF folders and GGUF files render transformers' prompt ids", arguments: ["tiny-llama", "tiny-qwen2", "tiny-llama3"])
    func tinyPrompt(_ name: String) async throws {
        let reference = try JSONValue(parsing: [UInt8](FixturePaths.data(FixturePaths.fixture("\(name)/reference.json"))))
        let messages = try #require(reference["messages"]?.arrayValue).map {
            ChatMessage(role: MessageRole(rawValue: $0["role"]?.stringValue ?? "") ?? .user, text: $0["content"]?.stringValue ?? "")
        }
        let expected = reference["input_ids"]?.arrayValue?.compactMap(\.intValue)
        for path in [try FixturePaths.fixture(name), try FixturePaths.fixture("\(name)-gguf/model-f32.gguf")] {
            let model = try TransformersModel(modelID: path, maxNewTokens: 4)
            let prompt = try LocalPrompt.render(messages, tools: nil, checkpoint: model.checkpoint, templateKwargs: [:])
            #expect(model.checkpoint.tokenizer.encode(prompt).map(Int.init) == expected, "\(path)")
            let answer = try await model.generate(messages, options: GenerateOptions())
            #expect(answer.tokenUsage?.inputTokens == expected?.count)
        }
    }
}
