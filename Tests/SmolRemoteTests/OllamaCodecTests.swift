import Foundation
import NIOCore
import SmolCore
import Testing

@testable import SmolRemote

/// The Ollama fixtures recorded from the official `ollama` Python client (`scripts/oracles/record_ollama_golden.py`).
enum OllamaGolden {
    static let folder = GoldenFixtureFolder(path: "Fixtures/ollama")

    static func scenarioNames() -> [String] { folder.scenarioNames() }

    static func load(_ name: String) throws -> JSONValue { try folder.load(name) }

    static func responses() throws -> JSONValue { try load("_responses") }

    static func text(_ key: String) throws -> [UInt8] {
        Array(try #require(try responses()[key]?.stringValue).utf8)
    }

    /// `body` fed through a fresh chat framing in `size`-byte chunks, then finished.
    static func deltas(_ body: [UInt8], size: Int) throws(ModelError) -> [ChatMessageStreamDelta] {
        var framing = OllamaFraming<OllamaChatLines>()
        var deltas: [ChatMessageStreamDelta] = []
        for chunk in AnthropicGolden.chunks(body, size: size) {
            deltas += try framing.push(ByteBuffer(bytes: chunk).readableBytesView)
        }
        deltas += try framing.finish()
        return deltas
    }

    /// What the `ollama` client parsed from the canned stream, accumulated: text, thinking, tool calls
    /// (name and arguments object) and the last line's counters and done reason.
    static func sdkStream() throws -> (text: String, thinking: String, calls: [(String, JSONValue)], usage: TokenUsage,
                                       reason: String?) {
        let lines = try #require(try responses()["sdk_stream"]?.arrayValue)
        var text = "", thinking = ""
        var calls: [(String, JSONValue)] = []
        for line in lines {
            text += line["message"]?["content"]?.stringValue ?? ""
            thinking += line["message"]?["thinking"]?.stringValue ?? ""
            for call in line["message"]?["tool_calls"]?.arrayValue ?? [] {
                calls.append((call["function"]?["name"]?.stringValue ?? "", call["function"]?["arguments"] ?? .null))
            }
        }
        let last = try #require(lines.last)
        return (text, thinking, calls,
                TokenUsage(inputTokens: last["prompt_eval_count"]?.intValue ?? -1, outputTokens: last["eval_count"]?.intValue ?? -1),
                last["done_reason"]?.stringValue)
    }

    /// The canned reply for a recorded request: the message, or the NDJSON stream.
    static func reply(to request: RecordedRequest) -> TestResponse {
        let responses = (try? responses()) ?? .null
        if request.json?["stream"] == false {
            return .json(responses["message"] ?? .null)
        }
        let body = Array((responses["stream_ndjson"]?.stringValue ?? "").utf8)
        return .chunks(headers: [("content-type", "application/x-ndjson")], AnthropicGolden.chunks(body, size: 5))
    }
}

@Suite("Ollama /api/chat codec and NDJSON stream")
struct OllamaCodecTests {
    @Test("LiteLLMModel(\"ollama_chat/…\") sends what the ollama client sends: path, headers, body",
          arguments: OllamaGolden.scenarioNames())
    func requestMatchesClient(name: String) async throws {
        let fixture = try OllamaGolden.load(name)
        let swift = try #require(fixture["swift"])
        let expected = try #require(fixture["request"])
        try await withTestServer({ OllamaGolden.reply(to: $0) }) { server in
            let model = try LiteLLMModel(modelID: "ollama_chat/" + (swift["model"]?.stringValue ?? ""),
                                         environment: ["OLLAMA_API_BASE": server.baseURL,
                                                       "OLLAMA_API_KEY": "ollama-test-key"])
            let options = try GeminiGolden.options(swift)
            let messages = try AnthropicGolden.messages(swift)
            if fixture["stream"] == true {
                for try await _ in model.generateStream(messages, options: options) {}
            } else {
                _ = try await model.generate(messages, options: options)
            }
            let request = try #require(server.requests.first)
            #expect(request.method == expected["method"]?.stringValue)
            #expect(request.path == expected["path"]?.stringValue)
            for (header, value) in expected["headers"]?.objectValue ?? [:] {
                #expect(request.headers[header] == value.stringValue, "\(name): header \(header)")
            }
            let differences = jsonDifferences(expected: expected["body"], actual: request.json, path: "body")
            #expect(differences.isEmpty, "\(name):\n\(differences.joined(separator: "\n"))")
        }
    }

    @Test("the golden scenarios are present")
    func scenariosArePresent() {
        #expect(OllamaGolden.scenarioNames().count >= 8)
    }

    @Test("a reply decodes as the ollama client parsed it: text, thinking, object arguments as JSON text, usage")
    func decodesReplyLikeClient() throws {
        let responses = try OllamaGolden.responses()
        let message = try OllamaCodec.decodeChatResponse(JSONEmitter().bytes(from: try #require(responses["message"])))
        let sdk = try #require(responses["sdk_message"])
        #expect(message.text == sdk["message"]?["content"]?.stringValue)
        #expect(message.reasoningContent == sdk["message"]?["thinking"]?.stringValue)
        let sdkCalls = try #require(sdk["message"]?["tool_calls"]?.arrayValue)
        #expect(message.toolCalls?.map(\.function.name) == sdkCalls.map { $0["function"]?["name"]?.stringValue ?? "" })
        for (call, sdkCall) in zip(message.toolCalls ?? [], sdkCalls) {
            guard case .string(let text) = call.function.arguments else {
                Issue.record("arguments must be raw JSON text, got \(call.function.arguments)")
                continue
            }
            #expect(try JSONValue(parsing: text) == sdkCall["function"]?["arguments"])
        }
        #expect(message.toolCalls?.map(\.id) == ["call_0", "call_1"])
        #expect(message.tokenUsage == TokenUsage(inputTokens: sdk["prompt_eval_count"]?.intValue ?? -1,
                                                 outputTokens: sdk["eval_count"]?.intValue ?? -1))
        #expect(message.finishReason == sdk["done_reason"]?.stringValue)
    }

    @Test("a stream cut into pieces of any size (inside UTF-8 too) yields what the client parsed",
          arguments: [1, 2, 3, 5, 7, 64, 1 << 20])
    func streamInAnyChunks(size: Int) throws {
        let deltas = try OllamaGolden.deltas(try OllamaGolden.text("stream_ndjson"), size: size)
        let message = try agglomerateStreamDeltas(deltas)
        let sdk = try OllamaGolden.sdkStream()
        #expect(message.text == sdk.text)
        #expect(message.reasoningContent == sdk.thinking)
        #expect(message.toolCalls?.map(\.function.name) == sdk.calls.map(\.0))
        #expect(message.toolCalls?.map { parseJSONIfNeeded($0.function.arguments) } == sdk.calls.map(\.1))
        #expect(message.tokenUsage == sdk.usage)
        #expect(message.finishReason == sdk.reason)
        #expect(deltas.compactMap(\.tokenUsage).count == 1)
    }

    @Test("through a loopback NDJSON server, streamed and not, the answers agree with the client's parse")
    func generateAndStreamOverHTTP() async throws {
        try await withTestServer({ OllamaGolden.reply(to: $0) }) { server in
            let model = try LiteLLMModel(modelID: "ollama_chat/llama3.2", apiBase: server.baseURL, environment: [:])
            let question = [ChatMessage(role: .user, text: "Hi")]
            let answer = try await model.generate(question)
            #expect(answer.text == "Let me look that up. ☀️")
            #expect(answer.toolCalls?.count == 2)
            #expect(answer.tokenUsage == TokenUsage(inputTokens: 31, outputTokens: 17))
            var deltas: [ChatMessageStreamDelta] = []
            for try await delta in model.generateStream(question) { deltas.append(delta) }
            let streamed = try agglomerateStreamDeltas(deltas)
            let sdk = try OllamaGolden.sdkStream()
            #expect(streamed.text == sdk.text)
            #expect(streamed.toolCalls?.map(\.function.name) == sdk.calls.map(\.0))
            #expect(streamed.tokenUsage == sdk.usage)
            #expect(server.requests.allSatisfy { $0.headers["authorization"] == nil })  // no key, no header
        }
    }

    @Test("an error line mid-stream is a stream error with the line, after the text before it")
    func errorLineIsTypedError() async throws {
        let responses = try OllamaGolden.responses()
        let body = Array(try #require(responses["error_ndjson"]?.stringValue).utf8)
        let sdkError = try #require(responses["sdk_error"]?["error"]?.stringValue)
        try await withTestServer({ _ in .chunks(headers: [("content-type", "application/x-ndjson")], [body]) }) { server in
            let model = try LiteLLMModel(modelID: "ollama_chat/llama3.2", apiBase: server.baseURL, environment: [:])
            var received = ""
            do {
                for try await delta in model.generateStream([ChatMessage(role: .user, text: "Hi")]) {
                    received += delta.content ?? ""
                }
                Issue.record("the error line must end the stream with an error")
            } catch let error as ModelError {
                guard case .stream(let message, let payload, let partial) = error else {
                    Issue.record("expected a stream error, got \(error)")
                    return
                }
                #expect(message.contains(sdkError))
                #expect(payload?.contains(sdkError) == true)
                #expect(partial == "Par")
            }
            #expect(received == "Par")  // what the client yielded before raising
        }
    }

    @Test("a stream that ends without its done line is an error, never a short answer",
          arguments: [false, true])
    func truncatedStreamIsError(midLine: Bool) throws {
        var lines = String(decoding: try OllamaGolden.text("stream_ndjson"), as: UTF8.self)
            .split(separator: "\n").map(String.init)
        lines.removeLast()
        var body = lines.joined(separator: "\n") + "\n"
        if midLine { body += #"{"model":"llama3.2","message":{"role":"assistant","content":"cut"# }
        #expect {
            _ = try OllamaGolden.deltas(Array(body.utf8), size: 4)
        } throws: { error in
            guard case .stream(let message, _, _) = error as? ModelError else { return false }
            return message.contains("done: true") && (!midLine || message.contains("middle of a line"))
        }
    }

    @Test("an HTTP error reply with Ollama's {\"error\"} body is a typed HTTP error carrying the message")
    func httpErrorReply() async throws {
        try await withTestServer({ _ in .json(["error": "model \"nope\" not found, try pulling it first"], status: 404) }) { server in
            let model = try LiteLLMModel(modelID: "ollama_chat/nope", apiBase: server.baseURL, environment: [:])
            do {
                _ = try await model.generate([ChatMessage(role: .user, text: "Hi")])
                Issue.record("a 404 must throw")
            } catch let error as ModelError {
                #expect(error.status == 404)
                #expect(error.description.contains("not found"))
            }
        }
    }

    @Test("the NDJSON splitter handles CRLF, blank lines, a last line without newline and split characters")
    func ndjsonSplitter() throws {
        var parser = NDJSONParser()
        let text = Array("{\"a\":\"é☀️\"}\r\n\n  \n{\"b\":1}\n{\"c\":2}".utf8)
        var lines: [String] = []
        for byte in text { lines += try parser.push(ByteBuffer(bytes: [byte]).readableBytesView) }
        #expect(lines == [#"{"a":"é☀️"}"#, #"{"b":1}"#])
        #expect(parser.hasIncompleteLine)
        #expect(try parser.finish() == [#"{"c":2}"#])
    }

    @Test("tool choice: none sends no tools, a named function only that tool, an unknown name is an error")
    func toolChoiceMapping() throws {
        let weather = try Tool(json: ["name": "get_weather", "description": "w", "inputs": [:], "output_type": "string"])
        let final = try Tool(json: ["name": "final_answer", "description": "f", "inputs": [:], "output_type": "any"])
        let messages = [ChatMessage(role: .user, text: "Hi")]
        func body(_ choice: ToolChoice) throws -> JSONObject {
            try OllamaCodec.chatRequestBody(model: "m", messages: messages,
                                            options: GenerateOptions(tools: [weather, final], toolChoice: choice), stream: false)
        }
        #expect(try body(.none)["tools"] == [])
        #expect(try body(.function("final_answer"))["tools"]?.arrayValue?.count == 1)
        #expect(try body(.required)["tools"]?.arrayValue?.count == 2)
        #expect(throws: ModelError.self) { try body(.function("nope")) }
    }

    @Test("an image URL is refused up front (Ollama takes bytes), a data URL is sent as base64")
    func imageURLs() throws {
        let url = ChatMessage(role: .user, content: .parts([.image(.url("https://example.com/cat.png"))]))
        #expect(throws: ModelError.self) {
            try OllamaCodec.chatRequestBody(model: "m", messages: [url], options: GenerateOptions(), stream: false)
        }
        let data = ChatMessage(role: .user, content: .parts([.image(.url("data:image/png;base64,AAAA")), .text("what?")]))
        let body = try OllamaCodec.chatRequestBody(model: "m", messages: [data], options: GenerateOptions(), stream: false)
        #expect(body["messages"]?[0]?["images"] == ["AAAA"])
    }
}
