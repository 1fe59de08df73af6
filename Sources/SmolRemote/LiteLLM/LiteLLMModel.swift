import Foundation
import SmolCore

/// smolagents' `LiteLLMModel`: one `"provider/model"` string for many providers, served natively.
///
/// The prefix picks the protocol and defaults from ``LiteLLMProvider/all`` (OpenAI-compatible providers,
/// Anthropic, Gemini, Gemini on Vertex AI, Cohere, Azure AI, Ollama's `/api/chat` and `/api/generate`, Azure, Hugging
/// Face, Bedrock); the rest of the string is the provider's model name. LiteLLM's keyword arguments that configure a
/// provider rather than a request go in `parameters`: `vertex_project`, `vertex_location`, `vertex_credentials` for
/// `vertex_ai/`, `api_version` for `azure_ai/`. Keys and
/// base URLs fall back to the environment variables LiteLLM reads. `flattenMessagesAsText` defaults, as
/// in smolagents, to true for model strings starting with `ollama`, `groq` or `cerebras`.
public struct LiteLLMModel: Model {
    /// The full `"provider/model"` string.
    public let modelID: String?
    /// The provider prefix.
    public let provider: LiteLLMProvider
    /// Whether content is sent as plain strings.
    public let flattenMessagesAsText: Bool
    private var backend: any Model

    public var streamsIncrementally: Bool { backend.streamsIncrementally }

    /// Creates a model.
    ///
    /// - Parameters:
    ///   - modelID: `"provider/model"`, e.g. `anthropic/claude-3-5-sonnet-latest`, `groq/llama-3.3-70b-versatile`,
    ///     `bedrock/us.anthropic.claude-3-5-haiku-20241022-v1:0`; default smolagents' `anthropic/claude-3-5-sonnet-20240620`.
    ///     A bare name (`gpt-4o`, `claude-haiku-4-5`) gets the provider LiteLLM's model table gives it.
    ///   - apiBase: Overrides the provider's base URL.
    ///   - apiKey: Overrides the provider's key variable.
    ///   - customRoleConversions: Role mapping; replaces smolagents' tool-role defaults when non-empty.
    ///   - flattenMessagesAsText: `nil` for smolagents' default (see above).
    ///   - requestsPerMinute: Client-side rate limit (minimum spacing between requests).
    ///   - retry: Retry policy (`RetryPolicy.none` is smolagents' `retry=False`).
    ///   - parameters: Model-level completion parameters, sent with every call and overriding per-call ones.
    ///   - http: Timeouts, redirects, hooks.
    ///   - environment: Where keys and base URLs are read (the process environment by default).
    public init(
        modelID: String = "anthropic/claude-3-5-sonnet-20240620", apiBase: String? = nil, apiKey: String? = nil,
        customRoleConversions: [MessageRole: MessageRole]? = nil, flattenMessagesAsText: Bool? = nil,
        requestsPerMinute: Double? = nil, retry: RetryPolicy = .default, parameters: ModelParameters = [:],
        http: HTTPConfiguration = HTTPConfiguration(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ModelError) {
        let routed = try Self.routedID(modelID)
        guard let slash = routed.firstIndex(of: "/") else {
            throw .invalidInput(message: "LLM Provider NOT provided: use \"provider/model\"", location: "modelID")
        }
        let prefix = String(routed[..<slash])
        let model = String(routed[routed.index(after: slash)...])
        guard let provider = LiteLLMProvider.all[prefix] else {
            let hint = LiteLLMProvider.notYetNative.contains(prefix) ? " is not served natively yet" : " is not a known provider"
            throw .invalidInput(message: "'\(prefix)'\(hint); known providers: \(Self.knownPrefixes)", location: "modelID")
        }
        let flatten = flattenMessagesAsText ?? ["ollama", "groq", "cerebras"].contains { modelID.hasPrefix($0) }
        let key = apiKey ?? provider.keyVariables.lazy.compactMap { environment[$0] }.first
        let base = apiBase ?? provider.baseVariables.lazy.compactMap { environment[$0] }.first ?? provider.defaultBase
        // The proxy and TLS variables come from the same environment as the keys.
        var configuration = http.inheriting(environment: environment)
        configuration.retry = retry
        switch provider.wireProtocol {
        case .openAICompatible:
            guard let base else {
                throw .invalidInput(message: "\(prefix) needs apiBase (or \(provider.baseVariables.joined(separator: " / ")))",
                                    location: "apiBase")
            }
            var openAI = try OpenAIServerModel(
                modelID: model, apiBase: base, apiKey: key ?? "none", flattenMessagesAsText: flatten,
                customRoleConversions: customRoleConversions, requestsPerMinute: requestsPerMinute, retry: retry,
                parameters: parameters, http: configuration, environment: [:])
            openAI.client.adjustBody = LiteLLMRequestQuirks.adjuster(for: prefix)
            // OpenTelemetry's names for the providers it lists; LiteLLM's prefix otherwise.
            openAI.client.providerName = ["mistral": "mistral_ai", "xai": "x_ai", "openai": "openai"][prefix] ?? prefix
            backend = openAI
        case .anthropic:
            guard let key else {
                throw .authentication(message: "Missing Anthropic API key: pass apiKey or set ANTHROPIC_API_KEY")
            }
            backend = AnthropicMessagesClient(
                modelID: model, url: endpoint(base ?? "https://api.anthropic.com", appending: "v1/messages"),
                apiKey: Secret(key), version: "2023-06-01", http: HTTPEngine(configuration: configuration),
                parameters: parameters, rateLimiter: try RateLimiter(requestsPerMinute: requestsPerMinute))
        case .gemini:
            guard let key else {
                throw .authentication(message: "Missing Gemini API key: pass apiKey or set GOOGLE_API_KEY or GEMINI_API_KEY")
            }
            backend = GeminiClient(
                modelID: model, base: base ?? "https://generativelanguage.googleapis.com/v1beta", apiKey: Secret(key),
                http: HTTPEngine(configuration: configuration), parameters: parameters,
                rateLimiter: try RateLimiter(requestsPerMinute: requestsPerMinute))
        case .ollamaChat, .ollamaGenerate:
            let kind: OllamaStreamDecoder.Endpoint = provider.wireProtocol == .ollamaChat ? .chat : .generate
            backend = OllamaClient(
                modelID: model, url: OllamaClient.url(base: base ?? "http://localhost:11434", endpoint: kind),
                endpoint: kind, apiKey: key.map { Secret($0) }, http: HTTPEngine(configuration: configuration),
                parameters: parameters, rateLimiter: try RateLimiter(requestsPerMinute: requestsPerMinute))
        case .vertexAI:
            let settings = try VertexSettings.resolve(parameters: parameters, apiBase: apiBase, environment: environment)
            let engine = HTTPEngine(configuration: configuration)
            backend = VertexGeminiClient(
                modelID: model, endpoint: settings.endpoint,
                tokens: GoogleAccessTokenProvider(credentials: settings.credentials, http: engine), http: engine,
                parameters: VertexSettings.withoutVertexKeywords(parameters),
                rateLimiter: try RateLimiter(requestsPerMinute: requestsPerMinute))
        case .cohere:
            guard !model.hasPrefix("v1/") else {
                throw .unsupported(message: "Cohere's v1 chat API (cohere/v1/…) is not served; use cohere/<model> (v2 chat)")
            }
            guard let key else { throw .authentication(message: "Missing Cohere API key: pass apiKey or set COHERE_API_KEY or CO_API_KEY") }
            backend = CohereClient(
                modelID: model.hasPrefix("v2/") ? String(model.dropFirst(3)) : model,
                url: base ?? "https://api.cohere.com/v2/chat", apiKey: Secret(key),
                http: HTTPEngine(configuration: configuration), parameters: parameters, flattenMessagesAsText: flatten,
                roleConversions: customRoleConversions, rateLimiter: try RateLimiter(requestsPerMinute: requestsPerMinute))
        case .azureAI:
            guard let base else {
                throw .invalidInput(message: "azure_ai needs apiBase (or AZURE_AI_API_BASE): the endpoint of the deployment",
                                    location: "apiBase")
            }
            guard let key else {
                throw .authentication(message: "Missing Azure AI key: pass apiKey or set AZURE_AI_API_KEY "
                                      + "(Entra ID tokens are not supported for azure_ai/)")
            }
            var version = environment["AZURE_API_VERSION"]
            if case .value(.string(let value))? = parameters["api_version"] { version = value }
            if LiteLLMAzureAI.isClaude(model) {
                var claudeParameters = parameters
                claudeParameters["api_version"] = nil
                backend = AnthropicMessagesClient(
                    modelID: model, url: LiteLLMAzureAI.anthropicURL(apiBase: base), apiKey: Secret(key), version: "2023-06-01",
                    http: HTTPEngine(configuration: configuration), parameters: claudeParameters,
                    rateLimiter: try RateLimiter(requestsPerMinute: requestsPerMinute))
            } else {
                backend = try LiteLLMAzureAI.model(
                    modelID: model, apiBase: base, apiKey: key, apiVersion: version, flatten: flatten,
                    customRoleConversions: customRoleConversions, requestsPerMinute: requestsPerMinute, retry: retry,
                    parameters: parameters, http: configuration)
            }
        case .azure, .huggingface, .bedrock:
            backend = try ModelFactory.remote.makeRemoteModel(Self.delegateConfiguration(
                provider.wireProtocol, model: model, base: base, key: key, explicit: (apiBase, apiKey),
                flatten: flatten, customRoleConversions: customRoleConversions, requestsPerMinute: requestsPerMinute,
                parameters: parameters, http: configuration, environment: environment))
        }
        // The native codecs get smolagents' message preparation here: custom role conversions, and flattening
        // when the caller asked for it (the Ollama default keeps images, as LiteLLM's own request does).
        let native = [.anthropic, .gemini, .vertexAI, .ollamaChat, .ollamaGenerate].contains(provider.wireProtocol)
            || (provider.wireProtocol == .azureAI && backend is AnthropicMessagesClient)
        if native,
           !(customRoleConversions ?? [:]).isEmpty || flattenMessagesAsText == true {
            backend = ConvertedMessagesModel(base: backend, roleConversions: customRoleConversions ?? [:],
                                             flatten: flattenMessagesAsText == true)
        }
        self.modelID = modelID
        self.provider = provider
        self.flattenMessagesAsText = flatten
    }

    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await backend.generate(messages, options: options)
    }

    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        backend.generateStream(messages, options: options)
    }

    /// The configuration of the smolagents model LiteLLM's `azure/`, `huggingface/` and `bedrock/` routes amount to,
    /// with LiteLLM's own environment variables (`AZURE_API_VERSION`, `AWS_REGION_NAME`).
    private static func delegateConfiguration(
        _ wire: LiteLLMProvider.WireProtocol, model: String, base: String?, key: String?,
        explicit: (apiBase: String?, apiKey: String?), flatten: Bool,
        customRoleConversions: [MessageRole: MessageRole]?, requestsPerMinute: Double?, parameters: ModelParameters,
        http: HTTPConfiguration, environment: [String: String]
    ) -> ModelConfiguration {
        var configuration = ModelConfiguration(
            type: .azureOpenAIServer, modelID: model, flattenMessagesAsText: flatten,
            customRoleConversions: customRoleConversions, requestsPerMinute: requestsPerMinute, parameters: parameters,
            http: http, environment: environment)
        switch wire {
        case .huggingface:
            // `huggingface/{provider}/{org}/{model}` names a provider; `huggingface/{org}/{model}` routes automatically.
            let parts = model.split(separator: "/", maxSplits: 1).map(String.init)
            let named = parts.count == 2 && model.split(separator: "/").count >= 3
            configuration.type = .inferenceClient
            configuration.modelID = named ? parts[1] : model
            configuration.provider = named ? parts[0] : nil
            configuration.apiKey = key.map { Secret($0) }
            configuration.apiBase = explicit.apiBase
        case .bedrock:
            configuration.type = .amazonBedrockServer
            configuration.modelID = model.hasPrefix("converse/") ? String(model.dropFirst("converse/".count)) : model
            configuration.region = environment["AWS_REGION_NAME"]
            configuration.apiKey = explicit.apiKey.map { Secret($0) }
            configuration.apiBase = explicit.apiBase
            configuration.flattenMessagesAsText = nil
        default:
            configuration.apiBase = base
            configuration.apiKey = key.map { Secret($0) }
            configuration.apiVersion = environment["AZURE_API_VERSION"]
        }
        return configuration
    }

    static var knownPrefixes: String { LiteLLMProvider.all.keys.sorted().joined(separator: ", ") }

    /// `provider/model`: the id itself, or for a bare name (`gpt-4o`, `claude-haiku-4-5`,
    /// `anthropic.claude-3-5-haiku-20241022-v1:0`) the provider LiteLLM's own model table gives it.
    static func routedID(_ modelID: String) throws(ModelError) -> String {
        if modelID.contains("/") { return modelID }
        guard let provider = LiteLLMModelTable.provider(of: modelID) else {
            throw .invalidInput(message: "LLM Provider NOT provided: \"\(modelID)\" has no provider prefix and is not in LiteLLM's "
                                + "model table (litellm \(LiteLLMModelTable.sourceVersion)); use \"provider/model\" "
                                + "(known providers: \(knownPrefixes))", location: "modelID")
        }
        switch provider {
        case "text-completion-openai":
            throw .unsupported(message: "\"\(modelID)\" is an OpenAI text-completion model (LiteLLM's text-completion-openai); "
                               + "LiteLLMModel speaks chat APIs only")
        case "cohere_chat": return "cohere/" + modelID
        default: return provider + "/" + modelID
        }
    }
}
