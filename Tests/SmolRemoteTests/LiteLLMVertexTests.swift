import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// `vertex_ai/` against `litellm.completion` itself (scripts/oracles/record_litellm_vertex.py): the token exchange,
/// the URL, the bearer header and the Gemini body, through a loopback server playing both the token endpoint and
/// Vertex AI.
@Suite("LiteLLMModel's vertex_ai/ requests equal litellm.completion's")
struct LiteLLMVertexTests {
    static let scenarios = ["text", "tools", "stream"]

    /// A server answering `/token` with the recorded token and anything else with the recorded Gemini replies.
    static func handler() throws -> TestHTTPServer.Handler {
        let token = try VertexFixtures.tokenReply()
        let responses = try VertexFixtures.folder.load("_responses")
        let message = try #require(responses["message"])
        let sse = Array(try #require(responses["stream_sse"]?.stringValue).utf8)
        return { request in
            if request.path == "/token" { return .json(token) }
            if request.query["alt"] == "sse" { return .chunks([sse]) }
            return .json(message)
        }
    }

    static func model(_ server: TestHTTPServer, fixture: JSONValue? = nil, parameters: ModelParameters? = nil,
                      environment: [String: String] = [:]) throws -> LiteLLMModel {
        let credentials = try VertexFixtures.serviceAccountJSON(tokenURI: server.baseURL + "/token")
        let defaults: ModelParameters = [
            "vertex_project": .value(fixture?["project"] ?? "test-project"),
            "vertex_location": .value(fixture?["location"] ?? "us-central1"),
            "vertex_credentials": .value(.string(credentials)),
        ]
        return try LiteLLMModel(modelID: fixture?["model"]?.stringValue ?? "vertex_ai/gemini-2.5-flash",
                                apiBase: server.baseURL, parameters: parameters ?? defaults, environment: environment)
    }

    static func answer(_ model: LiteLLMModel, _ swift: JSONValue, stream: Bool) async throws -> ChatMessage {
        let messages = try AnthropicGolden.messages(swift)
        return try await modelAnswer(model, messages, options: try GeminiGolden.options(swift), streamed: stream)
    }

    /// A Gemini body with LiteLLM's spellings and ours made the same: snake_case keys as camelCase (Vertex reads
    /// both), schema `type` names in one case (Vertex reads both; google-genai and this codec send upper case).
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var result: JSONObject = [:]
            for (key, member) in object {
                let name = GeminiCodec.camelCase(key)
                if name == "type", let text = member.stringValue { result[name] = .string(text.lowercased()) } else {
                    result[name] = normalized(member)
                }
            }
            return .object(result)
        case .array(let items): return .array(items.map(normalized))
        default: return value
        }
    }

    @Test("the request has LiteLLM's path, query, bearer token and (normalized) body; the reply reads as LiteLLM read it",
          arguments: scenarios)
    func golden(name: String) async throws {
        let fixture = try VertexFixtures.folder.load(name)
        let stream = fixture["stream"] == true
        try await withTestServer(try Self.handler()) { server in
            let answer = try await Self.answer(try Self.model(server, fixture: fixture), try #require(fixture["swift"]), stream: stream)
            let requests = server.requests
            #expect(requests.map(\.path).first == "/token", "the token is fetched first")
            let request = try #require(requests.last)
            let expected = try #require(fixture["request"])
            #expect(request.method == expected["method"]?.stringValue && request.path == expected["path"]?.stringValue)
            let query = (expected["query"]?.objectValue ?? [:]).map { ($0.key, $0.value.stringValue ?? "") }
            #expect(request.query == Dictionary(uniqueKeysWithValues: query))
            #expect(request.headers["authorization"] == expected["headers"]?["authorization"]?.stringValue)
            #expect(request.headers["content-type"] == expected["headers"]?["content-type"]?.stringValue)
            let differences = jsonDifferences(expected: Self.normalized(try #require(expected["body"])),
                                              actual: Self.normalized(try #require(request.json)), path: "body")
            #expect(differences.isEmpty, "\(name):\n\(differences.joined(separator: "\n"))")

            let parsed = try #require(fixture["parsed"])
            #expect(answer.text ?? "" == parsed["content"]?.stringValue ?? "")
            let calls = parsed["tool_calls"]?.arrayValue ?? []
            #expect(answer.toolCalls?.map(\.function.name) ?? [] == calls.map { $0["name"]?.stringValue ?? "" })
            #expect(answer.toolCalls?.map { parseJSONIfNeeded($0.function.arguments) } ?? [] == calls.map { $0["arguments"] ?? .null })
            // The Gemini codec keeps Gemini's own reason (LiteLLM's "stop"/"tool_calls" are both STOP here).
            #expect(answer.finishReason == "STOP")
            if let usage = parsed["usage"], !usage.isNull {
                #expect(answer.tokenUsage?.inputTokens == usage["prompt_tokens"]?.intValue)
                #expect(answer.tokenUsage?.outputTokens == usage["completion_tokens"]?.intValue)
            } else {
                // LiteLLM drops a stream's usage unless asked; ours reports the last chunk's usageMetadata.
                #expect(answer.tokenUsage == TokenUsage(inputTokens: 12, outputTokens: 2))
            }
        }
    }

    @Test("one token serves every call of a model, streamed or not")
    func oneTokenExchange() async throws {
        try await withTestServer(try Self.handler()) { server in
            let model = try Self.model(server)
            let swift: JSONValue = ["messages": [["role": "user", "text": "Hi"]]]
            _ = try await Self.answer(model, swift, stream: false)
            _ = try await Self.answer(model, swift, stream: true)
            _ = try await Self.answer(model, swift, stream: false)
            #expect(server.requests.map(\.path).filter { $0 == "/token" }.count == 1)
            #expect(server.requests.count == 4)
        }
    }

    @Test("a Router deployment passes vertex_project, vertex_location and vertex_credentials on, as LiteLLM's litellm_params")
    func routerDeployment() async throws {
        try await withTestServer(try Self.handler()) { server in
            let credentials = try VertexFixtures.serviceAccountJSON(tokenURI: server.baseURL + "/token")
            let router = try LiteLLMRouterModel(modelID: "gemini", modelList: [[
                "model_name": "gemini",
                "litellm_params": ["model": "vertex_ai/gemini-2.5-flash", "api_base": .string(server.baseURL),
                                   "vertex_project": "router-project", "vertex_location": "global",
                                   "vertex_credentials": .string(credentials)],
            ]], http: HTTPConfiguration(environment: [:]), environment: [:])
            let answer = try await router.generate([ChatMessage(role: .user, text: "Hi")], options: GenerateOptions())
            #expect(answer.text == "Let me look.")
            #expect(server.requests.map(\.path) == [
                "/token", "/v1/projects/router-project/locations/global/publishers/google/models/gemini-2.5-flash:generateContent",
            ])
            let body = try #require(server.requests.last?.json)
            #expect(body["vertex_project"] == nil && body["generationConfig"]?["vertexCredentials"] == nil)
        }
    }

    @Test("default URLs are LiteLLM's for regions, multi-regions, global, tuned endpoints and streams")
    func defaultURLs() throws {
        let urls = try VertexFixtures.folder.load("urls")
        let project = try #require(urls["project"]?.stringValue)
        let rows = try #require(urls["urls"]?.arrayValue)
        #expect(rows.count >= 15)
        for row in rows {
            let endpoint = try VertexEndpoint(project: project, location: try #require(row["location"]?.stringValue))
            #expect(endpoint.url(model: try #require(row["model"]?.stringValue), stream: row["stream"] == true)
                    == row["url"]?.stringValue)
        }
    }

    @Test("a custom api_base gets LiteLLM's path: the whole path, the path after /v1, or `:method` on a full resource")
    func customAPIBase() throws {
        let rows = try #require(try VertexFixtures.folder.load("urls")["custom_api_base"]?.arrayValue)
        #expect(rows.count >= 10)
        for row in rows {
            let endpoint = try VertexEndpoint(project: "test-project", location: try #require(row["location"]?.stringValue),
                                              apiBase: row["api_base"]?.stringValue)
            #expect(endpoint.url(model: try #require(row["model"]?.stringValue), stream: row["stream"] == true)
                    == row["url"]?.stringValue, "\(row)")
        }
    }

    @Test("project, location and credentials come from VERTEXAI_* and GOOGLE_APPLICATION_CREDENTIALS, or the key's project")
    func environmentSettings() async throws {
        try await withTestServer(try Self.handler()) { server in
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("smol-sa-\(UUID().uuidString).json")
            try VertexFixtures.serviceAccountJSON(tokenURI: server.baseURL + "/token").write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            let swift: JSONValue = ["messages": [["role": "user", "text": "Hi"]]]
            let fromEnvironment = try Self.model(server, parameters: [:], environment: [
                "GOOGLE_APPLICATION_CREDENTIALS": file.path, "VERTEXAI_PROJECT": "env-project", "VERTEXAI_LOCATION": "europe-west4",
            ])
            _ = try await Self.answer(fromEnvironment, swift, stream: false)
            #expect(server.requests.last?.path
                    == "/v1/projects/env-project/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent")
            // No project anywhere but in the key: the key's project_id and LiteLLM's default location.
            let fromKey = try Self.model(server, parameters: ["vertex_credentials": .value(.string(file.path))])
            _ = try await Self.answer(fromKey, swift, stream: false)
            #expect(server.requests.last?.path
                    == "/v1/projects/test-project/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent")
            #expect(server.requests.last?.json?["generationConfig"]?["vertexCredentials"] == nil)
        }
    }

    @Test("no credentials, or a location that is not one, fail when the model is made, saying what to set")
    func refusedSettings() throws {
        let missing = try #require(throws: ModelError.self) {
            try LiteLLMModel(modelID: "vertex_ai/gemini-2.5-flash", environment: ["VERTEXAI_PROJECT": "p"])
        }
        guard case .authentication = missing else { Issue.record("\(missing)"); return }
        #expect(missing.message.contains("GOOGLE_APPLICATION_CREDENTIALS") && missing.message.contains("VERTEXAI_CREDENTIALS"))
        let credentials = try VertexFixtures.serviceAccountJSON(tokenURI: "http://127.0.0.1:1/token")
        let location = try #require(throws: ModelError.self) {
            try LiteLLMModel(modelID: "vertex_ai/gemini-2.5-flash",
                             parameters: ["vertex_credentials": .value(.string(credentials)),
                                          "vertex_location": "evil.example.com/x"], environment: [:])
        }
        #expect(location.message.contains("not a Vertex AI location"))
        #expect(!location.message.contains("PRIVATE KEY") && !missing.message.contains("PRIVATE KEY"))
    }
}
