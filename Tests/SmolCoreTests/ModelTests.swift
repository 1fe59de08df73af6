import Foundation
import Testing

@testable import SmolCore

@Suite("The Model protocol, CustomModel and completion parameters")
struct ModelTests {
    private let hello = [ChatMessage(role: .user, text: "Hello")]

    @Test("CustomModel calls the closure with the messages and stop sequences")
    func customModelCallsClosure() async throws {
        let model = CustomModel(modelID: "echo") { messages, stops in
            ChatMessage(role: .assistant, content: .text("\(messages.count) \(stops?.first?.count ?? 0)"))
        }
        let answer = try await model(hello, stopSequences: ["<END>"])
        #expect(answer.text == "1 5")
        #expect(model.modelID == "echo")
    }

    @Test("CustomModel trims an answer that runs past a stop sequence")
    func customModelTrims() async throws {
        let model = CustomModel { _, _ in
            ChatMessage(role: .assistant, content: .text("This is some text<STOP>and this should be removed"))
        }
        #expect(try await model.generate(hello, stopSequences: ["<STOP>"]).text == "This is some text")
        let blocks = CustomModel { _, _ in
            ChatMessage(role: .assistant, content: [.text("a"), .text("b<STOP>c"), .text("d")])
        }
        #expect(try await blocks.generate(hello, stopSequences: ["<STOP>"]).content == [.text("a"), .text("b")])
    }

    @Test("a model that cannot stream yields its whole answer as one delta")
    func defaultStream() async throws {
        let call = ChatMessageToolCall(id: "c", function: .init(name: "f", arguments: ["x": 1]))
        let model = CustomModel { _, _ in
            ChatMessage(role: .assistant, content: "done", toolCalls: [call], tokenUsage: TokenUsage(inputTokens: 2, outputTokens: 3))
        }
        var deltas: [ChatMessageStreamDelta] = []
        for try await delta in model.generateStream(hello) { deltas.append(delta) }
        #expect(deltas.count == 1)
        let message = try agglomerateStreamDeltas(deltas)
        #expect(message.text == "done")
        #expect(message.toolCalls?.first?.function.arguments == #"{"x": 1}"#)
        #expect(message.tokenUsage?.totalTokens == 5)
        #expect(!model.streamsIncrementally)
    }

    @Test("errors from the closure reach the stream's consumer")
    func streamErrors() async {
        let model = CustomModel { _, _ in throw ModelError.http(status: 500, message: "boom") }
        do {
            for try await _ in model.generateStream(hello) {}
            Issue.record("the stream should fail")
        } catch {
            #expect(error as? ModelError == .http(status: 500, message: "boom"))
        }
    }

    @Test("model-level parameters beat per-call ones; remove drops a key (smolagents vector 1)")
    func parameterPrecedence() throws {
        let first = try prepareCompletionParameters(
            messages: hello, options: GenerateOptions(parameters: ["max_tokens": 50, "top_p": 0.9]), modelID: nil,
            modelParameters: ["max_tokens": 100, "temperature": 0.5])
        #expect(first["max_tokens"] == 100)
        #expect(first["temperature"] == 0.5)
        #expect(first["top_p"] == 0.9)
        let second = try prepareCompletionParameters(
            messages: hello, options: GenerateOptions(parameters: ["max_tokens": 200, "top_p": 0.8]), modelID: nil,
            modelParameters: ["max_tokens": .remove, "temperature": 0.7])
        #expect(second["max_tokens"] == nil)
        #expect(second["temperature"] == 0.7)
        #expect(second["top_p"] == 0.8)
    }

    @Test("stop is sent only to models that accept it (smolagents vector 3)")
    func stopParameter() throws {
        let regular = try prepareCompletionParameters(
            messages: hello, options: GenerateOptions(stopSequences: ["stop1", "stop2"]), modelID: "regular-model")
        #expect(regular["stop"] == ["stop1", "stop2"])
        for id in ["openai/o3", "openai/o4-mini", "something/else/o3", "something/else/o4-mini", "o3", "o4-mini"] {
            let prepared = try prepareCompletionParameters(
                messages: hello, options: GenerateOptions(stopSequences: ["stop1"]), modelID: id)
            #expect(prepared["stop"] == nil, "\(id)")
        }
        #expect(try prepareCompletionParameters(messages: hello, modelID: "regular-model")["stop"] == nil)
    }

    @Test("tool_choice defaults to required only when tools are given (smolagents vector 4)")
    func toolChoiceDefaults() throws {
        let tool = Tool(name: "valid_tool_function", description: "d", inputs: ["input": ["type": "string", "description": "i"]])
        func choice(_ tools: [Tool]?, _ choice: ToolChoice?) throws -> JSONValue? {
            try prepareCompletionParameters(messages: hello, options: GenerateOptions(tools: tools, toolChoice: choice),
                                            modelID: nil)["tool_choice"]
        }
        #expect(try choice([tool], nil) == "required")
        #expect(try choice([tool], .auto) == "auto")
        #expect(try choice([tool], .custom("valid_tool_function")) == "valid_tool_function")
        #expect(try choice([tool], .function("valid_tool_function"))
            == ["type": "function", "function": ["name": "valid_tool_function"]])
        #expect(try choice([tool], .unspecified) == nil)
        for other in [ToolChoice.required, .auto, .unspecified] { #expect(try choice(nil, other) == nil) }
        #expect(try choice([], .required) == nil)
    }

    @Test("keys come out in smolagents' order and a per-call flatten flag is honoured, not sent")
    func keyOrderAndFlatten() throws {
        let prepared = try prepareCompletionParameters(
            messages: hello + [ChatMessage(role: .user, text: "again")],
            options: GenerateOptions(stopSequences: ["s"], responseFormat: .jsonObject,
                                     parameters: ["flatten_messages_as_text": true, "seed": 1]),
            modelID: "m", extraParameters: ["model": "m"])
        #expect(prepared.keys == ["messages", "stop", "response_format", "model", "seed"])
        #expect(prepared["messages"] == [["role": "user", "content": "Hello\nagain"]])
        #expect(throws: ModelError.self) {
            try prepareCompletionParameters(messages: hello, options: GenerateOptions(parameters: ["flatten_messages_as_text": 1]),
                                            modelID: nil)
        }
    }

    @Test("a custom role mapping replaces the tool defaults, as in smolagents")
    func customRoleConversions() throws {
        let messages = [ChatMessage(role: .user, content: "Test message"), ChatMessage(role: .toolCall, text: "call")]
        let prepared = try prepareCompletionParameters(messages: messages, modelID: nil, roleConversions: [.user: .system])
        #expect(prepared["messages"]?[0]?["role"] == "system")
        #expect(prepared["messages"]?[1]?["role"] == "tool-call")
    }

    @Test("supports_stop_parameter matches smolagents' list (vector 15)")
    func stopSupportList() {
        let rejecting = ["o3", "o4-mini", "gpt-5.1", "gpt-5.2", "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-turbo", "gpt-5.2-mini",
                         "grok-4", "grok-4-latest", "grok-4.1", "grok-3", "grok-3-mini", "grok-code-fast-1", "o4-mini-2025-04-16",
                         "gpt-5-2025-01-01", "openai/o3", "openai/o4-mini", "openai/o3-2025-04-16", "openai/o4-mini-2025-04-16",
                         "openai/gpt-5.2", "openai/gpt-5.2-mini", "openai/gpt-5.2-2025-01-01", "oci/xai.grok-4",
                         "oci/xai.grok-3-mini", "gpt-5x", "gpt-50", "o3-mini-2025-01-31", "o3.5", "o3\n"]
        let accepting = ["o3-mini", "gpt-4", "claude-3-5-sonnet", "mistral-large", "openai/gpt-4", "anthropic/claude-3-5-sonnet",
                         "anthropic/claude-opus-4-5", "mistralai/mistral-large", "", "o3x", "o4x", "o3_mini", "prefix-o3",
                         "o1", "o1-mini", "gpt-4.1", "Grok-4", "grok", "grok-", "x.y.grok-4", "o3\n\n", "gpt-5\nx"]
        for id in rejecting { #expect(!supportsStopParameter(id), "\(id.debugDescription)") }
        for id in accepting { #expect(supportsStopParameter(id), "\(id.debugDescription)") }
    }

    @Test("the stop-support port agrees with smolagents' own supports_stop_parameter on generated names")
    func stopSupportAgainstSmolagents() async throws {
        let cache = ProcessInfo.processInfo.environment["SMOL_CACHE"] ?? (NSHomeDirectory() + "/.cache/swift-smolagents")
        let python = cache + "/venv-sdk/bin/python"
        guard FileManager.default.isExecutableFile(atPath: python) else {
            Issue.record("smolagents is not installed at \(python): run scripts/oracles/setup.sh sdk")
            return
        }
        var rng = SplitMix(seed: 42)
        let pieces = ["o3", "o4", "gpt-5", "grok-", "xai.", "-", ".", "_", "mini", "a", "Z", "9", "/", "\n", "é", "o1"]
        var names = Set<String>()
        while names.count < 600 {
            names.insert((0..<Int.random(in: 1...5, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined())
        }
        let ordered = names.sorted()
        let input = JSONEmitter().string(from: .array(ordered.map(JSONValue.string)))
        let script = """
            import json, sys
            from smolagents.models import supports_stop_parameter
            print(json.dumps([supports_stop_parameter(m) for m in json.loads(sys.stdin.read())]))
            """
        let output = try await runPython(script, input: input, python: python)
        let expected = try JSONValue(parsing: output)
        #expect(expected == .array(ordered.map { .bool(supportsStopParameter($0)) }))
    }
}

/// Runs a Python snippet (the oracle) with `input` on standard input and returns its standard output.
/// `python` is an interpreter name looked up on PATH or a path (a virtualenv's `bin/python`).
func runPython(_ script: String, input: String, python: String = "python3") async throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [python, "-c", script]
    let stdin = Pipe(), stdout = Pipe(), stderr = Pipe()
    process.standardInput = stdin
    process.standardOutput = stdout
    process.standardError = stderr
    try process.run()
    stdin.fileHandleForWriting.write(Data(input.utf8))
    try stdin.fileHandleForWriting.close()
    async let out = ProcessIO.readToEnd(stdout.fileHandleForReading)
    async let err = ProcessIO.readToEnd(stderr.fileHandleForReading)
    let (output, errors) = await (out, err)
    await ProcessIO.waitForExit(process)
    guard process.terminationStatus == 0 else {
        throw ConformanceFailure("\(python) failed (\(process.terminationStatus)): \(String(decoding: errors, as: UTF8.self))")
    }
    return String(decoding: output, as: UTF8.self)
}

@Suite("Typed generation parameters")
struct GenerationParametersTests {
    @Test("typed fields become the snake_case parameters backends read, after the JSON extras, and win over them")
    func typedFieldsBecomeJSON() {
        let typed = GenerationParameters(maxTokens: 40, temperature: 0, topK: 5, seed: 7, doSample: true,
                                         extra: ["logprobs": true, "temperature": 1.5])
        #expect(typed.jsonObject == ["logprobs": true, "temperature": 0.0, "max_tokens": 40, "top_k": 5, "seed": 7,
                                     "do_sample": true])
        #expect(Array(typed.jsonObject.keys) == ["logprobs", "temperature", "max_tokens", "top_k", "seed", "do_sample"])
        #expect(GenerationParameters().jsonObject.isEmpty)
        let options = GenerateOptions(stopSequences: ["x"], generation: GenerationParameters(topP: 0.9))
        #expect(options.parameters == ["top_p": 0.9] && options.stopSequences == ["x"])
        #expect(ModelParameters(GenerationParameters(minP: 0.1))["min_p"] == .value(0.1))
    }

    @Test("typed per-call parameters reach the model as the JSON parameters")
    func typedParametersReachTheModel() async throws {
        let model = CustomModel.withOptions { _, options in
            ChatMessage(role: .assistant, text: JSONEmitter().string(from: .object(options.parameters)))
        }
        let answer = try await model.generate([ChatMessage(role: .user, text: "hi")],
                                              options: GenerateOptions(generation: GenerationParameters(maxTokens: 3, seed: 2)))
        #expect(answer.text == #"{"max_tokens": 3, "seed": 2}"#)
    }
}
