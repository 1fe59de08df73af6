import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// `azure_ai/` against `litellm.completion` itself (scripts/oracles/record_litellm_azure_ai.py). Azure host names
/// decide the path and the key header, so, as in the recorder, requests to them go through an HTTP proxy that is the
/// test server itself.
@Suite("LiteLLMModel's azure_ai/ requests equal litellm.completion's")
struct LiteLLMAzureAITests {
    static let folder = GoldenFixtureFolder(path: "Fixtures/litellm-azure-ai")

    @Test("URL, key header and body are LiteLLM's for Foundry, Azure OpenAI v1, serverless bases and Claude on Foundry",
          arguments: folder.scenarioNames())
    func golden(name: String) async throws {
        let fixture = try Self.folder.load(name)
        let stream = fixture["stream"] == true
        let messagesReply = fixture["reply"]
        try await withTestServer({ request in
            if let messagesReply, request.path.hasSuffix("/v1/messages") { return .json(messagesReply) }
            return request.json?["stream"] == true ? .sse(LiteLLMGolden.chunks) : .json(LiteLLMGolden.completion)
        }) { server in
            let base = try #require(fixture["api_base"]?.stringValue).replacingOccurrences(of: "{loopback}", with: server.baseURL)
            var http = HTTPConfiguration(environment: [:])
            if !base.hasPrefix(server.baseURL) { http.proxy = try ProxyConfiguration(url: server.baseURL) }
            var parameters: ModelParameters = [:]
            if let version = fixture["api_version"]?.stringValue { parameters["api_version"] = .value(.string(version)) }
            let model = try LiteLLMModel(modelID: try #require(fixture["model"]?.stringValue), apiBase: base,
                                         apiKey: "test-provider-key", parameters: parameters, http: http, environment: [:])
            let swift = try #require(fixture["swift"])
            let messages = try AnthropicGolden.messages(swift)
            let options = try GeminiGolden.options(swift)
            let answer = try await modelAnswer(model, messages, options: options, streamed: stream)
            #expect(answer.text == "Paris")
            let request = try #require(server.requests.first)
            let expected = try #require(fixture["request"])
            let host = expected["host"]?.stringValue?.replacingOccurrences(of: "{loopback}", with: "127.0.0.1:\(server.port)")
            #expect(request.headers["host"] == host)
            #expect(request.path == expected["path"]?.stringValue)
            let query = (expected["query"]?.objectValue ?? [:]).map { ($0.key, $0.value.stringValue ?? "") }
            #expect(request.query == Dictionary(uniqueKeysWithValues: query))
            #expect(request.headers["authorization"] == expected["headers"]?["authorization"]?.stringValue)
            var body = try #require(request.json?.objectValue)
            var want = try #require(expected["body"]?.objectValue)
            if messagesReply != nil {
                // Claude on Foundry: Anthropic's headers. LiteLLM repeats the key in `api-key`; Azure reads `x-api-key`.
                #expect(request.headers["x-api-key"] == expected["headers"]?["x-api-key"]?.stringValue)
                #expect(request.headers["anthropic-version"] == expected["headers"]?["anthropic-version"]?.stringValue)
                #expect(request.headers["api-key"] == nil && expected["headers"]?["api-key"] != nil)
                // LiteLLM sends a plain system prompt as one text block, AnthropicCodec as a string (both are the API's).
                let system = body.removeValue(forKey: "system"), wantSystem = want.removeValue(forKey: "system")
                #expect(system?.stringValue == wantSystem?[0]?["text"]?.stringValue)
            } else {
                #expect(request.headers["api-key"] == expected["headers"]?["api-key"]?.stringValue)
            }
            let differences = jsonDifferences(expected: .object(want), actual: .object(body), path: "body")
            #expect(differences.isEmpty, "\(name):\n\(differences.joined(separator: "\n"))")
        }
    }

    @Test("the path joins without repeating segments, and a base's own query and api-version stay")
    func urls() {
        #expect(LiteLLMAzureAI.url(apiBase: "https://r.services.ai.azure.com/models", apiVersion: "2024-05-01-preview")
                == "https://r.services.ai.azure.com/models/chat/completions?api-version=2024-05-01-preview")
        #expect(LiteLLMAzureAI.url(apiBase: "https://e.eastus2.inference.ai.azure.com/", apiVersion: nil)
                == "https://e.eastus2.inference.ai.azure.com/chat/completions")
        #expect(LiteLLMAzureAI.url(apiBase: "https://e.example.com/v1/chat?api-version=1", apiVersion: "2")
                == "https://e.example.com/v1/chat/completions?api-version=1")
        #expect(LiteLLMAzureAI.anthropicURL(apiBase: "https://r.services.ai.azure.com/anthropic/")
                == "https://r.services.ai.azure.com/anthropic/v1/messages")
        #expect(LiteLLMAzureAI.anthropicURL(apiBase: "https://r.services.ai.azure.com/anthropic/v1/messages")
                == "https://r.services.ai.azure.com/anthropic/v1/messages")
        #expect(LiteLLMAzureAI.usesAPIKeyHeader("https://r.openai.azure.com/openai/v1"))
        #expect(!LiteLLMAzureAI.usesAPIKeyHeader("https://e.eastus2.inference.ai.azure.com"))
    }

    @Test("the base and key come from AZURE_AI_API_BASE and AZURE_AI_API_KEY; without them the error says so")
    func environment() throws {
        let model = try LiteLLMModel(modelID: "azure_ai/mistral-large-2407",
                                     environment: ["AZURE_AI_API_BASE": "http://127.0.0.1:9", "AZURE_AI_API_KEY": "k"])
        #expect(model.provider.wireProtocol == .azureAI)
        let noBase = try #require(throws: ModelError.self) { try LiteLLMModel(modelID: "azure_ai/m", apiKey: "k", environment: [:]) }
        #expect(noBase.message.contains("AZURE_AI_API_BASE"))
        let noKey = try #require(throws: ModelError.self) {
            try LiteLLMModel(modelID: "azure_ai/m", environment: ["AZURE_AI_API_BASE": "http://127.0.0.1:9"])
        }
        #expect(noKey.message.contains("AZURE_AI_API_KEY"))
    }
}
