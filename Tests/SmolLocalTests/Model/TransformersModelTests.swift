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

    /// The capital question's greedy answer as transformers gave it: the new ids before EOS, transformers' decoded
    /// text without the EOS token's own text (as the vocabulary spells it), and the usage that implies.
    struct ChatAnswer {
        var ids: [Int32]
        var text: String
        var usage: TokenUsage
    }

    func chatAnswer(_ tokenizer: Tokenizer) throws -> ChatAnswer {
        let eos = try #require(json["eos_token_id"]?.intValue)
        let newIDs = try #require(chat["greedy_new_ids"]?.arrayValue).compactMap(\.intValue)
        let inputIDs = try #require(chat["input_ids"]?.arrayValue)
        try #require(chat["stopped_at_eos"] == true, "the reference answer ended at EOS")
        let beforeEOS = Array(newIDs.prefix { $0 != eos })
        try #require(beforeEOS.count == newIDs.count - 1, "EOS is the last new id, and only there")
        let greedy = try #require(chat["greedy_text"]?.stringValue)
        let eosText = try #require(tokenizer.token(for: Int32(eos)))
        try #require(greedy.hasSuffix(eosText), "\(greedy.debugDescription) ends with EOS \(eosText.debugDescription)")
        return ChatAnswer(ids: beforeEOS.map(Int32.init), text: String(greedy.dropLast(eosText.count)),
                          usage: TokenUsage(inputTokens: inputIDs.count, outputTokens: beforeEOS.count))
    }

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
        let expected = try SmolLM2Reference().chatAnswer(model.checkpoint.tokenizer)
        let answer = try await model.generate(capitalQuestion, options: GenerateOptions())
        #expect(answer.text == expected.text)
        #expect(answer.role == .assistant)
        #expect(answer.tokenUsage == expected.usage)
        #expect(answer.finishReason == "stop")
    }

    @Test("streaming yields the same text as generate, and the usage exactly once")
    func streamEqualsGenerate() async throws {
        let model = try smolLM2()
        let expected = try SmolLM2Reference().chatAnswer(model.checkpoint.tokenizer)
        var deltas: [ChatMessageStreamDelta] = []
        for try await delta in model.generateStream(capitalQuestion, options: GenerateOptions()) { deltas.append(delta) }
        #expect(deltas.count > 3)
        #expect(deltas.compactMap(\.content).joined() == expected.text)
        #expect(deltas.compactMap(\.tokenUsage) == [expected.usage])
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

    @Test("generations from concurrent tasks on one model all finish, each with the answer it gives alone")
    func concurrentGenerations() async throws {
        let model = try smolLM2()
        let expected = try SmolLM2Reference().chatAnswer(model.checkpoint.tokenizer)
        let reference = try SmolLM2Reference().prompt(named: "chat_haiku")
        let haiku = try #require(reference["messages"]?.arrayValue).map { message in
            ChatMessage(role: MessageRole(rawValue: message["role"]?.stringValue ?? "") ?? .user,
                        text: message["content"]?.stringValue ?? "")
        }
        let haikuText = try #require(reference["greedy_text"]?.stringValue)
        // Five at once, decoded together in one batch (continuous batching); streamed and not.
        let answers = try await withThrowingTaskGroup(of: (Int, String).self) { group in
            for i in 0..<5 {
                group.addTask {
                    let messages = i % 2 == 0 ? capitalQuestion : haiku
                    let options = GenerateOptions(parameters: ["max_new_tokens": i % 2 == 0 ? 64 : 32])
                    if i == 4 {
                        var text = ""
                        for try await delta in model.generateStream(messages, options: options) { text += delta.content ?? "" }
                        return (i, text)
                    }
                    return (i, try await model.generate(messages, options: options).text ?? "")
                }
            }
            var out: [Int: String] = [:]
            for try await (i, text) in group { out[i] = text }
            return out
        }
        for i in 0..<5 { #expect(answers[i] == (i % 2 == 0 ? expected.text : haikuText), "generation \(i)") }
    }

    @Test("a stop sequence that ends inside a token stops there, streamed or not (smolagents #1703)")
    func stopInsideToken() async throws {
        let model = try smolLM2()
        let expected = try SmolLM2Reference().chatAnswer(model.checkpoint.tokenizer)
        let stop = "Par"
        // The cut: transformers' answer up to the stop sequence, which must end inside one of its tokens.
        let cut = try #require(expected.text.range(of: stop), "the reference answer contains \(stop.debugDescription)")
        let stopped = String(expected.text[..<cut.lowerBound])
        var tokenEnds: Set<String.Index> = []
        for count in 1...expected.ids.count {
            let text = try model.checkpoint.tokenizer.decode(Array(expected.ids.prefix(count)))
            if expected.text.hasPrefix(text) { tokenEnds.insert(expected.text.index(expected.text.startIndex, offsetBy: text.count)) }
        }
        try #require(!tokenEnds.contains(cut.upperBound), "\(stop.debugDescription) ends inside a token of the answer")
        let options = GenerateOptions(stopSequences: [stop])
        let answer = try await model.generate(capitalQuestion, options: options)
        #expect(answer.text == stopped)
        var streamed = ""
        for try await delta in model.generateStream(capitalQuestion, options: options) { streamed += delta.content ?? "" }
        #expect(streamed == stopped)
    }

    @Test("max_new_tokens per call wins over the model's limit")
    func perCallLimit() async throws {
        let model = try smolLM2()
        let expected = try SmolLM2Reference().chatAnswer(model.checkpoint.tokenizer)
        let limit = 3
        try #require(expected.ids.count > limit, "the reference answer is longer than the limit")
        // Transformers' first `limit` tokens, as text: a prefix of its answer.
        let firstTokens = try model.checkpoint.tokenizer.decode(Array(expected.ids.prefix(limit)))
        #expect(expected.text.hasPrefix(firstTokens) && firstTokens.count < expected.text.count)
        let answer = try await model.generate(capitalQuestion, options: GenerateOptions(parameters: ["max_new_tokens": .int(limit)]))
        #expect(answer.text == firstTokens)
        #expect(answer.tokenUsage?.outputTokens == limit)
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
        let expected = try SmolLM2Reference().chatAnswer(model.checkpoint.tokenizer)
        let answer = try await model.generate(capitalQuestion, options: GenerateOptions())
        #expect(answer.text == expected.text)
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
