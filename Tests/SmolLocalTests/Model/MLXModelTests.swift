import Foundation
import SmolCore
@testable import SmolLocal
import Testing

/// MLXModel on the tiny MLX fixture: what smolagents' MLXModel gets from mlx-lm
/// (`chat-reference.json`, made by scripts/fixtures/make_mlx_tiny.py), and its parameter semantics.
@Suite("MLXModel on the tiny MLX 4-bit fixture", .serialized)
struct MLXModelTests {
    static let haiku = [ChatMessage(role: .user, text: "Write a haiku about the sea.")]

    static func folder() throws -> String { try FixturePaths.fixture("tiny-llama-mlx/q4-bf16") }

    static func reference() throws -> JSONValue {
        try JSONValue(parsing: [UInt8](FixturePaths.data(try folder() + "/chat-reference.json")))
    }

    @Test("the prompt ids and 20 greedy tokens are mlx-lm's (f32), and usage counts them")
    func matchesMLXLM() async throws {
        let reference = try Self.reference()
        let model = try MLXModel(modelID: try Self.folder(), parameters: ["max_tokens": 20])
        let prompt = try LocalPrompt.render(Self.haiku, tools: nil, checkpoint: model.checkpoint,
                                            templateKwargs: model.applyChatTemplateKwargs)
        let ids = model.checkpoint.tokenizer.encode(prompt, addSpecialTokens: false).map(Int.init)
        #expect(ids == reference["prompt_ids"]?.arrayValue?.compactMap(\.intValue))
        let answer = try await model.generate(Self.haiku, options: GenerateOptions())
        #expect(answer.text == reference["text"]?.stringValue)
        let tokens = try #require(reference["tokens"]?.arrayValue)
        #expect(answer.tokenUsage == TokenUsage(inputTokens: ids.count, outputTokens: tokens.count))
        #expect(answer.finishReason == "length")
        #expect(answer.raw?["completion_kwargs"]?["max_tokens"]?.intValue == 20)
    }

    @Test("mlx-lm's default limit is 256 tokens, and a call's max_tokens applies when the model sets none")
    func tokenLimits() async throws {
        let model = try MLXModel(modelID: try Self.folder())
        let short = try await model.generate(Self.haiku, options: GenerateOptions(parameters: ["max_tokens": 3]))
        #expect(short.tokenUsage?.outputTokens == 3)
        let long = try await model.generate(Self.haiku, options: GenerateOptions())
        let generated = try #require(long.tokenUsage?.outputTokens)
        let input = try #require(long.tokenUsage?.inputTokens)
        // The answer ends at mlx-lm's 256 tokens or at the context, whichever comes first (the tiny model's
        // context is 256 positions; the last sampled token is never fed back, so prompt + answer is one more
        // than the context), unless the model ends it itself before.
        let bound = min(MLXModel.defaultMaxTokens, model.checkpoint.model.config.maxPositions - input + 1)
        if long.finishReason == "length" {
            #expect(generated == bound, "\(generated) tokens after \(input)")
        } else {
            #expect(long.finishReason == "stop" && generated < bound, "\(generated) tokens, finish \(long.finishReason ?? "nil")")
        }
    }

    @Test("add_generation_prompt defaults to true and can be turned off")
    func generationPrompt() throws {
        let on = try MLXModel(modelID: try Self.folder())
        #expect(on.applyChatTemplateKwargs["add_generation_prompt"] == .bool(true))
        let off = try MLXModel(modelID: try Self.folder(), applyChatTemplateKwargs: ["add_generation_prompt": false])
        let withPrompt = try LocalPrompt.render(Self.haiku, tools: nil, checkpoint: on.checkpoint, templateKwargs: on.applyChatTemplateKwargs)
        let without = try LocalPrompt.render(Self.haiku, tools: nil, checkpoint: off.checkpoint, templateKwargs: off.applyChatTemplateKwargs)
        #expect(withPrompt == without + "<|im_start|>assistant\n")
        #expect(on.loadKwargs["tokenizer_config"]?["trust_remote_code"] == .bool(false))
    }

    @Test("a stop sequence cuts the answer before the stop, streamed or not")
    func stopSequences() async throws {
        let reference = try Self.reference()
        let full = try #require(reference["text"]?.stringValue)
        // A stop taken from the middle of mlx-lm's answer: the answer ends right before it.
        let scalars = Array(full.unicodeScalars.filter { $0 != "\u{FFFD}" })
        let stop = String(String.UnicodeScalarView(scalars[(scalars.count / 2)..<(scalars.count / 2 + 2)]))
        let stopRange = try #require(full.range(of: stop))
        let expected = String(full[..<stopRange.lowerBound])
        let model = try MLXModel(modelID: try Self.folder(), parameters: ["max_tokens": 20])
        let options = GenerateOptions(stopSequences: [stop])
        let answer = try await model.generate(Self.haiku, options: options)
        #expect(answer.text == expected)
        #expect(answer.finishReason == "stop")
        var streamed = ""
        for try await delta in model.generateStream(Self.haiku, options: options) { streamed += delta.content ?? "" }
        #expect(streamed == expected)
    }

    @Test("temp > 0 samples (seeded, reproducible); unknown parameters and load options are errors")
    func parameters() async throws {
        let model = try MLXModel(modelID: try Self.folder())
        let options = GenerateOptions(parameters: ["max_tokens": 12, "temp": 1.0, "seed": 7])
        let a = try await model.generate(Self.haiku, options: options)
        let b = try await model.generate(Self.haiku, options: options)
        #expect(a.text == b.text)
        let greedy = try await model.generate(Self.haiku, options: GenerateOptions(parameters: ["max_tokens": 12]))
        #expect(a.text != greedy.text)
        await #expect(throws: ModelError.self) {
            try await model.generate(Self.haiku, options: GenerateOptions(parameters: ["max_new_tokens": 3]))
        }
        await #expect(throws: ModelError.self) {
            try await model.generate(Self.haiku, options: GenerateOptions(parameters: ["max_tokens": 0]))
        }
        #expect(throws: ModelError.self) { try MLXModel(modelID: try Self.folder(), loadKwargs: ["adapter_path": "lora"]) }
        #expect(throws: ModelError.self) { try MLXModel(modelID: try Self.folder(), parameters: ["temp": -1]) }
    }
}

/// The real SmolLM2-135M-Instruct converted to MLX 4-bit by `mlx_lm.convert` (scripts/oracles/setup.sh mlx).
@Suite("MLXModel on the real SmolLM2-135M MLX 4-bit checkpoint")
struct MLXModelSmolLM2Tests {
    static func folder() throws -> String {
        let path = FixturePaths.modelsDirectory + "/SmolLM2-135M-Instruct-MLX-4bit"
        try #require(FileManager.default.fileExists(atPath: path + "/mlx-reference.json"),
                     "missing \(path): run `bash scripts/oracles/setup.sh mlx`")
        return path
    }

    @Test("the greedy answer to the capital question is mlx-lm's (f32) text, and agrees with mlx_lm.generate's bf16 run")
    func capitalOfFrance() async throws {
        let dir = try Self.folder()
        let reference = try JSONValue(parsing: [UInt8](FixturePaths.data(dir + "/mlx-reference.json")))
        let model = try MLXModel(modelID: dir, parameters: ["max_tokens": 64])
        #expect(model.checkpoint.model.weightEncoding == "MLX 4-bit g64 BF16")
        let question = [ChatMessage(role: .user, text: "What is the capital of France?")]
        let prompt = try LocalPrompt.render(question, tools: nil, checkpoint: model.checkpoint, templateKwargs: model.applyChatTemplateKwargs)
        #expect(model.checkpoint.tokenizer.encode(prompt, addSpecialTokens: false).map(Int.init)
                == reference["prompt_ids"]?.arrayValue?.compactMap(\.intValue))
        let answer = try await model.generate(question, options: GenerateOptions())
        let f32 = try #require(reference["f32_text"]?.stringValue)
        #expect(answer.text == f32)
        // mlx_lm.generate itself runs in bf16 activations, which move the logits by ~2 over 30 layers: its first
        // token ("Le") is f32's runner-up (f32: "L" 22.68, "Le" 22.46; bf16: "Le" 24.38, "The" 23.88), so the
        // texts part at token 0. Check that mlx-lm's bf16 first token is among our top 3 there.
        let theirs = (reference["tokens"]?.arrayValue ?? []).compactMap(\.intValue)
        let promptIDs = (reference["prompt_ids"]?.arrayValue ?? []).compactMap { $0.intValue.map(Int32.init) }
        let session = try InferenceSession(model: model.checkpoint.model, contextLength: 128)
        try session.prefill(promptIDs)
        let top3 = session.logits.indices.sorted { session.logits[$0] > session.logits[$1] }.prefix(3)
        #expect(top3.contains(try #require(theirs.first)), "mlx-lm bf16 first token \(theirs.first ?? -1), our top 3 \(Array(top3))")
        print("MLX SmolLM2 4-bit: ours \(String(reflecting: answer.text ?? "")); mlx_lm bf16 \(String(reflecting: reference["text"]?.stringValue ?? ""))")
    }
}

@Suite("MLXModel structured generation on the real SmolLM2-135M MLX 4-bit checkpoint")
struct MLXModelStructuredTests {
    private static let addTool = Tool(
        name: "add", description: "Add two integers.",
        inputs: ["a": ["type": "integer", "description": "First term."], "b": ["type": "integer", "description": "Second term."]],
        outputType: "integer")

    @Test("json_schema answers at temp 1 validate with jsonschema, and a forced tool call is valid: mlx-lm's sampler, the same constraint")
    func schemasAndToolCalls() async throws {
        let model = try MLXModel(modelID: try MLXModelSmolLM2Tests.folder(), parameters: ["max_tokens": 96])
        let fixture = try JSONValue(parsing: FixturePaths.data(FixturePaths.fixture("structured/schemas.json")))
        var cases: [JSONValue] = []
        var total = 0
        // Every fifth schema of the fixture (nested objects, arrays, enums, anyOf, nullable, numbers) × 2 seeds.
        for (index, entry) in (fixture.arrayValue ?? []).enumerated() where index % 5 == 0 {
            let name = try #require(entry["name"]?.stringValue), schema = try #require(entry["schema"])
            let prompt = try #require(entry["prompt"]?.stringValue)
            var outputs: [JSONValue] = []
            for seed in 1...2 {
                let answer = try await model.generate(
                    [ChatMessage(role: .user, text: prompt + " Answer in JSON.")],
                    options: GenerateOptions(responseFormat: .jsonSchema(name: name, schema: schema),
                                             parameters: ["temp": 1, "seed": .int(seed)]))
                #expect(answer.finishReason == "stop", "\(name) seed \(seed): \(answer.text ?? "")")
                outputs.append(.string(answer.text ?? ""))
                total += 1
            }
            cases.append(["name": .string(name), "schema": schema, "outputs": .array(outputs)])
        }
        #expect(total >= 12)
        let (checked, failures) = try validateWithJSONSchema(cases)
        #expect(checked == total)
        #expect(failures.isEmpty, "\(failures)")

        let call = try await model.generate([ChatMessage(role: .user, text: "Add 2 and 3.")],
                                            options: GenerateOptions(tools: [Self.addTool], toolChoice: .required,
                                                                     parameters: ["temp": 1, "seed": 7]))
        let made = try #require(call.toolCalls?.first, "no tool call in \(call.text ?? "")")
        #expect(made.function.name == "add")
        let (toolChecked, toolFailures) = try validateWithJSONSchema([[
            "name": "tools", "tools": ["add": Self.addTool.jsonSchema["function"]?["parameters"] ?? .null],
            "calls": [["name": "add", "arguments": made.function.arguments]],
        ]])
        #expect(toolChecked == 1)
        #expect(toolFailures.isEmpty, "\(toolFailures)")
    }
}
