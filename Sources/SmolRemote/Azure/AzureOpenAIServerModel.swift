import Foundation
import SmolCore

/// smolagents' `AzureOpenAIServerModel` (alias `AzureOpenAIModel`): a deployment on Azure OpenAI.
///
/// Two URL forms: the deployment form `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=…`
/// (the default, needs an API version), and the v1 form `{endpoint}/openai/v1/chat/completions` (chosen when
/// `apiVersion` is `"v1"` or the endpoint already ends in `/openai/v1`). Credentials: an API key sent as
/// `api-key` (as `Authorization: Bearer` in the v1 form), or an Entra ID token provider. Fallbacks as in
/// the official SDK: `AZURE_OPENAI_ENDPOINT`, `AZURE_OPENAI_API_KEY`, `AZURE_OPENAI_AD_TOKEN`, `OPENAI_API_VERSION`.
public struct AzureOpenAIServerModel: Model {
    /// The deployment name (smolagents' `model_id`), also sent as `model`.
    public let modelID: String?
    /// The chat-completions URL requests go to.
    public let url: String
    public var streamsIncrementally: Bool { true }
    let client: OpenAICompatibleClient

    /// Creates a model for a deployment.
    ///
    /// - Parameters:
    ///   - modelID: The deployment name.
    ///   - azureEndpoint: `https://RESOURCE.openai.azure.com`; default `AZURE_OPENAI_ENDPOINT`.
    ///   - apiKey: The resource key; default `AZURE_OPENAI_AD_TOKEN` (as a bearer token), then `AZURE_OPENAI_API_KEY`.
    ///   - apiVersion: e.g. `2024-10-21`; default `OPENAI_API_VERSION`. `"v1"` selects the v1 API.
    ///   - azureADTokenProvider: Fetches an Entra ID token before each request (scope
    ///     `https://cognitiveservices.azure.com/.default`); used instead of a key.
    ///   - organization: `OpenAI-Organization`, as for ``OpenAIServerModel``.
    ///   - project: `OpenAI-Project`, as for ``OpenAIServerModel``.
    ///   - flattenMessagesAsText: Send content as plain strings.
    ///   - customRoleConversions: Role mapping; replaces smolagents' tool-role defaults when non-empty.
    ///   - requestsPerMinute: Client-side rate limit (minimum spacing between requests).
    ///   - retry: Retry policy (`RetryPolicy.none` is smolagents' `retry=False`).
    ///   - parameters: Model-level completion parameters, sent with every call and overriding per-call ones.
    ///   - headers: Extra HTTP headers.
    ///   - http: Timeouts, redirects, hooks.
    ///   - environment: Where the fallbacks are read (the process environment by default).
    public init(
        modelID: String, azureEndpoint: String? = nil, apiKey: String? = nil, apiVersion: String? = nil,
        azureADTokenProvider: (@Sendable () async throws -> Secret)? = nil, organization: String? = nil,
        project: String? = nil, flattenMessagesAsText: Bool = false,
        customRoleConversions: [MessageRole: MessageRole]? = nil, requestsPerMinute: Double? = nil,
        retry: RetryPolicy = .default, parameters: ModelParameters = [:], headers: [String: String] = [:],
        http: HTTPConfiguration = HTTPConfiguration(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ModelError) {
        guard var base = azureEndpoint ?? environment["AZURE_OPENAI_ENDPOINT"] else {
            throw .invalidInput(message: "Must provide azureEndpoint or the AZURE_OPENAI_ENDPOINT environment variable",
                                location: "azureEndpoint")
        }
        while base.hasSuffix("/") { base.removeLast() }
        let version = apiVersion ?? environment["OPENAI_API_VERSION"]
        let v1 = version == "v1" || base.hasSuffix("/openai/v1")
        let credential: Credential
        if let azureADTokenProvider {
            credential = .bearerProvider(azureADTokenProvider)
        } else if let apiKey {
            credential = v1 ? .bearer(Secret(apiKey)) : .header(name: "api-key", Secret(apiKey))
        } else if let token = environment["AZURE_OPENAI_AD_TOKEN"] {
            credential = .bearer(Secret(token))
        } else if let key = environment["AZURE_OPENAI_API_KEY"] {
            credential = v1 ? .bearer(Secret(key)) : .header(name: "api-key", Secret(key))
        } else {
            throw .authentication(message: "Missing credentials: pass apiKey or azureADTokenProvider, or set AZURE_OPENAI_API_KEY or AZURE_OPENAI_AD_TOKEN")
        }
        let url: String
        if v1 {
            url = endpoint(base.hasSuffix("/openai/v1") ? base : base + "/openai/v1", appending: "chat/completions")
        } else {
            guard let version else {
                throw .invalidInput(message: "Must provide apiVersion or the OPENAI_API_VERSION environment variable",
                                    location: "apiVersion")
            }
            var components = URLComponents(string: base + "/openai/deployments/")
            let deployment = modelID.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(["/"])) ?? modelID
            components?.percentEncodedPath += deployment + "/chat/completions"
            components?.queryItems = [URLQueryItem(name: "api-version", value: version)]
            guard let built = components?.string else {
                throw .invalidInput(message: "not a valid endpoint URL: \(base)", location: "azureEndpoint")
            }
            url = built
        }
        var extraHeaders: [(String, String)] = [("User-Agent", "swift-smolagents/\(SmolVersion.current)")]
        if let organization { extraHeaders.append(("OpenAI-Organization", organization)) }
        if let project { extraHeaders.append(("OpenAI-Project", project)) }
        extraHeaders += headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        // The proxy and TLS variables come from the same environment as the keys.
        var configuration = http.inheriting(environment: environment)
        configuration.retry = retry
        self.modelID = modelID
        self.url = url
        var client = OpenAICompatibleClient(
            modelID: modelID, http: HTTPEngine(configuration: configuration), credential: credential,
            headers: extraHeaders, parameters: parameters, flattenMessagesAsText: flattenMessagesAsText,
            roleConversions: customRoleConversions, rateLimiter: try RateLimiter(requestsPerMinute: requestsPerMinute),
            target: { .init(url: url, model: modelID) })
        client.providerName = "azure.ai.openai"
        self.client = client
    }

    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await client.generate(messages, options: options)
    }

    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        client.generateStream(messages, options: options)
    }
}
