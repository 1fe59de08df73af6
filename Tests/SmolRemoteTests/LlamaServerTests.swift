import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// The real servers `scripts/oracles/servers.sh` starts (the README's test command starts them):
/// llama-cpp-python on the real SmolLM2-135M GGUF, and the LiteLLM proxy in front of it.
enum RealServers {
    struct Environment: Sendable {
        var llamaBase: String
        var litellmBase: String
        var litellmKey: String
        var python: String
        var referenceScript: String
    }

    static let cache = ProcessInfo.processInfo.environment["SMOL_CACHE"]
        ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/swift-smolagents"

    /// Reads `servers.env`; a missing file fails the test with the command that fixes it.
    static func environment() throws -> Environment {
        let state = ProcessInfo.processInfo.environment["SMOL_STATE"] ?? cache + "/run"
        guard let data = FileManager.default.contents(atPath: state + "/servers.env") else {
            throw ConformanceError("the real test servers are not running: run `bash scripts/test.sh` (it installs and starts them) or `bash scripts/oracles/servers.sh start`")
        }
        var values: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let parts = line.split(separator: "=", maxSplits: 1).map(String.init)
            if parts.count == 2 { values[parts[0]] = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"'")) }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return Environment(
            llamaBase: values["SMOL_LLAMA_BASE"] ?? "http://127.0.0.1:18081/v1",
            litellmBase: values["SMOL_LITELLM_BASE"] ?? "http://127.0.0.1:18082/v1",
            litellmKey: values["SMOL_LITELLM_KEY"] ?? "",
            python: cache + "/venv-sdk/bin/python",
            referenceScript: root.path + "/scripts/oracles/record_openai_sdk_reference.py")
    }

    /// What the official openai SDK receives for the reference scenarios (computed once per run).
    static func reference(base: String, apiKey: String = "none") async throws -> JSONValue {
        let env = try environment()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: env.python)
        process.arguments = [env.referenceScript, base, "--api-key", apiKey]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        async let out = SmolCommand.readToEnd(output.fileHandleForReading)
        async let err = SmolCommand.readToEnd(errors.fileHandleForReading)
        let (data, problems) = await (out, err)
        await SmolCommand.waitForExit(process)
        guard process.terminationStatus == 0 else {
            throw ConformanceError("the openai SDK reference failed: \(String(decoding: problems, as: UTF8.self))")
        }
        return try JSONValue(parsing: data)
    }
}

struct ConformanceError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

private let question = [ChatMessage(role: .user, content: "What is the capital of France?")]
private let greedy: JSONObject = ["temperature": 0, "seed": 1, "max_tokens": 24]
private let weather = Tool(name: "get_weather", description: "Get the current weather for a city.",
                           inputs: ["city": ["type": "string", "description": "The city name."]], outputType: "string")

/// One serialized parent: llama-cpp-python's server runs one generation at a time (a new streamed
/// request interrupts the running one), so the real-server suites must never overlap.
@Suite("Real servers", .serialized)
enum RealServerTests {}

extension RealServerTests {
@Suite("OpenAIServerModel against a real llama.cpp server")
struct LlamaServerTests {
    let env: RealServers.Environment
    let model: OpenAIServerModel

    init() throws {
        env = try RealServers.environment()
        // llama-cpp-python 0.3.36 sometimes ends a stream after its first chunk when the stream reuses a
        // kept-alive connection (its log: "Disconnected from client"); fresh connections avoid that server bug.
        model = try OpenAIServerModel(modelID: "smollm2", apiBase: env.llamaBase, apiKey: "none",
                                      headers: ["Connection": "close"], environment: [:])
    }

    private func collect(_ stream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>) async throws -> ChatMessage {
        var deltas: [ChatMessageStreamDelta] = []
        for try await delta in stream { deltas.append(delta) }
        return try agglomerateStreamDeltas(deltas)
    }

    @Test("greedy generate gives exactly what the official openai SDK receives, usage included")
    func generateMatchesSDK() async throws {
        let reference = try await RealServers.reference(base: env.llamaBase)
        let answer = try await model.generate(question, parameters: greedy)
        #expect(answer.text == reference["plain"]?["content"]?.stringValue)
        #expect(answer.tokenUsage?.inputTokens == reference["plain"]?["usage"]?["prompt_tokens"]?.intValue)
        #expect(answer.tokenUsage?.outputTokens == reference["plain"]?["usage"]?["completion_tokens"]?.intValue)
        #expect((answer.tokenUsage?.inputTokens ?? 0) > 0)
        #expect(answer.finishReason == reference["plain"]?["finish_reason"]?.stringValue)
    }

    @Test("a streamed greedy answer is identical to the non-streamed one")
    func streamEqualsGenerate() async throws {
        let whole = try await model.generate(question, parameters: greedy)
        let streamed = try await collect(model.generateStream(question, parameters: greedy))
        #expect(streamed.text == whole.text)
        #expect(!(streamed.text ?? "").isEmpty)
    }

    @Test("stop sequences cut the answer, server-side or client-side, streamed or not")
    func stopSequences() async throws {
        let whole = try #require(try await model.generate(question, parameters: greedy).text)
        // A stop taken from the middle of the greedy answer, so the cut is known in advance.
        let scalars = Array(whole.unicodeScalars)
        try #require(scalars.count > 8)
        let stop = String(String.UnicodeScalarView(scalars[(scalars.count / 2)..<(scalars.count / 2 + 3)]))
        let expected = removeContentAfterStopSequences(whole, stopSequences: [stop])
        let server = try await model.generate(question, stopSequences: [stop], parameters: greedy)
        #expect(server.text == expected)
        let serverStream = try await collect(model.generateStream(question, stopSequences: [stop], parameters: greedy))
        #expect(serverStream.text == expected)
        // "o3" does not accept `stop`: the library must not send it and must cut the text itself.
        let o3 = try OpenAIServerModel(modelID: "o3", apiBase: env.llamaBase, apiKey: "none",
                                       headers: ["Connection": "close"], environment: [:])
        #expect(try await o3.generate(question, stopSequences: [stop], parameters: greedy).text == expected)
        let clientStream = try await collect(o3.generateStream(question, stopSequences: [stop], parameters: greedy))
        #expect(clientStream.text == expected)
    }

    @Test("a forced tool call is parsed into toolCalls, whole and streamed, as the SDK sees it")
    func forcedToolCall() async throws {
        let reference = try await RealServers.reference(base: env.llamaBase)
        let ask = [ChatMessage(role: .user, content: "What is the weather in Paris?")]
        let parameters: JSONObject = ["temperature": 0, "seed": 1, "max_tokens": 48]
        let answer = try await model.generate(ask, toolsToCallFrom: [weather], toolChoice: .function("get_weather"),
                                              parameters: parameters)
        let call = try #require(answer.toolCalls?.first)
        #expect(call.function.name == "get_weather")
        #expect(call.function.arguments == reference["tool"]?["tool_calls"]?[0]?["function"]?["arguments"])
        let streamed = try await collect(model.generateStream(ask, toolsToCallFrom: [weather],
                                                              toolChoice: .function("get_weather"), parameters: parameters))
        #expect(streamed.toolCalls?.first?.function.name == "get_weather")
        #expect(streamed.toolCalls?.first?.function.arguments
            == reference["tool-stream"]?["tool_calls"]?[0]?["function"]?["arguments"])
    }

    @Test("cancelling a stream frees the connection: the next request is served at once")
    func cancelledStreamFreesConnection() async throws {
        let long: JSONObject = ["temperature": 0, "seed": 1, "max_tokens": 1500]
        let clock = ContinuousClock()
        let start = clock.now
        let consumer = Task {
            var count = 0
            for try await _ in model.generateStream(question, parameters: long) {
                count += 1
                if count == 2 { break }
            }
            return count
        }
        #expect(try await consumer.value == 2)
        let answer = try await model.generate(question, parameters: ["temperature": 0, "max_tokens": 4])
        #expect(answer.text != nil)
        // 1,500 tokens take many seconds on this CPU; a freed connection lets the server stop early.
        #expect(clock.now - start < .seconds(30))
    }

    @Test("50 concurrent requests all succeed")
    func fiftyConcurrentRequests() async throws {
        let answers = try await withThrowingTaskGroup(of: ChatMessage.self) { group in
            for index in 0..<50 {
                group.addTask {
                    try await model.generate([ChatMessage(role: .user, content: .text("Say \(index)"))],
                                             parameters: ["temperature": 0, "max_tokens": 3])
                }
            }
            return try await group.reduce(into: [ChatMessage]()) { $0.append($1) }
        }
        #expect(answers.count == 50)
        #expect(answers.allSatisfy { ($0.tokenUsage?.outputTokens ?? 0) > 0 })
    }
}

@Suite("OpenAIServerModel through the LiteLLM proxy")
struct LiteLLMProxyTests {
    @Test("generate and stream work through the proxy, and the stream carries the usage chunk")
    func throughTheProxy() async throws {
        let env = try RealServers.environment()
        let model = try OpenAIServerModel(modelID: "smollm2", apiBase: env.litellmBase, apiKey: env.litellmKey,
                                          environment: [:])
        let answer = try await model.generate(question, parameters: greedy)
        #expect(!(answer.text ?? "").isEmpty)
        var deltas: [ChatMessageStreamDelta] = []
        for try await delta in model.generateStream(question, parameters: greedy) { deltas.append(delta) }
        let streamed = try agglomerateStreamDeltas(deltas)
        #expect(streamed.text == answer.text)
        #expect(deltas.contains { $0.tokenUsage != nil })
        #expect((streamed.tokenUsage?.outputTokens ?? 0) > 0)
    }

    @Test("a wrong key is an HTTP error whose text never shows the key")
    func wrongKey() async throws {
        let env = try RealServers.environment()
        let model = try OpenAIServerModel(modelID: "smollm2", apiBase: env.litellmBase, apiKey: "sk-wrong-key-1234567",
                                          retry: .none, environment: [:])
        do {
            _ = try await model.generate(question, parameters: greedy)
            Issue.record("a wrong key must fail")
        } catch let error as ModelError {
            #expect(error.status != nil)
            #expect(!"\(error)".contains("sk-wrong-key-1234567"))
            if case .http(_, _, _, let body?) = error { #expect(!body.contains("sk-wrong-key-1234567")) }
        }
    }
}
}
