import Foundation
import NIOCore
import SmolCore
import Testing

@testable import SmolRemote

/// Requests recorded from `litellm.completion` itself (`scripts/oracles/record_litellm_golden.py`): the
/// `ollama/` route (`/api/generate`) and a sample of OpenAI-compatible prefixes.
enum LiteLLMGolden {
    static let folder = GoldenFixtureFolder(path: "Fixtures/litellm")

    static func scenarioNames(ollama: Bool) -> [String] {
        folder.scenarioNames().filter { $0.hasPrefix("ollama-") == ollama }
    }

    static let completion: JSONValue = [
        "id": "chatcmpl-1", "object": "chat.completion", "created": 1_764_169_200, "model": "m",
        "choices": [["index": 0, "finish_reason": "stop", "message": ["role": "assistant", "content": "Paris"]]],
        "usage": ["prompt_tokens": 40, "completion_tokens": 9, "total_tokens": 49],
    ]

    static let chunks = [
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Par"},"finish_reason":null}]}"#,
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"is"},"finish_reason":"stop"}]}"#,
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":2,"total_tokens":22}}"#,
        "[DONE]",
    ]

    /// Sends the fixture's call through `LiteLLMModel` against a capture server answering with `reply`;
    /// returns the recorded request and the (accumulated) answer.
    static func run(_ fixture: JSONValue, reply: @escaping TestHTTPServer.Handler) async throws
        -> (request: RecordedRequest, answer: ChatMessage)
    {
        let swift = try #require(fixture["swift"])
        return try await withTestServer(reply) { server in
            let model = try LiteLLMModel(
                modelID: try #require(fixture["model"]?.stringValue),
                apiBase: server.baseURL + (fixture["api_base_path"]?.stringValue ?? ""), apiKey: "test-provider-key",
                environment: [:])
            let messages = try AnthropicGolden.messages(swift)
            let options = try GeminiGolden.options(swift)
            let answer = try await modelAnswer(model, messages, options: options, streamed: fixture["stream"] == true)
            return (try #require(server.requests.first), answer)
        }
    }

    static func expectSameRequest(_ request: RecordedRequest, as fixture: JSONValue, name: String,
                                  sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try #require(fixture["request"])
        #expect(request.method == expected["method"]?.stringValue, sourceLocation: sourceLocation)
        #expect(request.path == expected["path"]?.stringValue, sourceLocation: sourceLocation)
        #expect(request.headers["authorization"] == expected["headers"]?["authorization"]?.stringValue,
                sourceLocation: sourceLocation)
        var body = try #require(request.json?.objectValue)
        // Deliberate departure (see LiteLLMRequestQuirks): parameters LiteLLM refuses for a provider, or
        // drops with drop_params, are sent; they must be there, and the rest must match.
        for key in fixture["litellm_dropped"]?.arrayValue?.compactMap(\.stringValue) ?? [] {
            #expect(body.removeValue(forKey: key) != nil, "\(name): \(key) is sent", sourceLocation: sourceLocation)
        }
        let differences = jsonDifferences(expected: expected["body"], actual: .object(body), path: "body")
        #expect(differences.isEmpty, "\(name):\n\(differences.joined(separator: "\n"))", sourceLocation: sourceLocation)
    }
}

@Suite("LiteLLMModel requests equal litellm.completion's")
struct LiteLLMGoldenTests {
    @Test("ollama/ sends LiteLLM's /api/generate request and reads the reply as LiteLLM does",
          arguments: LiteLLMGolden.scenarioNames(ollama: true))
    func ollamaGenerate(name: String) async throws {
        let fixture = try LiteLLMGolden.folder.load(name)
        let reply = try #require(fixture["reply"])
        let ndjson = fixture["reply_ndjson"]?.stringValue.map { Array($0.utf8) }
        let (request, answer) = try await LiteLLMGolden.run(fixture) { _ in
            if let ndjson { return .chunks(headers: [("content-type", "application/x-ndjson")], AnthropicGolden.chunks(ndjson, size: 3)) }
            return .json(reply)
        }
        try LiteLLMGolden.expectSameRequest(request, as: fixture, name: name)
        let parsed = try #require(fixture["parsed"])
        #expect(answer.text ?? "" == parsed["content"]?.stringValue ?? "", "\(name)")
        #expect(answer.finishReason == parsed["finish_reason"]?.stringValue, "\(name)")
        let calls = parsed["tool_calls"]?.arrayValue ?? []
        #expect(answer.toolCalls?.map(\.function.name) ?? [] == calls.map { $0["name"]?.stringValue ?? "" }, "\(name)")
        #expect(answer.toolCalls?.map { parseJSONIfNeeded($0.function.arguments) } ?? [] == calls.map { $0["arguments"] ?? .null })
        if let usage = parsed["usage"], !usage.isNull {
            #expect(answer.tokenUsage == TokenUsage(inputTokens: usage["prompt_tokens"]?.intValue ?? -1,
                                                    outputTokens: usage["completion_tokens"]?.intValue ?? -1), "\(name)")
        } else {
            // LiteLLM's streamed parse carries no usage (`parsed.usage` is null). Ours is deliberately Ollama's own
            // counters from the `done: true` line (OllamaStreamDecoder: `prompt_eval_count` / `eval_count`, zero
            // when absent), so an agent still sees the tokens a streamed call spent.
            let lines = try (ndjson.map { String(decoding: $0, as: UTF8.self) } ?? "")
                .split(whereSeparator: \.isNewline).map { try JSONValue(parsing: String($0)) }
            let done = try #require(ndjson == nil ? Optional(reply) : lines.last(where: { $0["done"] == true }),
                                    "\(name): no done line in the NDJSON reply")
            #expect(answer.tokenUsage == TokenUsage(inputTokens: done["prompt_eval_count"]?.intValue ?? 0,
                                                    outputTokens: done["eval_count"]?.intValue ?? 0), "\(name)")
        }
    }

    @Test("OpenAI-compatible prefixes send LiteLLM's request: path, auth header, body",
          arguments: LiteLLMGolden.scenarioNames(ollama: false))
    func openAICompatible(name: String) async throws {
        let fixture = try LiteLLMGolden.folder.load(name)
        let (request, answer) = try await LiteLLMGolden.run(fixture) { request in
            request.json?["stream"] == true ? .sse(LiteLLMGolden.chunks) : .json(LiteLLMGolden.completion)
        }
        try LiteLLMGolden.expectSameRequest(request, as: fixture, name: name)
        #expect(answer.text == "Paris")
    }

    @Test("the sample covers the prefixes the issue names")
    func sampleCoversPrefixes() {
        let names = Set(LiteLLMGolden.scenarioNames(ollama: false))
        for prefix in ["groq", "together_ai", "deepseek", "mistral", "openrouter", "xai", "fireworks_ai", "cerebras",
                       "hosted_vllm", "lm_studio", "deepinfra", "perplexity"] {
            #expect(names.contains(prefix), "\(prefix)")
        }
        #expect(LiteLLMGolden.scenarioNames(ollama: true).count >= 6)
    }

    @Test("a generate stream whose reply starts as JSON is held and read back as a tool call")
    func generateStreamToolCall() throws {
        var decoder = OllamaStreamDecoder(endpoint: .generate)
        var deltas: [ChatMessageStreamDelta] = []
        for line in [#"{"response":" ``","done":false}"#, #"{"response":"`json\n{\"name\": \"f\", ","done":false}"#,
                     #"{"response":"\"arguments\": {\"x\": 1}}\n```","done":false}"#,
                     #"{"response":"","done":true,"prompt_eval_count":3,"eval_count":4}"#] {
            if let delta = try decoder.decode(line) { deltas.append(delta) }
        }
        let message = try agglomerateStreamDeltas(deltas)
        #expect(message.toolCalls?.first?.function.name == "f")
        #expect(message.toolCalls?.first.map { parseJSONIfNeeded($0.function.arguments) } == ["x": 1])
        #expect(message.finishReason == "tool_calls")
        var plain = OllamaStreamDecoder(endpoint: .generate)
        #expect(try plain.decode(#"{"response":"`","done":false}"#) == nil)
        #expect(try plain.decode(#"{"response":"x` y","done":false}"#)?.content == "`x` y")
    }
}
