import Foundation
import SmolCore

/// smolagents' `OpenAIServerModel` (alias `OpenAIModel`): any OpenAI-compatible chat-completions server.
///
/// OpenAI itself, or — through `apiBase` — llama.cpp, vLLM, LM Studio, OpenRouter, LiteLLM's proxy and
/// the many providers that speak the same protocol. Like the official SDK it falls back to
/// `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `OPENAI_ORG_ID` and `OPENAI_PROJECT_ID`.
public struct OpenAIServerModel: Model {
    public let modelID: String?
    /// The base URL requests go to (`…/v1`); `/chat/completions` is appended.
    public let apiBase: String
    /// Whether message content is flattened to plain strings (for servers that reject content blocks).
    public let flattenMessagesAsText: Bool
    public var streamsIncrementally: Bool { true }
    var client: OpenAICompatibleClient

    /// Creates a model.
    ///
    /// - Parameters:
    ///   - modelID: The model name sent as `model`.
    ///   - apiBase: The server's base URL; default `OPENAI_BASE_URL`, then `https://api.openai.com/v1`.
    ///   - apiKey: The key; default `OPENAI_API_KEY`. Required, as in the official SDK (local servers
    ///     accept any value).
    ///   - organization: `OpenAI-Organization`; default `OPENAI_ORG_ID`.
    ///   - project: `OpenAI-Project`; default `OPENAI_PROJECT_ID`.
    ///   - flattenMessagesAsText: Send content as plain strings (smolagents' option for vLLM-like servers).
    ///   - customRoleConversions: Role mapping; replaces smolagents' tool-role defaults when non-empty.
    ///   - requestsPerMinute: Client-side rate limit (minimum spacing between requests).
    ///   - retry: Retry policy (``/SmolCore/RetryPolicy/none`` is smolagents' `retry=False`).
    ///   - parameters: Model-level completion parameters, sent with every call and overriding per-call ones.
    ///   - headers: Extra HTTP headers.
    ///   - http: Timeouts, redirects, hooks.
    ///   - environment: Where the fallbacks are read (the process environment by default).
    public init(
        modelID: String, apiBase: String? = nil, apiKey: String? = nil, organization: String? = nil,
        project: String? = nil, flattenMessagesAsText: Bool = false,
        customRoleConversions: [MessageRole: MessageRole]? = nil, requestsPerMinute: Double? = nil,
        retry: RetryPolicy = .default, parameters: ModelParameters = [:], headers: [String: String] = [:],
        http: HTTPConfiguration = HTTPConfiguration(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ModelError) {
        guard let key = apiKey ?? environment["OPENAI_API_KEY"] else {
            throw .authentication(message: "The api_key client option must be set either by passing apiKey to the model or by setting the OPENAI_API_KEY environment variable")
        }
        let base = apiBase ?? environment["OPENAI_BASE_URL"] ?? "https://api.openai.com/v1"
        var extraHeaders: [(String, String)] = [("User-Agent", "swift-smolagents/\(SmolVersion.current)")]
        if let organization = organization ?? environment["OPENAI_ORG_ID"] {
            extraHeaders.append(("OpenAI-Organization", organization))
        }
        if let project = project ?? environment["OPENAI_PROJECT_ID"] { extraHeaders.append(("OpenAI-Project", project)) }
        extraHeaders += headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let url = endpoint(base, appending: "chat/completions")
        // The proxy and TLS variables come from the same environment as the keys.
        var configuration = http.inheriting(environment: environment)
        configuration.retry = retry
        self.modelID = modelID
        self.apiBase = base
        self.flattenMessagesAsText = flattenMessagesAsText
        self.client = OpenAICompatibleClient(
            modelID: modelID, http: HTTPEngine(configuration: configuration), credential: .bearer(Secret(key)),
            headers: extraHeaders, parameters: parameters, flattenMessagesAsText: flattenMessagesAsText,
            roleConversions: customRoleConversions,
            rateLimiter: try RateLimiter(requestsPerMinute: requestsPerMinute),
            target: { .init(url: url, model: modelID) })
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

/// `base` with one `/` and `path` appended.
func endpoint(_ base: String, appending path: String) -> String {
    var base = base
    while base.hasSuffix("/") { base.removeLast() }
    return base + "/" + path
}
