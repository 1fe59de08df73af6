import Foundation
import SmolCore
import Testing

@testable import SmolRemote

@Suite("LiteLLMRouterModel configuration")
struct LiteLLMRouterConfigTests {
    static let modelList: JSONValue = [
        ["model_name": "gpt-4o", "litellm_params": [
            "model": "azure/gpt-4o-eu", "api_key": "os.environ/AZURE_KEY_EU", "api_base": "https://eu.example.com",
            "api_version": "2024-10-21", "rpm": 600, "timeout": 12.5, "temperature": 0.2, "cooldown_time": 30,
        ], "model_info": ["id": "eu"]],
        ["model_name": "gpt-4o", "litellm_params": ["model": "openai/gpt-4o", "api_key": "sk-plain-0002", "tpm": 100_000, "weight": 2]],
        ["model_name": "claude", "litellm_params": ["model": "anthropic/claude-3-5-sonnet-latest", "api_key": "ak-0003"]],
    ]

    @Test("a LiteLLM model_list in JSON loads with typed limits, os.environ keys and extra parameters kept")
    func modelListFromJSON() throws {
        let list = try LiteLLMDeployment.modelList(from: Self.modelList, environment: ["AZURE_KEY_EU": "az-secret-0001"])
        #expect(list.map(\.modelName) == ["gpt-4o", "gpt-4o", "claude"])
        let eu = list[0].litellmParams
        #expect(eu.apiKey?.revealed == "az-secret-0001")
        #expect(eu.apiVersion == "2024-10-21")
        #expect(eu.rpm == 600)
        #expect(eu.timeout == .milliseconds(12_500))
        #expect(eu.cooldownTime == .seconds(30))
        #expect(eu.parameters == ["temperature": 0.2])
        #expect(list[0].id(position: 0) == "eu")
        #expect(list[1].id(position: 1) == "gpt-4o/1")
        #expect(list[1].litellmParams.tpm == 100_000 && list[1].litellmParams.weight == 2)
    }

    @Test("a malformed model_list is a typed error naming the entry and key")
    func malformedModelList() {
        func location(_ json: JSONValue, environment: [String: String] = [:]) -> String? {
            do {
                _ = try LiteLLMDeployment.modelList(from: json, environment: environment)
                return nil
            } catch {
                if case .invalidInput(_, let location) = error { return location }
                return "wrong error: \(error)"
            }
        }
        #expect(location(["model_name": "x"]) == "model_list")
        #expect(location([["model_name": "x", "litellm_params": ["model": "openai/m", "rpm": -1]]])
            == "model_list[0].litellm_params.rpm")
        #expect(location([["model_name": "x", "litellm_params": ["model": "openai/m"]], ["model_name": "y"]])
            == "model_list[1].litellm_params")
        #expect(location([["model_name": "x", "litellm_params": ["model": "openai/m", "api_key": "os.environ/NOPE"]]])
            == "model_list[0].litellm_params.api_key")
        #expect(location([["model_name": "", "litellm_params": ["model": "openai/m"]]]) == "model_list[0].model_name")
        #expect(location([["model_name": "x", "litellm_params": [:], "extra": 1]]) == "model_list[0]")
    }

    @Test("client_kwargs read LiteLLM's Router arguments; unknown keys and strategies are rejected by name")
    func clientKwargs() throws {
        let options = try LiteLLMRouterOptions(json: [
            "routing_strategy": "usage-based-routing-v2", "num_retries": 4, "retry_after": 1.5,
            "fallbacks": [["gpt-4o": ["claude"]], ["*": ["claude"]]], "context_window_fallbacks": [["gpt-4o": ["claude"]]],
            "max_fallbacks": 2, "allowed_fails": 1, "cooldown_time": 10, "routing_strategy_args": ["lowest_latency_buffer": 0.5],
        ])
        #expect(options.routingStrategy == .usageBased)
        #expect(options.numRetries == 4 && options.maxFallbacks == 2 && options.allowedFails == 1)
        #expect(options.retryAfter == .milliseconds(1500) && options.cooldownTime == .seconds(10))
        #expect(options.fallbacks == ["gpt-4o": ["claude"]] && options.defaultFallbacks == ["claude"])
        #expect(options.contextWindowFallbacks == ["gpt-4o": ["claude"]] && options.lowestLatencyBuffer == 0.5)
        for (json, expected) in [(["redis_host": "x"], "client_kwargs.redis_host"),
                                 (["routing_strategy": "cost-based-routing"], "client_kwargs.routing_strategy"),
                                 (["fallbacks": ["claude"]], "client_kwargs.fallbacks[0]"),
                                 (["num_retries": -1], "client_kwargs.num_retries")] as [(JSONObject, String)] {
            do {
                _ = try LiteLLMRouterOptions(json: json)
                Issue.record("\(json) must be rejected")
            } catch {
                if case .invalidInput(_, let location) = error { #expect(location == expected) } else { Issue.record("\(error)") }
            }
        }
    }

    @Test("smolagents' constructor shape: model_id, model_list and client_kwargs as JSON")
    func smolagentsShape() throws {
        let router = try LiteLLMRouterModel(
            modelID: "gpt-4o", modelList: Self.modelList,
            clientKwargs: ["routing_strategy": "least-busy", "fallbacks": [["gpt-4o": ["claude"]]]],
            environment: ["AZURE_KEY_EU": "az-secret-0001"])
        #expect(router.modelID == "gpt-4o")
        #expect(router.options.routingStrategy == .leastBusy)
        #expect(router.modelList.count == 3)
        #expect(router.deploymentStatus().map(\.id) == ["eu", "gpt-4o/1", "claude/2"])
        #expect(!router.flattenMessagesAsText)
        #expect(try LiteLLMRouterModel(modelID: "groq-group", modelList: [
            LiteLLMDeployment(modelName: "groq-group", litellmParams: LiteLLMParams(model: "groq/llama", apiKey: "gsk-0001")),
        ], environment: [:]).flattenMessagesAsText)
    }

    @Test("an unknown group, fallback group or deployment provider fails at construction, naming it")
    func constructionErrors() {
        func failure(_ build: () throws -> LiteLLMRouterModel) -> ModelError? {
            do {
                _ = try build()
                return nil
            } catch {
                return error as? ModelError
            }
        }
        let list = try! LiteLLMDeployment.modelList(from: Self.modelList, environment: ["AZURE_KEY_EU": "az-secret-0001"])
        var options = LiteLLMRouterOptions()
        #expect(failure { try LiteLLMRouterModel(modelID: "nope", modelList: list, environment: [:]) }?.message
            .contains("'nope' is not in model_list") == true)
        options.fallbacks = ["gpt-4o": ["missing"]]
        let fallback = failure { try LiteLLMRouterModel(modelID: "gpt-4o", modelList: list, options: options, environment: [:]) }
        if case .invalidInput(let message, let location)? = fallback {
            #expect(message.contains("'missing'") && location == "fallbacks.gpt-4o")
        } else {
            Issue.record("expected invalidInput, got \(String(describing: fallback))")
        }
        let bad = [LiteLLMDeployment(modelName: "g", litellmParams: LiteLLMParams(model: "fal/x", apiKey: "sk-hidden-4242"))]
        let error = failure { try LiteLLMRouterModel(modelID: "g", modelList: bad, environment: [:]) }
        #expect(error.map { String(describing: $0) }?.contains("model_list[0]") == true)
        #expect(error.map { String(describing: $0) }?.contains("sk-hidden-4242") == false)
    }

    @Test("the router's description and status never show a key")
    func descriptionHidesKeys() throws {
        let router = try LiteLLMRouterModel(modelID: "gpt-4o", modelList: Self.modelList,
                                            environment: ["AZURE_KEY_EU": "az-secret-0001"])
        let text = String(describing: router) + String(reflecting: router) + "\(router.deploymentStatus())"
            + "\(router.modelList)"
        for secret in ["az-secret-0001", "sk-plain-0002", "ak-0003"] { #expect(!text.contains(secret)) }
        #expect(text.contains("azure/gpt-4o-eu"))
    }
}
