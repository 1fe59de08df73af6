import Foundation
import NIOHTTP1
import SmolCore
import Testing

@testable import SmolRemote

/// The golden fixtures recorded from the official Python SDKs (`scripts/oracles/record_golden.py`), and
/// the Swift twin of `scripts/oracles/capture_server.py` that answers them.
enum GoldenFixtures {
    static let folder = GoldenFixtureFolder(path: "Fixtures/golden")
    static var directory: URL? { folder.directory }

    /// Every scenario: the fixture files not starting with `_`, without `.json`, sorted.
    static func scenarioNames() -> [String] { folder.scenarioNames() }

    static func load(_ name: String) throws -> JSONValue { try folder.load(name) }

    /// What `capture_server.py` answers: SSE for `"stream": true`, the provider mapping for
    /// `/api/models/<id>`, the completion otherwise.
    static func reply(to request: RecordedRequest, responses: JSONValue) -> TestResponse {
        if request.json?["stream"] == .bool(true) {
            let events = (responses["stream_events"]?.arrayValue ?? []).map { $0.stringValue ?? JSONEmitter().string(from: $0) }
            return .sse(events)
        }
        if let marker = request.path.range(of: "/api/models/") {
            var id = String(request.path[marker.upperBound...])
            if let revision = id.range(of: "/revision/") { id = String(id[..<revision.lowerBound]) }
            id = id.removingPercentEncoding ?? id
            let mapping = JSONEmitter().string(from: responses["provider_mapping"] ?? .null)
            return .json(text: mapping.replacingOccurrences(of: "\"<id>\"", with: JSONEmitter().string(from: .string(id))))
        }
        return .json(responses["completion"] ?? .null)
    }

    /// The Swift model for the fixture's `client`, aimed at `server`; the environment is empty so the
    /// machine's `OPENAI_API_KEY`, `HF_TOKEN`, … cannot leak in.
    static func model(client: JSONValue, call: JSONValue, server: String) throws -> any Model {
        let http = HTTPConfiguration(readTimeout: .seconds(20), totalTimeout: .seconds(30))
        let modelID = try #require(call["model"]?.stringValue)
        switch client["kind"]?.stringValue {
        case "openai":
            return try OpenAIServerModel(
                modelID: modelID, apiBase: server + "/v1", apiKey: client["api_key"]?.stringValue,
                organization: client["organization"]?.stringValue, project: client["project"]?.stringValue,
                http: http, environment: [:])
        case "azure":
            return try AzureOpenAIServerModel(
                modelID: client["deployment"]?.stringValue ?? modelID, azureEndpoint: server,
                apiKey: client["api_key"]?.stringValue, apiVersion: client["api_version"]?.stringValue,
                http: http, environment: [:])
        case "azure-v1":
            return try AzureOpenAIServerModel(
                modelID: modelID, azureEndpoint: server, apiKey: client["api_key"]?.stringValue, apiVersion: "v1",
                http: http, environment: [:])
        case "hf":
            return try InferenceClientModel(
                modelID: modelID, provider: client["provider"]?.stringValue, token: client["token"]?.stringValue,
                billTo: client["bill_to"]?.stringValue, routerURL: server, hubURL: server, http: http,
                environment: [:])
        case "hf-base-url":
            return try InferenceClientModel(
                modelID: modelID, token: client["token"]?.stringValue,
                baseURL: server + (client["base_url_suffix"]?.stringValue ?? ""), http: http, environment: [:])
        case let kind:
            throw GoldenError("unknown client kind \(kind ?? "nil")")
        }
    }

    /// OpenAI wire messages as ``ChatMessage``s: tool results become ``MessageRole/toolResponse`` with
    /// their call id, tool calls keep their arguments as strings.
    static func messages(_ wire: JSONValue?) throws -> [ChatMessage] {
        try (wire?.arrayValue ?? []).map { message in
            var content: MessageContent?
            switch message["content"] {
            case .string(let text)?: content = .text(text)
            case nil, .null?: content = nil
            case let blocks?: content = try MessageContent(json: blocks)
            }
            let role = try #require(message["role"]?.stringValue)
            if role == "tool" {
                return ChatMessage(role: .toolResponse, content: content, toolCallID: message["tool_call_id"]?.stringValue)
            }
            let toolCalls = try message["tool_calls"]?.arrayValue?.map { try ChatMessageToolCall(json: $0) }
            return ChatMessage(role: try MessageRole(validating: role), content: content, toolCalls: toolCalls)
        }
    }

    static func options(_ call: JSONValue) throws -> GenerateOptions {
        var options = GenerateOptions(parameters: call["parameters"]?.objectValue ?? [:])
        options.stopSequences = call["stop"]?.arrayValue?.compactMap(\.stringValue)
        if let format = call["response_format"], !format.isNull { options.responseFormat = try ResponseFormat(json: format) }
        if let tools = call["tools"]?.arrayValue { options.tools = try tools.map { try Tool(json: $0) } }
        if let choice = call["tool_choice"], !choice.isNull { options.toolChoice = ToolChoice(json: choice) }
        return options
    }

    /// Headers that carry credentials or billing: ours must not send them when the SDK did not.
    static let guardedHeaders = ["authorization", "api-key", "x-hf-bill-to", "openai-organization", "openai-project"]

    /// Every way `actual` differs from the fixture's `requests`, one readable line each.
    static func differences(expected: [JSONValue], actual: [RecordedRequest]) -> [String] {
        var lines: [String] = []
        if expected.count != actual.count {
            lines.append("expected \(expected.count) request(s), got \(actual.count): "
                         + actual.map { "\($0.method) \($0.uri)" }.joined(separator: ", "))
        }
        for (index, (want, got)) in zip(expected, actual).enumerated() {
            let at = "requests[\(index)]"
            if want["method"]?.stringValue != got.method {
                lines.append("\(at).method: expected \(want["method"] ?? .null), got \(got.method)")
            }
            if want["path"]?.stringValue != got.path {
                lines.append("\(at).path: expected \(want["path"] ?? .null), got \(got.path)")
            }
            let query = (want["query"]?.objectValue ?? [:]).map { ($0.key, $0.value.stringValue ?? $0.value.description) }
            if Dictionary(query, uniquingKeysWith: { $1 }) != got.query {
                lines.append("\(at).query: expected \(want["query"] ?? .null), got \(got.query)")
            }
            let headers = want["headers"]?.objectValue ?? [:]
            for (name, value) in headers where got.headers[name.lowercased()] != value.stringValue {
                lines.append("\(at).headers.\(name.lowercased()): expected \(value), got "
                             + (got.headers[name.lowercased()].map { "\"\($0)\"" } ?? "(missing)"))
            }
            let named = Set(headers.keys.map { $0.lowercased() })
            for name in guardedHeaders where !named.contains(name) {
                if let value = got.headers[name] { lines.append("\(at).headers.\(name): unexpected \"\(value)\"") }
            }
            switch want["body"] {
            case nil, .null?:
                if !got.body.isEmpty { lines.append("\(at).body: expected none, got \(got.bodyText)") }
            case let body?:
                if let json = got.json {
                    lines += jsonDifferences(expected: body, actual: json, path: "\(at).body")
                } else {
                    lines.append("\(at).body: expected JSON, got \(got.bodyText.isEmpty ? "nothing" : got.bodyText)")
                }
            }
        }
        return lines
    }
}

struct GoldenError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// What a call returned, in the shape of the fixture's `sdk_parse`.
private struct Answer: Sendable {
    var content: String
    var finishReason: String?
    var usage: TokenUsage?
}

@Suite("Golden requests: the Swift models send what the official SDKs send", .timeLimit(.minutes(2)))
struct GoldenRequestTests {
    static let scenarios = GoldenFixtures.scenarioNames()

    @Test("the golden fixtures are bundled with the tests")
    func fixturesArePresent() throws {
        #expect(Self.scenarios.count >= 20, "found \(Self.scenarios)")
        _ = try GoldenFixtures.load("_responses")
    }

    @Test("the comparison reports every kind of mismatch, and none for an identical request")
    func comparisonCatchesMismatches() throws {
        let fixture = try GoldenFixtures.load("openai-org-project")
        let want = try #require(fixture["requests"]?[0])
        let body = try #require(want["body"])
        var fields = HTTPHeaders()
        for (name, value) in want["headers"]?.objectValue ?? [:] { fields.add(name: name.uppercased(), value: value.stringValue ?? "") }
        let same = RecordedRequest(
            head: HTTPRequestHead(version: .http1_1, method: .POST, uri: "/v1/chat/completions", headers: fields),
            body: JSONEmitter().bytes(from: body), connection: 1)
        #expect(GoldenFixtures.differences(expected: [want], actual: [same]) == [])

        fields.replaceOrAdd(name: "authorization", value: "Bearer sk-other")
        fields.remove(name: "openai-organization")
        fields.add(name: "api-key", value: "leak")
        var changed = try #require(body.objectValue)
        changed["temperature"] = 1
        changed["messages"] = []
        let other = RecordedRequest(
            head: HTTPRequestHead(version: .http1_1, method: .PUT, uri: "/v1/chat/completion?x=1", headers: fields),
            body: JSONEmitter().bytes(from: .object(changed)), connection: 1)
        let text = GoldenFixtures.differences(expected: [want], actual: [other, same]).joined(separator: "\n")
        for expected in [
            "expected 1 request(s), got 2", "requests[0].method", "requests[0].path", "requests[0].query",
            "requests[0].headers.authorization: expected", "requests[0].headers.openai-organization: expected",
            "requests[0].headers.api-key: unexpected", "requests[0].body.temperature: unexpected",
            "requests[0].body.messages: expected 1 element(s), got 0", "requests[0].body.messages[0]: missing",
        ] {
            #expect(text.contains(expected), "missing \"\(expected)\" in:\n\(text)")
        }
    }

    @Test("a scenario puts the SDK's requests on the wire and decodes the canned answer", arguments: scenarios)
    func scenario(_ name: String) async throws {
        let fixture = try GoldenFixtures.load(name)
        let responses = try GoldenFixtures.load("_responses")
        let call = try #require(fixture["call"])
        let client = try #require(fixture["client"])
        let messages = try GoldenFixtures.messages(call["messages"])
        let options = try GoldenFixtures.options(call)

        let (answer, requests) = try await withTestServer({ GoldenFixtures.reply(to: $0, responses: responses) }) { server in
            let model = try GoldenFixtures.model(client: client, call: call, server: server.baseURL)
            let stream = call["stream"] == .bool(true)
            let answer = try await withWatchdog(.seconds(30)) { () async throws -> Answer in
                guard stream else {
                    let message = try await model.generate(messages, options: options)
                    return Answer(content: message.text ?? "", finishReason: message.finishReason, usage: message.tokenUsage)
                }
                var answer = Answer(content: "")
                for try await delta in model.generateStream(messages, options: options) {
                    answer.content += delta.content ?? ""
                    answer.finishReason = delta.finishReason ?? answer.finishReason
                    if let usage = delta.tokenUsage { answer.usage = (answer.usage ?? .zero) + usage }
                }
                return answer
            }
            return (answer, server.requests)
        }

        let expected = fixture["requests"]?.arrayValue ?? []
        let differences = GoldenFixtures.differences(expected: expected, actual: requests)
        #expect(differences.isEmpty, "\(name): the requests differ from the SDK's:\n\(differences.joined(separator: "\n"))")

        // The answer, as the SDK parsed the same canned reply.
        let parsed = try #require(fixture["sdk_parse"])
        #expect(answer.content == parsed["content"]?.stringValue)
        #expect(answer.finishReason == parsed["finish_reason"]?.stringValue)
        let usage = parsed["usage"]?.arrayValue?.compactMap(\.intValue) ?? []
        #expect([answer.usage?.inputTokens, answer.usage?.outputTokens, answer.usage?.totalTokens] == usage.map(Optional.some))
        if !(call["stream"] == .bool(true)) {
            let canned = responses["completion"]?["choices"]?[0]?["message"]?["content"]?.stringValue
            #expect(answer.content == canned)
        }
    }
}
