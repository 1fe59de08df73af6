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

    func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await GenAITracing.traced(provider: Self.providerName, model: modelID, options: options,
                                      modelParameters: parameters, tracer: http.configuration.tracer) {
            let (request, secrets) = try await request(messages, options: options, stream: false)
            _ = try await rateLimiter?.throttle()
            let response = try await http.send(request, secrets: secrets)
            do {
                return try GeminiCodec.decodeResponse(response.body)
            } catch let error as ModelError {
                throw error.redacted(secrets)
            }
        }
    }

    func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let client = self
        let stream = DeltaStreamSource<GeminiFraming>(open: {
            let (request, secrets) = try await client.request(messages, options: options, stream: true)
            _ = try await client.rateLimiter?.throttle()
            return (try await client.http.stream(request, secrets: secrets), secrets)
        }).stream
        return GenAITracing.traced(provider: Self.providerName, model: modelID, options: options,
                                   modelParameters: parameters, tracer: http.configuration.tracer, stream: stream)
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
