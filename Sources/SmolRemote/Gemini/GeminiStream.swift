import NIOCore
import SmolCore

/// Turns Gemini `streamGenerateContent?alt=sse` chunks into deltas, one Server-Sent Event at a time.
///
/// Each event's data is a whole `GenerateContentResponse` holding the next piece of the first
/// candidate: text parts become content, `thought: true` parts reasoning content, and each
/// `functionCall` part one complete tool-call fragment (id, name and the arguments' JSON) under its
/// own index. Chunks repeat the usage counts so far (`usageMetadata`), so only the latest is kept and
/// reported once, by `finish()`: the deltas' usages then add up to the final count.
public struct GeminiStreamDecoder: Sendable {
    /// Whether a chunk with a `finishReason` has arrived.
    public private(set) var finished = false
    /// The latest `usageMetadata`, not reported yet.
    private var usage: JSONValue?
    /// How many function calls have been seen, the next call's index.
    private var callCount = 0

    /// A fresh decoder.
    public init() {}

    /// The delta a chunk carries, or `nil` for a chunk without any.
    ///
    /// - Throws: ``/SmolCore/ModelError/stream(message:payload:partial:)`` for an error chunk (`{"error": {…}}`) or
    ///   a blocked prompt, with the raw event data; ``/SmolCore/ModelError/decoding(message:payload:)`` for data
    ///   that is not JSON.
    public mutating func decode(_ event: SSEEvent) throws(ModelError) -> ChatMessageStreamDelta? {
        let data = event.data
        if data.isEmpty { return nil }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: data)
        } catch {
            throw .decoding(message: "an undecodable Gemini stream chunk (\(error))", payload: data)
        }
        do {
            try GeminiCodec.checkError(json)
        } catch {
            guard case .decoding(let message, _) = error else { throw error }
            throw .stream(message: message, payload: data)
        }
        if let value = json["usageMetadata"], case .object = value { usage = value }
        guard let candidate = json["candidates"]?.arrayValue?.first else { return nil }
        let content = GeminiCodec.decodeParts(candidate["content"]?["parts"]?.arrayValue ?? [], firstIndex: callCount)
        var delta = ChatMessageStreamDelta()
        if !content.text.isEmpty { delta.content = content.text }
        delta.reasoningContent = content.reasoning
        if !content.calls.isEmpty {
            delta.toolCalls = content.calls.enumerated().map { offset, call in
                ChatMessageToolCallStreamDelta(
                    index: callCount + offset, id: call.id, type: "function",
                    function: .init(name: call.function.name,
                                    arguments: JSONEmitter().string(from: parseJSONIfNeeded(call.function.arguments))))
            }
            callCount += content.calls.count
        }
        if let reason = candidate["finishReason"]?.stringValue {
            delta.finishReason = reason
            finished = true
        }
        let empty = delta.content == nil && delta.reasoningContent == nil && delta.toolCalls == nil && delta.finishReason == nil
        return empty ? nil : delta
    }

    /// The usage of the whole stream, once: `nil` after the first call or when no chunk had any.
    public mutating func takeUsage() -> ChatMessageStreamDelta? {
        guard let value = usage else { return nil }
        usage = nil
        return ChatMessageStreamDelta(tokenUsage: GeminiCodec.usage(value))
    }
}

/// Gemini `GenerateContentResponse` chunks over Server-Sent Events. There is no end marker: the stream
/// ends with the body, which must have carried a chunk with a `finishReason`.
typealias GeminiFraming = SSEFraming<GeminiStreamDecoder>

extension GeminiStreamDecoder: SSEStreamDecoding {
    var isComplete: Bool { finished }

    static func incomplete(midEvent: Bool) -> ModelError {
        .stream(message: midEvent ? "the Gemini stream ended in the middle of a chunk, before any finishReason"
                                  : "the Gemini stream ended before any chunk with a finishReason")
    }

    /// The usage of the whole stream, reported once at its end.
    mutating func finalDeltas() -> [ChatMessageStreamDelta] { takeUsage().map { [$0] } ?? [] }
}
