import Foundation
import SmolCore

/// How a backend authenticates.
public enum Credential: Sendable {
    /// No credential (local servers).
    case none
    /// `Authorization: Bearer <secret>`.
    case bearer(Secret)
    /// A named header holding the secret, e.g. Azure's `api-key`.
    case header(name: String, Secret)
    /// A bearer token fetched before each request (Azure Entra ID, short-lived tokens).
    case bearerProvider(@Sendable () async throws -> Secret)

    var staticSecret: Secret? {
        switch self {
        case .bearer(let secret), .header(_, let secret): return secret
        case .none, .bearerProvider: return nil
        }
    }
}

/// The engine shared by every OpenAI-compatible model: builds the request from smolagents' prepared
/// parameters, sends it through ``HTTPEngine``, and decodes the answer or the stream.
///
/// The model types (``OpenAIServerModel``, ``AzureOpenAIServerModel``, ``InferenceClientModel``,
/// ``VLLMModel``) are presets of this: an endpoint, a credential, and a few hooks.
struct OpenAICompatibleClient: Sendable {
    /// Where the request goes and what model it names, resolved per call (HF may look up a mapping).
    struct Target: Sendable {
        var url: String
        var model: String?
    }

    var modelID: String
    var http: HTTPEngine
    var credential: Credential
    var headers: [(String, String)]
    var parameters: ModelParameters
    var flattenMessagesAsText: Bool
    var roleConversions: [MessageRole: MessageRole]?
    var rateLimiter: RateLimiter?
    /// `gen_ai.provider.name` of this client's spans (OpenTelemetry's value where it has one).
    var providerName = "openai"
    /// Sends `stream_options.include_usage` with streams.
    var includeUsage = true
    /// The `Accept` header (`huggingface_hub` sends `*/*`, the OpenAI SDK `application/json`).
    var accept = "application/json"
    /// Resolves the URL and body `model` for a call.
    var target: @Sendable () async throws -> Target
    /// Rewrites the body before it is sent (provider quirks). Called after every other step.
    var adjustBody: (@Sendable (inout JSONObject, _ stream: Bool) async throws -> Void)?

    private var secrets: [Secret] { credential.staticSecret.map { [$0] } ?? [] }

    /// Whether the provider accepts `stop` for this model; when not, stops are applied client side.
    var supportsStop: Bool { supportsStopParameter(modelID) }

    private var exchange: ModelExchange {
        ModelExchange(provider: providerName, modelID: modelID, parameters: parameters, http: http, rateLimiter: rateLimiter)
    }

    func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        // Stops the provider does not take are applied here, client side.
        let clientStops = supportsStop ? nil : options.stopSequences
        return try await exchange.generate(options: options, request: { try await makeRequest(messages, options: options, stream: false) }) {
            var message = try ChatCompletionsCodec.decodeResponse($0)
            if let stops = clientStops, case .text(let text)? = message.content {
                message.content = .text(removeContentAfterStopSequences(text, stopSequences: stops) ?? text)
            }
            return message
        }
    }

    func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let client = self
        let clientStops = supportsStop ? nil : options.stopSequences
        return exchange.stream(ChatCompletionsFraming.self, options: options, request: {
            try await client.makeRequest(messages, options: options, stream: true)
        }, transform: { stream in clientStops.map { stream.stoppingAt($0) } ?? stream })
    }

    fileprivate func makeRequest(_ messages: [ChatMessage], options: GenerateOptions, stream: Bool) async throws
        -> (HTTPEngine.Request, [Secret])
    {
        let target = try await target()
        var extra = JSONObject()
        if let model = target.model { extra["model"] = .string(model) }
        let prepared = try prepareCompletionParameters(
            messages: messages, options: options, modelID: modelID, modelParameters: parameters,
            extraParameters: extra, roleConversions: roleConversions, convertImagesToImageURLs: true,
            flattenMessagesAsText: flattenMessagesAsText, nativeToolMessages: true)
        var body = ChatCompletionsCodec.requestBody(prepared, stream: stream, includeUsage: includeUsage)
        try await adjustBody?(&body, stream)
        var headers = headers
        var secrets = self.secrets
        switch credential {
        case .none: break
        case .bearer(let secret): headers.append(("Authorization", "Bearer \(secret.revealed)"))
        case .header(let name, let secret): headers.append((name, secret.revealed))
        case .bearerProvider(let provider):
            let secret = try await provider()
            secrets.append(secret)
            headers.append(("Authorization", "Bearer \(secret.revealed)"))
        }
        headers.append(("Content-Type", "application/json"))
        headers.append(("Accept", accept))
        let bytes = JSONEmitter().bytes(from: .object(body))
        return (HTTPEngine.Request(method: "POST", url: target.url, headers: headers, body: bytes), secrets)
    }
}
