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

    @Test("an unknown prefix is a clear error listing the known providers")
    func unknownPrefixes() {
        for id in ["fal/llama-3.3-70b", "replicate/meta/llama-3-70b", "claude-3-5-sonnet"] {
            do {
                _ = try LiteLLMModel(modelID: id, environment: [:])
                Issue.record("\(id) must be rejected")
            } catch {
                #expect(error.message.contains("anthropic, azure, azure_ai, bedrock"), "\(error)")
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
            #expect(answer.toolCalls?.first.map { parseJSONIfNeeded($0.function.arguments)["city"] != nil } == true)
            #expect(answer.finishReason == "tool_use")

            // `{"type": "any"}` reaches llama-cpp-python as tool_choice "required", which it refuses; the test
            // proxy's callback (scripts/oracles/litellm_llama_adapter.py) forces the only tool offered instead.
            let any = GenerateOptions(tools: [Self.weather], toolChoice: .required,
                                      parameters: ["max_tokens": 64, "temperature": 0])
            let anyAnswer = try await model.generate(question, options: any)
            #expect(anyAnswer.toolCalls?.map(\.function.name) == ["get_weather"])
            #expect(anyAnswer.finishReason == "tool_use")

            // Streamed: one tool_use block with its input_json deltas, then message_delta (stop_reason tool_use)
            // and message_stop. Without the test proxy's stream normalisation (litellm_llama_adapter.py) LiteLLM
            // 1.108.7 ends this stream with its own `event: error` instead; see ARCHITECTURE.md.
            var deltas: [ChatMessageStreamDelta] = []
            for try await delta in model.generateStream(question, options: options) { deltas.append(delta) }
            let streamed = try agglomerateStreamDeltas(deltas)
            #expect(streamed.toolCalls?.map(\.function.name) == ["get_weather"])
            #expect(streamed.toolCalls?.first.map { parseJSONIfNeeded($0.function.arguments)["city"] != nil } == true)
            #expect(streamed.finishReason == "tool_use")
        }

        @Test("a forced tool call through Gemini's generateContent comes back as a parsed functionCall, streamed and not")
        func geminiToolCall() async throws {
            // LiteLLM's Gemini front-end maps functionCallingConfig ANY to tool_choice "required" and drops
            // allowedFunctionNames; llama-cpp-python refuses "required". The test proxy's callback
            // (scripts/oracles/litellm_llama_adapter.py) turns it into the named function from the original
            // request's allowedFunctionNames (or the only tool offered), which llama-cpp-python grammar-forces.
            let env = try RealServers.environment()
            let root = env.litellmBase.hasSuffix("/v1") ? String(env.litellmBase.dropLast(3)) : env.litellmBase
            let model = try LiteLLMModel(modelID: "gemini/smollm2", apiBase: root + "/v1beta", apiKey: env.litellmKey,
                                         retry: .none, environment: [:])
            let question = [ChatMessage(role: .user, content: "What is the weather in Paris?")]
            let forced = GenerateOptions(tools: [Self.weather, Self.final], toolChoice: .function("get_weather"),
                                         parameters: ["max_tokens": 64, "temperature": 0])
            let answer = try await model.generate(question, options: forced)
            #expect(answer.toolCalls?.map(\.function.name) == ["get_weather"])
            #expect(answer.toolCalls?.first.map { parseJSONIfNeeded($0.function.arguments)["city"] != nil } == true)

            var deltas: [ChatMessageStreamDelta] = []
            for try await delta in model.generateStream(question, options: forced) { deltas.append(delta) }
            let streamed = try agglomerateStreamDeltas(deltas)
            #expect(streamed.toolCalls?.map(\.function.name) == ["get_weather"])
            #expect(streamed.toolCalls?.first.map { parseJSONIfNeeded($0.function.arguments)["city"] != nil } == true)
            #expect(streamed.finishReason == "STOP")

            // The allow-list decides, not the order: forcing the second tool offered calls that one.
            let second = GenerateOptions(tools: [Self.weather, Self.final], toolChoice: .function("final_answer"),
                                         parameters: ["max_tokens": 48, "temperature": 0])
            let secondAnswer = try await model.generate(question, options: second)
            #expect(secondAnswer.toolCalls?.map(\.function.name) == ["final_answer"])

            // ANY without an allow-list and a single tool (ToolChoice.required).
            let required = GenerateOptions(tools: [Self.weather], toolChoice: .required,
                                           parameters: ["max_tokens": 64, "temperature": 0])
            let requiredAnswer = try await model.generate(question, options: required)
            #expect(requiredAnswer.toolCalls?.map(\.function.name) == ["get_weather"])

            // AUTO at temperature 0 also calls the tool with this model.
            let auto = GenerateOptions(tools: [Self.weather, Self.final], toolChoice: .auto,
                                       parameters: ["max_tokens": 64, "temperature": 0])
            let autoAnswer = try await model.generate(question, options: auto)
            #expect(autoAnswer.toolCalls?.map(\.function.name) == ["get_weather"])
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
