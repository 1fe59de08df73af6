import Foundation
import SmolCore

/// A model on Google's Gemini API (`{base}/models/{model}:generateContent`, streamed with
/// `:streamGenerateContent?alt=sse`), used by ``LiteLLMModel`` for the `gemini/` prefix; the key goes in
/// `x-goog-api-key`.
struct GeminiClient: Model {
    let modelID: String?
    let base: String
    let apiKey: Secret?
    let http: HTTPEngine
    let parameters: ModelParameters
    let rateLimiter: RateLimiter?

    var streamsIncrementally: Bool { true }

    private var exchange: ModelExchange {
        ModelExchange(provider: "gcp.gemini", modelID: modelID, parameters: parameters, http: http, rateLimiter: rateLimiter)
    }

    func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await exchange.generate(options: options, request: { try request(messages, options: options, method: "generateContent") },
                                    decode: { try GeminiCodec.decodeResponse($0) })
    }

    func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let client = self
        return exchange.stream(GeminiFraming.self, options: options) {
            try client.request(messages, options: options, method: "streamGenerateContent?alt=sse")
        }
    }

    private func request(_ messages: [ChatMessage], options: GenerateOptions, method: String) throws
        -> (HTTPEngine.Request, [Secret])
    {
        let body = try GeminiCodec.requestBody(messages: messages, options: options, modelParameters: parameters)
        let model = (modelID ?? "").addingPercentEncoding(withAllowedCharacters: AmazonBedrockServerModel.pathSegmentAllowed) ?? ""
        var headers: [(String, String)] = [
            ("content-type", "application/json"), ("User-Agent", "swift-smolagents/\(SmolVersion.current)"),
        ]
        if let apiKey { headers.append(("x-goog-api-key", apiKey.revealed)) }
        return (HTTPEngine.Request(method: "POST", url: endpoint(base, appending: "models/\(model):\(method)"), headers: headers,
                                   body: JSONEmitter().bytes(from: .object(body))),
                apiKey.map { [$0] } ?? [])
    }
}
