import Foundation
import SmolCore

/// A model on an Ollama server's native API, used by ``LiteLLMModel`` for `ollama_chat/` (`POST
/// {base}/api/chat`, ``OllamaCodec``) and `ollama/` (`POST {base}/api/generate`, ``OllamaGenerate``).
/// Replies are one JSON object, or NDJSON lines when streaming; a key, when given, goes in
/// `Authorization: Bearer` (ollama.com's hosted API; a local server needs none).
struct OllamaClient: Model {
    let modelID: String?
    let url: String
    let endpoint: OllamaStreamDecoder.Endpoint
    let apiKey: Secret?
    let http: HTTPEngine
    let parameters: ModelParameters
    let rateLimiter: RateLimiter?

    var streamsIncrementally: Bool { true }

    func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await GenAITracing.traced(provider: "ollama", model: modelID, options: options, modelParameters: parameters,
                                      tracer: http.configuration.tracer) {
            let (request, secrets, jsonFormat) = try request(messages, options: options, stream: false)
            _ = try await rateLimiter?.throttle()
            let response = try await http.send(request, secrets: secrets)
            do {
                switch endpoint {
                case .chat: return try OllamaCodec.decodeChatResponse(response.body)
                case .generate: return try OllamaGenerate.decodeResponse(response.body, jsonFormat: jsonFormat)
                }
            } catch let error as ModelError {
                throw error.redacted(secrets)
            }
        }
    }

    func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let client = self
        let open: @Sendable () async throws -> (HTTPEngine.StreamingResponse, [Secret]) = {
            let (request, secrets, _) = try client.request(messages, options: options, stream: true)
            _ = try await client.rateLimiter?.throttle()
            return (try await client.http.stream(request, secrets: secrets), secrets)
        }
        let stream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>
        switch endpoint {
        case .chat: stream = DeltaStreamSource<OllamaFraming<OllamaChatLines>>(open: open).stream
        case .generate: stream = DeltaStreamSource<OllamaFraming<OllamaGenerateLines>>(open: open).stream
        }
        return GenAITracing.traced(provider: "ollama", model: modelID, options: options, modelParameters: parameters,
                                   tracer: http.configuration.tracer, stream: stream)
    }

    /// The request, its secrets, and whether it asked for `format: "json"`.
    private func request(_ messages: [ChatMessage], options: GenerateOptions, stream: Bool) throws
        -> (HTTPEngine.Request, [Secret], Bool)
    {
        let body: JSONObject
        switch endpoint {
        case .chat:
            body = try OllamaCodec.chatRequestBody(model: modelID ?? "", messages: messages, options: options,
                                                   modelParameters: parameters, stream: stream)
        case .generate:
            body = try OllamaGenerate.requestBody(model: modelID ?? "", messages: messages, options: options,
                                                  modelParameters: parameters, stream: stream)
        }
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"), ("Accept", "application/json"),
            ("User-Agent", "swift-smolagents/\(SmolVersion.current)"),
        ]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey.revealed)")) }
        return (HTTPEngine.Request(method: "POST", url: url, headers: headers, body: JSONEmitter().bytes(from: .object(body))),
                apiKey.map { [$0] } ?? [], body["format"] == "json")
    }

    /// `{base}/api/chat` or `{base}/api/generate`; a base that already ends with the path is kept (as LiteLLM does).
    static func url(base: String, endpoint: OllamaStreamDecoder.Endpoint) -> String {
        var base = base
        while base.hasSuffix("/") { base.removeLast() }
        let path = endpoint == .chat ? "api/chat" : "api/generate"
        return base.hasSuffix("/" + path) ? base : base + "/" + path
    }
}
