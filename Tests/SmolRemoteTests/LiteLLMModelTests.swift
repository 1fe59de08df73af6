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
        for id in ["fal/llama-3.3-70b", "vertex_ai/gemini-2.0-flash", "claude-3-5-sonnet"] {
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

        static let weather = try! Tool(json: [
            "name": "get_weather", "description": "Get the current weather for a city.",
            "inputs": ["city": ["type": "string", "description": "The city name."]], "output_type": "string"])
        static let final = try! Tool(json: [
            "name": "final_answer", "description": "Provides a final answer to the given problem.",
            "inputs": ["answer": ["type": "string", "description": "The final answer."]], "output_type": "string"])

        @Test("a forced tool call through the Anthropic endpoint comes back as a parsed tool call, streamed and not")
        func anthropicForcedToolCall() async throws {
            let env = try RealServers.environment()
            let base = env.litellmBase.hasSuffix("/v1") ? String(env.litellmBase.dropLast(3)) : env.litellmBase
            let model = try LiteLLMModel(modelID: "anthropic/smollm2", apiBase: base, apiKey: env.litellmKey, environment: [:])
            let question = [ChatMessage(role: .user, content: "What is the weather in Paris?")]
            let options = GenerateOptions(tools: [Self.weather, Self.final], toolChoice: .function("get_weather"),
                                          parameters: ["max_tokens": 64, "temperature": 0])
            let answer = try await model.generate(question, options: options)
            #expect(answer.toolCalls?.map(\.function.name) == ["get_weather"])
            #expect(answer.toolCalls?.first.map { parseJSONIfNeeded($0.function.arguments).objectValue != nil } == true)
            #expect(answer.finishReason == "tool_use")

            // The proxy streams the tool_use block and its input, then (LiteLLM 1.108.7 with a llama-cpp-python
            // upstream) ends with its own `event: error` ("Error building chunks for logging/streaming usage
            // calculation") instead of message_stop. The tool call must be parsed from the stream; the proxy's
            // error, if it comes, must surface as a typed stream error carrying its payload, not be swallowed.
            var deltas: [ChatMessageStreamDelta] = []
            do {
                for try await delta in model.generateStream(question, options: options) { deltas.append(delta) }
            } catch let error as ModelError {
                guard case .stream(_, let payload?, _) = error, payload.contains("\"type\": \"error\"") else {
                    Issue.record("unexpected stream failure: \(error)")
                    return
                }
            }
            let streamed = try agglomerateStreamDeltas(deltas)
            #expect(streamed.toolCalls?.map(\.function.name) == ["get_weather"])
        }

        @Test("a tool call through Gemini's generateContent comes back as a parsed functionCall")
        func geminiToolCall() async throws {
            // Not forced: LiteLLM's Gemini front-end maps functionCallingConfig ANY to tool_choice "required",
            // which llama-cpp-python rejects with HTTP 500 (it takes "auto", "none" or a named function), and
            // its stream adapter drops tool-call chunks (one empty STOP chunk). AUTO at temperature 0 does call
            // the tool with this model; a forced call is checked against the google-genai goldens instead.
            let env = try RealServers.environment()
            let root = env.litellmBase.hasSuffix("/v1") ? String(env.litellmBase.dropLast(3)) : env.litellmBase
            let model = try LiteLLMModel(modelID: "gemini/smollm2", apiBase: root + "/v1beta", apiKey: env.litellmKey,
                                         retry: .none, environment: [:])
            let question = [ChatMessage(role: .user, content: "What is the weather in Paris?")]
            let options = GenerateOptions(tools: [Self.weather, Self.final], toolChoice: .auto,
                                          parameters: ["max_tokens": 64, "temperature": 0])
            let answer = try await model.generate(question, options: options)
            #expect(answer.toolCalls?.map(\.function.name) == ["get_weather"])
            #expect(answer.toolCalls?.first.map { parseJSONIfNeeded($0.function.arguments)["city"] != nil } == true)
            // Forcing is refused upstream, and the refusal is a typed HTTP error, not a silent empty answer.
            let forced = GenerateOptions(tools: [Self.weather], toolChoice: .function("get_weather"),
                                         parameters: ["max_tokens": 64, "temperature": 0])
            await #expect(throws: ModelError.self) { try await model.generate(question, options: forced) }
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
