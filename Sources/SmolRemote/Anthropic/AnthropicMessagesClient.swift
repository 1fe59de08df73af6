import Foundation
import SmolCore

/// A model on Anthropic's Messages API (`POST {base}/v1/messages`), used by ``LiteLLMModel`` for the
/// `anthropic/` prefix: `x-api-key` and `anthropic-version: 2023-06-01` as the API documents and
/// LiteLLM sends, the ``AnthropicCodec`` body, and the SSE event stream read pull-based.
struct AnthropicMessagesClient: Model {
    let modelID: String?
    let url: String
    let apiKey: Secret?
    let version: String
    let http: HTTPEngine
    let parameters: ModelParameters
    let rateLimiter: RateLimiter?

    var streamsIncrementally: Bool { true }

    private var exchange: ModelExchange {
        ModelExchange(provider: "anthropic", modelID: modelID, parameters: parameters, http: http, rateLimiter: rateLimiter)
    }

    func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        let jsonMode = AnthropicCodec.usesJSONTool(options.responseFormat)
        return try await exchange.generate(options: options, request: { try request(messages, options: options, stream: false) },
                                           decode: { try AnthropicCodec.decodeResponse($0, jsonMode: jsonMode) })
    }

    func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let client = self
        let jsonMode = AnthropicCodec.usesJSONTool(options.responseFormat)
        return exchange.stream(AnthropicFraming.self, options: options, request: {
            try client.request(messages, options: options, stream: true)
        }, transform: { jsonMode ? Self.jsonMode($0) : $0 })
    }

    /// The stream with the forced response-format tool's input fragments as content (LiteLLM's JSON mode).
    static func jsonMode(_ upstream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: ChatMessageStreamDelta.self)
        let task = Task {
            var jsonBlocks: Set<Int> = []
            do {
                for try await var delta in upstream {
                    var content = delta.content ?? ""
                    delta.toolCalls = delta.toolCalls?.filter { call in
                        if call.function?.name == AnthropicCodec.jsonToolName { jsonBlocks.insert(call.index ?? -1) }
                        guard jsonBlocks.contains(call.index ?? -1) else { return true }
                        content += call.function?.arguments ?? ""
                        return false
                    }
                    if delta.toolCalls?.isEmpty == true { delta.toolCalls = nil }
                    if !content.isEmpty { delta.content = content }
                    if !jsonBlocks.isEmpty, delta.toolCalls == nil, delta.finishReason == "tool_use" { delta.finishReason = "end_turn" }
                    continuation.yield(delta)
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        // Ending the consumer cancels the task, whose iteration then ends the upstream request.
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    private func request(_ messages: [ChatMessage], options: GenerateOptions, stream: Bool) throws
        -> (HTTPEngine.Request, [Secret])
    {
        let body = try AnthropicCodec.requestBody(model: modelID ?? "", messages: messages, options: options,
                                                  modelParameters: parameters, stream: stream)
        var headers: [(String, String)] = [
            ("anthropic-version", version), ("content-type", "application/json"),
            ("User-Agent", "swift-smolagents/\(SmolVersion.current)"),
        ]
        if let apiKey { headers.append(("x-api-key", apiKey.revealed)) }
        return (HTTPEngine.Request(method: "POST", url: url, headers: headers, body: JSONEmitter().bytes(from: .object(body))),
                apiKey.map { [$0] } ?? [])
    }
}
