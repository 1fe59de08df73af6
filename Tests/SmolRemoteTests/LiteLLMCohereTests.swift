import Foundation
import NIOCore
import SmolCore
import Testing

@testable import SmolRemote

/// `cohere/` (v2 chat) against `litellm.completion` itself (scripts/oracles/record_litellm_cohere.py).
@Suite("LiteLLMModel's cohere/ requests equal litellm.completion's")
struct LiteLLMCohereTests {
    static let folder = GoldenFixtureFolder(path: "Fixtures/litellm-cohere")

    /// Cohere's finish reasons as LiteLLM's `map_finish_reason` names them (LiteLLM's own v2 transform reports
    /// "stop" for every non-streamed reply; see CohereCodec).
    static let finishReasons = ["text": "stop", "tools": "tool_calls", "tool-round-trip": "stop", "max-tokens": "length",
                                "json-schema": "stop", "stream-text": "stop", "stream-tools": "tool_calls"]

    /// The fixture's SSE events as Cohere sends them: `event: <type>` then `data: <json>`.
    static func sse(_ events: [JSONValue]) -> [UInt8] {
        Array(events.map { "event: \($0["type"]?.stringValue ?? "")\ndata: \(JSONEmitter().string(from: $0))\n\n" }.joined().utf8)
    }

    static func run(_ fixture: JSONValue) async throws -> (RecordedRequest, ChatMessage) {
        let stream = fixture["stream"] == true
        let reply = fixture["reply"] ?? .null
        let body = sse(fixture["events"]?.arrayValue ?? [])
        return try await withTestServer({ _ in stream ? .chunks(AnthropicGolden.chunks(body, size: 7)) : .json(reply) }) { server in
            let model = try LiteLLMModel(modelID: try #require(fixture["model"]?.stringValue), apiBase: server.baseURL + "/v2/chat",
                                         apiKey: "test-provider-key", environment: [:])
            let swift = try #require(fixture["swift"])
            let messages = try AnthropicGolden.messages(swift)
            let options = try GeminiGolden.options(swift)
            let answer = try await modelAnswer(model, messages, options: options, streamed: stream)
            return (try #require(server.requests.first), answer)
        }
    }

    @Test("the request is LiteLLM's (path, bearer key, Cohere's parameter names), plus what LiteLLM drops in Cohere's spelling",
          arguments: folder.scenarioNames())
    func request(name: String) async throws {
        let fixture = try Self.folder.load(name)
        let (request, _) = try await Self.run(fixture)
        let expected = try #require(fixture["request"])
        #expect(request.method == "POST" && request.path == expected["path"]?.stringValue)
        #expect(request.headers["authorization"] == expected["headers"]?["authorization"]?.stringValue)
        #expect(request.headers["content-type"] == "application/json")
        #expect(request.headers["request-source"]?.hasPrefix("unspecified:") == true)
        var body = try #require(request.json?.objectValue)
        let dropped = Set(fixture["litellm_dropped"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        if dropped.contains("tool_choice") {
            #expect(body.removeValue(forKey: "tool_choice") == "REQUIRED", "\(name): tool_choice required, in Cohere's spelling")
        }
        if dropped.contains("response_format") {
            let schema = fixture["call"]?["response_format"]?["json_schema"]?["schema"]
            #expect(body.removeValue(forKey: "response_format") == ["type": "json_object", "json_schema": schema ?? .null])
        }
        let differences = jsonDifferences(expected: expected["body"], actual: .object(body), path: "body")
        #expect(differences.isEmpty, "\(name):\n\(differences.joined(separator: "\n"))")
    }

    @Test("a reply reads as LiteLLM read it: content, tool calls, usage.tokens; finish reasons mapped",
          arguments: folder.scenarioNames().filter { !$0.hasPrefix("stream") })
    func reply(name: String) async throws {
        let fixture = try Self.folder.load(name)
        let (_, answer) = try await Self.run(fixture)
        let parsed = try #require(fixture["parsed"])
        #expect(answer.text ?? "" == parsed["content"]?.stringValue ?? "")
        let calls = parsed["tool_calls"]?.arrayValue ?? []
        #expect(answer.toolCalls?.map(\.function.name) ?? [] == calls.map { $0["name"]?.stringValue ?? "" })
        #expect(answer.toolCalls?.map { parseJSONIfNeeded($0.function.arguments) } ?? [] == calls.map { $0["arguments"] ?? .null })
        #expect(answer.toolCalls?.map(\.id) ?? [] == (fixture["reply"]?["message"]?["tool_calls"]?.arrayValue ?? []).map { $0["id"]?.stringValue ?? "" })
        #expect(answer.tokenUsage == TokenUsage(inputTokens: parsed["usage"]?["prompt_tokens"]?.intValue ?? -1,
                                                outputTokens: parsed["usage"]?["completion_tokens"]?.intValue ?? -1))
        #expect(answer.finishReason == Self.finishReasons[name])
        #expect(answer.reasoningContent == fixture["reply"]?["message"]?["tool_plan"]?.stringValue)
    }

    @Test("a streamed reply (Cohere's SSE events, cut every 7 bytes) gives the text, the tool calls, the plan, the usage",
          arguments: ["stream-text", "stream-tools"])
    func stream(name: String) async throws {
        let fixture = try Self.folder.load(name)
        // LiteLLM 1.108.7 cannot read these events at all: the oracle for the reply is Cohere's documented shape.
        #expect(fixture["litellm_error"]?.stringValue?.contains("Error parsing chunk") == true)
        let (_, answer) = try await Self.run(fixture)
        let events = try #require(fixture["events"]?.arrayValue)
        let text = events.filter { $0["type"] == "content-delta" }.compactMap { $0["delta"]?["message"]?["content"]?["text"]?.stringValue }
        #expect(answer.text ?? "" == text.joined())
        let plan = events.filter { $0["type"] == "tool-plan-delta" }.compactMap { $0["delta"]?["message"]?["tool_plan"]?.stringValue }
        #expect(answer.reasoningContent == (plan.isEmpty ? nil : plan.joined()))
        let starts = events.filter { $0["type"] == "tool-call-start" }.map { $0["delta"]?["message"]?["tool_calls"] }
        #expect(answer.toolCalls?.map(\.id) ?? [] == starts.map { $0?["id"]?.stringValue ?? "" })
        #expect(answer.toolCalls?.map(\.function.name) ?? [] == starts.map { $0?["function"]?["name"]?.stringValue ?? "" })
        if name == "stream-tools" {
            #expect(answer.toolCalls?.map { parseJSONIfNeeded($0.function.arguments) } == [["city": "Paris"], ["answer": "soon"]])
        }
        let end = try #require(events.last { $0["type"] == "message-end" })
        #expect(answer.tokenUsage == TokenUsage(inputTokens: end["delta"]?["usage"]?["tokens"]?["input_tokens"]?.intValue ?? -1,
                                                outputTokens: end["delta"]?["usage"]?["tokens"]?["output_tokens"]?.intValue ?? -1))
        #expect(answer.finishReason == Self.finishReasons[name])
    }

    @Test("a stream that ends before message-end is an error that keeps what arrived")
    func truncatedStream() throws {
        let fixture = try Self.folder.load("stream-text")
        let events = try #require(fixture["events"]?.arrayValue)
        var framing = CohereFraming()
        let deltas = try framing.push(ByteBuffer(bytes: Self.sse(Array(events.dropLast()))).readableBytesView)
        #expect(deltas.compactMap(\.content).joined() == "Paris — ☀️")
        let error = try #require(throws: ModelError.self) { try framing.finish() }
        #expect(error.message.contains("before message-end"))
    }

    @Test("Cohere's finish reasons map as LiteLLM maps them; a named tool choice offers only that tool")
    func codecRules() {
        #expect(["COMPLETE", "STOP_SEQUENCE", "MAX_TOKENS", "TOOL_CALL", "ERROR", "ERROR_TOXIC"].map(CohereCodec.finishReason)
                == ["stop", "stop", "length", "tool_calls", "stop", "content_filter"])
        let body = CohereCodec.requestBody(fromChatCompletions: [
            "model": "m", "tools": [["type": "function", "function": ["name": "a"]], ["type": "function", "function": ["name": "b"]]],
            "tool_choice": ["type": "function", "function": ["name": "b"]], "top_p": 0.5, "max_tokens": 9,
            "max_completion_tokens": 7, "stream_options": ["include_usage": true],
        ], stream: true)
        #expect(body["tool_choice"] == "REQUIRED" && body["tools"]?.arrayValue?.count == 1)
        #expect(body["tools"]?[0]?["function"]?["name"] == "b")
        #expect(body["p"] == 0.5 && body["max_tokens"] == 7 && body["stream"] == true && body["stream_options"] == nil)
    }

    @Test("the key comes from COHERE_API_KEY or CO_API_KEY, the endpoint from COHERE_API_BASE; a missing key says so")
    func environment() async throws {
        let reply = try #require(try Self.folder.load("text")["reply"])
        try await withTestServer({ _ in .json(reply) }) { server in
            let model = try LiteLLMModel(modelID: "cohere/command-a-03-2025",
                                         environment: ["CO_API_KEY": "co-key", "COHERE_API_BASE": server.baseURL + "/custom/chat"])
            _ = try await model.generate([ChatMessage(role: .user, text: "Hi")], options: GenerateOptions())
            #expect(server.requests.first?.path == "/custom/chat")
            #expect(server.requests.first?.headers["authorization"] == "Bearer co-key")
        }
        let missing = try #require(throws: ModelError.self) { try LiteLLMModel(modelID: "cohere/command-r", environment: [:]) }
        #expect(missing.message.contains("COHERE_API_KEY"))
    }
}
