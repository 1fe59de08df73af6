import Foundation
import SmolCore

/// LiteLLM 1.108.7's `azure_ai/` route (Azure AI Foundry, Azure AI model inference, serverless endpoints): OpenAI
/// chat completions with Azure's URL, key and content rules (`AzureAIStudioConfig`).
///
/// - URL: `{api_base}/models/chat/completions` on a `*.services.ai.azure.com` host, `{api_base}/chat/completions`
///   elsewhere; path segments the base already ends with are not repeated (`…/v1/chat/completions` stays), and
///   `api-version` is added to the query when given and not already there.
/// - Key: in `api-key` on `*.services.ai.azure.com` and `*.openai.azure.com` hosts, as `Authorization: Bearer`
///   elsewhere (serverless endpoints).
/// - Body: content lists holding only text become one string; messages with images keep their parts.
///
/// A model whose name contains `claude` is Anthropic's Messages API on Foundry instead: `{api_base}/anthropic/v1/messages`
/// with `x-api-key` and `anthropic-version: 2023-06-01` (LiteLLM also repeats the key in `api-key`; Azure reads
/// `x-api-key`).
///
/// Not served here: LiteLLM's `azure_ai/agents/…` and model-router routes, and Entra ID tokens when no key is given.
enum LiteLLMAzureAI {
    /// Whether LiteLLM sends this `azure_ai/` model to Anthropic's Messages API.
    static func isClaude(_ model: String) -> Bool { model.lowercased().contains("claude") }

    /// The Messages URL for `apiBase`: kept when it already ends in `/v1/messages`, else `/anthropic/v1/messages`
    /// after the part before any `/anthropic` in it.
    static func anthropicURL(apiBase: String) -> String {
        var base = apiBase
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasSuffix("/v1/messages") { return base }
        if let range = base.range(of: "/anthropic") { base = String(base[..<range.lowerBound]) }
        return base + "/anthropic/v1/messages"
    }

    /// The chat-completions URL for `apiBase`.
    static func url(apiBase: String, apiVersion: String?) -> String {
        guard var components = URLComponents(string: apiBase) else { return endpoint(apiBase, appending: "chat/completions") }
        let ending = isFoundryHost(components.host) ? ["models", "chat", "completions"] : ["chat", "completions"]
        components.percentEncodedPath = "/" + joined(components.percentEncodedPath.split(separator: "/").map(String.init),
                                                     ending).joined(separator: "/")
        var query = components.queryItems ?? []
        if let apiVersion, !query.contains(where: { $0.name == "api-version" }) {
            query.append(URLQueryItem(name: "api-version", value: apiVersion))
        }
        components.queryItems = query.isEmpty ? nil : query
        return components.string ?? apiBase
    }

    /// `base` followed by `ending`, overlapping where the end of `base` is already the start of `ending`
    /// (LiteLLM's `add_path_to_api_base`).
    static func joined(_ base: [String], _ ending: [String]) -> [String] {
        for start in base.indices where Array(base[start...]) == Array(ending.prefix(base.count - start)) {
            return Array(base[..<start]) + ending
        }
        return base + ending
    }

    /// Whether the key goes in `api-key` rather than `Authorization: Bearer`.
    static func usesAPIKeyHeader(_ apiBase: String) -> Bool {
        guard let host = URLComponents(string: apiBase)?.host?.lowercased() else { return false }
        return host.hasSuffix(".services.ai.azure.com") || host.hasSuffix(".openai.azure.com")
    }

    static func isFoundryHost(_ host: String?) -> Bool { host?.lowercased().hasSuffix(".services.ai.azure.com") == true }

    /// The `azure_ai/` backend: an ``OpenAIServerModel`` with Azure's URL, key header and content rule.
    static func model(
        modelID: String, apiBase: String, apiKey: String, apiVersion: String?, flatten: Bool,
        customRoleConversions: [MessageRole: MessageRole]?, requestsPerMinute: Double?, retry: RetryPolicy,
        parameters: ModelParameters, http: HTTPConfiguration
    ) throws(ModelError) -> OpenAIServerModel {
        var parameters = parameters
        parameters["api_version"] = nil
        var model = try OpenAIServerModel(
            modelID: modelID, apiBase: apiBase, apiKey: apiKey, flattenMessagesAsText: flatten,
            customRoleConversions: customRoleConversions, requestsPerMinute: requestsPerMinute, retry: retry,
            parameters: parameters, http: http, environment: [:])
        let url = url(apiBase: apiBase, apiVersion: apiVersion)
        model.client.target = { .init(url: url, model: modelID) }
        if usesAPIKeyHeader(apiBase) { model.client.credential = .header(name: "api-key", Secret(apiKey)) }
        model.client.providerName = "azure.ai.inference"
        model.client.adjustBody = { body, _ in
            body.removeValue(forKey: "api_version")  // a per-call LiteLLM keyword, not a body field
            if case .array(let messages)? = body["messages"] {
                body["messages"] = .array(messages.map(LiteLLMRequestQuirks.flattenedText))
            }
        }
        return model
    }
}
