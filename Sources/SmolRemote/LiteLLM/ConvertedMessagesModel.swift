import SmolCore

/// smolagents prepares a `LiteLLMModel`'s messages (custom role conversions, flattening to text) before LiteLLM
/// turns them into any provider's format; the native Anthropic, Gemini and Ollama codecs get the same
/// preparation through this wrapper. (The OpenAI-compatible and delegated backends apply it themselves.)
struct ConvertedMessagesModel: Model {
    let base: any Model
    let roleConversions: [MessageRole: MessageRole]
    let flatten: Bool

    var modelID: String? { base.modelID }
    var streamsIncrementally: Bool { base.streamsIncrementally }

    /// Each message with its role converted and, when flattening, its content reduced to its first text block
    /// (smolagents drops the others; an image is an error rather than silently lost).
    func converted(_ messages: [ChatMessage]) throws(ModelError) -> [ChatMessage] {
        var out = messages
        for index in out.indices {
            if let role = roleConversions[out[index].role] { out[index].role = role }
            guard flatten, case .parts(let parts)? = out[index].content else { continue }
            if parts.contains(where: { if case .image = $0 { true } else { false } }) {
                throw .invalidInput(message: "flattenMessagesAsText sends text only; this message has an image",
                                    location: "messages[\(index)].content")
            }
            let text = parts.lazy.compactMap { part -> String? in if case .text(let text) = part { text } else { nil } }.first
            out[index].content = .text(text ?? "")
        }
        return out
    }

    func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await base.generate(converted(messages), options: options)
    }

    func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        do {
            return base.generateStream(try converted(messages), options: options)
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
    }
}
