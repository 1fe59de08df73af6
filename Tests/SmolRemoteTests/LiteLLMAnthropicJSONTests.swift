import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// Issue 16: `response_format` on `anthropic/` as LiteLLM emulates it (a forced `json_tool_call` whose input is the
/// answer), against `litellm.completion` itself (scripts/oracles/record_litellm_anthropic_json.py).
@Suite("LiteLLMModel's anthropic/ response_format equals litellm.completion's")
struct LiteLLMAnthropicJSONTests {
    static func fixture() throws -> JSONValue {
        try GoldenFixtureFolder(path: "Fixtures/litellm-anthropic").load("response-format")
    }

    /// Sends the fixture's call through LiteLLMModel against a server answering with the fixture's reply.
    static func run(stream: Bool) async throws -> (request: RecordedRequest, answer: ChatMessage, fixture: JSONValue) {
        let fixture = try Self.fixture()
        let reply = try #require(fixture["reply"])
        let events = try #require(fixture["events"]?.arrayValue).map { JSONEmitter().string(from: $0) }
        return try await withTestServer({ request in
            request.json?["stream"] == true ? .sse(events) : .json(reply)
        }) { server in
            let model = try LiteLLMModel(modelID: try #require(fixture["model"]?.stringValue), apiBase: server.baseURL,
                                         apiKey: "test-provider-key", environment: [:])
            let call = try #require(fixture["call"])
            let messages = try #require(call["messages"]?.arrayValue).map { message in
                ChatMessage(role: MessageRole(rawValue: message["role"]?.stringValue ?? "") ?? .user,
                            text: message["content"]?.stringValue ?? "")
            }
            let options = GenerateOptions(responseFormat: try ResponseFormat(json: try #require(call["response_format"])),
                                          parameters: ["max_tokens": try #require(call["max_tokens"])])
            let answer = try await modelAnswer(model, messages, options: options, streamed: stream)
            return (try #require(server.requests.first), answer, fixture)
        }
    }

    static func expect(_ request: RecordedRequest, _ expected: JSONValue?, stream: Bool) throws {
        var body = try #require(request.json?.objectValue)
        var want = try #require(expected?["body"]?.objectValue)
        // LiteLLM sends a plain system prompt as one text block, this package as a string (both are the API's).
        let system = body.removeValue(forKey: "system"), wantSystem = want.removeValue(forKey: "system")
        #expect(system?.stringValue == wantSystem?[0]?["text"]?.stringValue)
        let differences = jsonDifferences(expected: .object(want), actual: .object(body), path: "body")
        #expect(differences.isEmpty, "stream \(stream):\n\(differences.joined(separator: "\n"))")
        #expect(request.path == expected?["path"]?.stringValue)
    }

    @Test("the request forces LiteLLM's json_tool_call, and the tool's input comes back as the content")
    func nonStreamed() async throws {
        let (request, answer, fixture) = try await Self.run(stream: false)
        try Self.expect(request, fixture["request"], stream: false)
        let parsed = try #require(fixture["parsed"])
        #expect(try JSONValue(parsing: Array((answer.text ?? "").utf8)) == JSONValue(parsing: Array((parsed["content"]?.stringValue ?? "").utf8)))
        #expect(answer.toolCalls == nil)
        #expect(answer.finishReason == "end_turn")  // LiteLLM's "stop"
    }

    @Test("streamed, the tool's input fragments are the content and no tool call is reported")
    func streamed() async throws {
        let (request, answer, fixture) = try await Self.run(stream: true)
        try Self.expect(request, fixture["stream_request"], stream: true)
        let parsed = try #require(fixture["stream_parsed"])
        #expect(answer.text == parsed["content"]?.stringValue)
        #expect((answer.toolCalls ?? []).isEmpty)
        #expect(answer.finishReason == "end_turn")
    }
}
