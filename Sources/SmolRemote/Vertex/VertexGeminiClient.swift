import Foundation
import SmolCore

/// A Gemini model on Vertex AI, used by ``LiteLLMModel`` for the `vertex_ai/` prefix.
///
/// The body is the Gemini API's (``GeminiCodec``; Vertex takes the same `GenerateContentRequest`), the stream the
/// same Server-Sent Events (``GeminiFraming``); what differs is the URL (``VertexEndpoint``) and the credential:
/// `Authorization: Bearer` with the OAuth token of a ``GoogleAccessTokenProvider``, fetched on the first call and
/// shared until it nears expiry.
struct VertexGeminiClient: Model {
    let modelID: String?
    let endpoint: VertexEndpoint
    let tokens: GoogleAccessTokenProvider
    let http: HTTPEngine
    let parameters: ModelParameters
    let rateLimiter: RateLimiter?

    var streamsIncrementally: Bool { true }

    /// OpenTelemetry's `gen_ai.provider.name` for Vertex AI.
    static let providerName = "gcp.vertex_ai"

    private var exchange: ModelExchange {
        ModelExchange(provider: Self.providerName, modelID: modelID, parameters: parameters, http: http, rateLimiter: rateLimiter)
    }

    func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await exchange.generate(options: options, request: { try await request(messages, options: options, stream: false) },
                                    decode: { try GeminiCodec.decodeResponse($0) })
    }

    func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let client = self
        return exchange.stream(GeminiFraming.self, options: options) {
            try await client.request(messages, options: options, stream: true)
        }
    }

    private func request(_ messages: [ChatMessage], options: GenerateOptions, stream: Bool) async throws
        -> (HTTPEngine.Request, [Secret])
    {
        // LiteLLM's Vertex keyword arguments configure the model; they are never request fields.
        var options = options
        for name in VertexSettings.parameterNames { options.parameters.removeValue(forKey: name) }
        let body = try GeminiCodec.requestBody(messages: messages, options: options, modelParameters: parameters)
        let token: Secret
        do throws(GoogleCredentialsError) {
            token = try await tokens.token()
        } catch {
            throw error.modelError
        }
        let headers: [(String, String)] = [
            ("Authorization", "Bearer \(token.revealed)"), ("Content-Type", "application/json"),
            ("User-Agent", "swift-smolagents/\(SmolVersion.current)"),
        ]
        return (HTTPEngine.Request(method: "POST", url: endpoint.url(model: modelID ?? "", stream: stream),
                                   headers: headers, body: JSONEmitter().bytes(from: .object(body))),
                [token])
    }
}
