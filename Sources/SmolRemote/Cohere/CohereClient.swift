import Foundation
import SmolCore

/// A model on Cohere's v2 chat API, used by ``LiteLLMModel`` for the `cohere/` prefix.
///
/// The request goes to `url` itself (LiteLLM's `api_base` for Cohere is the whole endpoint, default
/// `https://api.cohere.com/v2/chat`) with `Authorization: Bearer`; the body is built by ``CohereCodec`` from
/// smolagents' prepared chat-completions parameters, and streams are decoded by ``CohereFraming``.
struct CohereClient: Model {
    let modelID: String?
    let url: String
    let apiKey: Secret
    let http: HTTPEngine
    let parameters: ModelParameters
    let flattenMessagesAsText: Bool
    let roleConversions: [MessageRole: MessageRole]?
    let rateLimiter: RateLimiter?

    var streamsIncrementally: Bool { true }

    /// LiteLLM's `Request-Source` says which client called; this one says so too, in Cohere's `unspecified:` form.
    static let requestSource = "unspecified:swift-smolagents"

    private var exchange: ModelExchange {
        ModelExchange(provider: "cohere", modelID: modelID, parameters: parameters, http: http, rateLimiter: rateLimiter)
    }

    func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await exchange.generate(options: options, request: { (try request(messages, options: options, stream: false), [apiKey]) },
                                    decode: { try CohereCodec.decodeResponse($0) })
    }

    func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let client = self
        return exchange.stream(CohereFraming.self, options: options) {
            (try client.request(messages, options: options, stream: true), [client.apiKey])
        }
    }

    private func request(_ messages: [ChatMessage], options: GenerateOptions, stream: Bool) throws -> HTTPEngine.Request {
        var extra = JSONObject()
        if let modelID { extra["model"] = .string(modelID) }
        let prepared = try prepareCompletionParameters(
            messages: messages, options: options, modelID: modelID, modelParameters: parameters,
            extraParameters: extra, roleConversions: roleConversions, convertImagesToImageURLs: true,
            flattenMessagesAsText: flattenMessagesAsText, nativeToolMessages: true)
        let body = CohereCodec.requestBody(
            fromChatCompletions: ChatCompletionsCodec.requestBody(prepared, stream: stream, includeUsage: false),
            stream: stream)
        let headers: [(String, String)] = [
            ("Authorization", "Bearer \(apiKey.revealed)"), ("Content-Type", "application/json"),
            ("Accept", "application/json"), ("Request-Source", Self.requestSource),
            ("User-Agent", "swift-smolagents/\(SmolVersion.current)"),
        ]
        return HTTPEngine.Request(method: "POST", url: url, headers: headers, body: JSONEmitter().bytes(from: .object(body)))
    }
}
