import Foundation
import SmolCore
import Testing

@testable import SmolRemote

@Suite("LiteLLMModel provider strings")
struct LiteLLMModelTests {
    @Test("OpenAI-compatible prefixes get LiteLLM's base URL and key variable, explicit values first")
    func openAICompatiblePrefixes() throws {
        let groq = try LiteLLMModel(modelID: "groq/llama-3.3-70b", environment: ["GROQ_API_KEY": "gsk"])
        #expect(groq.provider.defaultBase == "https://api.groq.com/openai/v1")
        #expect(groq.flattenMessagesAsText)  // smolagents' default for groq
        let router = try LiteLLMModel(modelID: "openrouter/anthropic/claude-3.5-sonnet", apiBase: "http://127.0.0.1:9/v1",
                                      apiKey: "k", environment: [:])
        #expect(!router.flattenMessagesAsText)
        #expect(try !LiteLLMModel(modelID: "groq/m", flattenMessagesAsText: false, environment: [:]).flattenMessagesAsText)
    }

    @Test("an unknown or not-yet-native prefix is a clear error listing the known providers")
    func unknownPrefixes() {
        for id in ["fal/llama-3.3-70b", "ollama_chat/llama3", "claude-3-5-sonnet"] {
            do {
                _ = try LiteLLMModel(modelID: id, environment: [:])
                Issue.record("\(id) must be rejected")
            } catch {
                #expect(error.message.contains("anthropic, azure, bedrock"), "\(error)")
            }
        }
    }

    @Test("hosted_vllm needs a base URL; anthropic needs a key; neither is guessed")
    func requiredSettings() throws {
        #expect(throws: ModelError.self) { try LiteLLMModel(modelID: "hosted_vllm/m", environment: [:]) }
        #expect(throws: ModelError.self) { try LiteLLMModel(modelID: "anthropic/claude", environment: [:]) }
        #expect(try LiteLLMModel(modelID: "hosted_vllm/m", environment: ["HOSTED_VLLM_API_BASE": "http://127.0.0.1:9/v1"])
            .provider.prefix == "hosted_vllm")
    }

    @Test("an OpenAI-compatible prefix sends the model name without its prefix")
    func prefixStripped() async throws {
        let completion: JSONValue = ["choices": [["index": 0, "message": ["role": "assistant", "content": "ok"], "finish_reason": "stop"]]]
        try await withTestServer({ _ in .json(completion) }) { server in
            let model = try LiteLLMModel(modelID: "deepseek/deepseek-chat", apiBase: server.baseURL + "/v1", apiKey: "k",
                                         environment: [:])
            let answer = try await model.generate([ChatMessage(role: .user, content: "hi")])
            #expect(answer.text == "ok")
            #expect(server.requests.first?.json?["model"] == "deepseek-chat")
            #expect(server.requests.first?.path == "/v1/chat/completions")
        }
    }
}

extension RealServerTests {
    @Suite("LiteLLMModel(\"anthropic/…\") through the LiteLLM proxy's Anthropic endpoint")
    struct LiteLLMAnthropicTests {
        @Test("generate and stream speak the Anthropic Messages API to a real server")
        func anthropicThroughProxy() async throws {
            let env = try RealServers.environment()
            let base = env.litellmBase.hasSuffix("/v1") ? String(env.litellmBase.dropLast(3)) : env.litellmBase
            let model = try LiteLLMModel(modelID: "anthropic/smollm2", apiBase: base, apiKey: env.litellmKey, environment: [:])
            let question = [ChatMessage(role: .user, content: "Say hello.")]
            let answer = try await model.generate(question, parameters: ["max_tokens": 16, "temperature": 0])
            #expect((answer.tokenUsage?.outputTokens ?? 0) > 0)
            var deltas: [ChatMessageStreamDelta] = []
            for try await delta in model.generateStream(question, parameters: ["max_tokens": 16, "temperature": 0]) {
                deltas.append(delta)
            }
            let streamed = try agglomerateStreamDeltas(deltas)
            #expect(!(streamed.text ?? "").isEmpty)
            #expect(streamed.finishReason != nil)
        }

        @Test("generate and stream speak Gemini's generateContent to a real server")
        func geminiThroughProxy() async throws {
            let env = try RealServers.environment()
            let root = env.litellmBase.hasSuffix("/v1") ? String(env.litellmBase.dropLast(3)) : env.litellmBase
            let model = try LiteLLMModel(modelID: "gemini/smollm2", apiBase: root + "/v1beta", apiKey: env.litellmKey,
                                         environment: [:])
            let question = [ChatMessage(role: .user, content: "Say hello.")]
            let answer = try await model.generate(question, parameters: ["max_tokens": 16, "temperature": 0])
            #expect(!(answer.text ?? "").isEmpty)
            #expect((answer.tokenUsage?.outputTokens ?? 0) > 0)
            var deltas: [ChatMessageStreamDelta] = []
            for try await delta in model.generateStream(question, parameters: ["max_tokens": 16, "temperature": 0]) {
                deltas.append(delta)
            }
            let streamed = try agglomerateStreamDeltas(deltas)
            #expect(!(streamed.text ?? "").isEmpty)
        }
    }
}
