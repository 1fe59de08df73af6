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

    func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await GenAITracing.traced(provider: "cohere", model: modelID, options: options, modelParameters: parameters,
                                      tracer: http.configuration.tracer) {
            let request = try request(messages, options: options, stream: false)
            _ = try await rateLimiter?.throttle()
            let response = try await http.send(request, secrets: [apiKey])
            do {
                return try CohereCodec.decodeResponse(response.body)
            } catch let error as ModelError {
                throw error.redacted([apiKey])
            }
        }
    }

    func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let client = self
        let stream = DeltaStreamSource<CohereFraming>(open: {
            let request = try client.request(messages, options: options, stream: true)
            _ = try await client.rateLimiter?.throttle()
            return (try await client.http.stream(request, secrets: [client.apiKey]), [client.apiKey])
        }).stream
        return GenAITracing.traced(provider: "cohere", model: modelID, options: options, modelParameters: parameters,
                                   tracer: http.configuration.tracer, stream: stream)
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
