import NIOCore
import SmolCore

/// Turns Cohere v2 chat stream events into deltas, one Server-Sent Event at a time.
///
/// Each event's data names its `type` (the SSE `event:` field repeats it): `content-delta` carries text
/// (`delta.message.content.text`, or `.thinking` for reasoning models, which becomes reasoning content),
/// `tool-plan-delta` the plan before tool calls (reasoning content too), `tool-call-start` a call's id and name
/// under its `index`, `tool-call-delta` more of its JSON arguments, and `message-end` the finish reason
/// (mapped by ``CohereCodec/finishReason(_:)``) and `usage.tokens`. `message-start`, `content-start`,
/// `content-end`, `tool-call-end` and `citation-*` carry nothing a message keeps.
///
/// LiteLLM 1.108.7 cannot read this stream (its v2 iterator parses each SSE line as JSON and fails on the
/// `event:` line, see `Fixtures/litellm-cohere/stream-*.json`); the event shapes here are Cohere's documented ones.
public struct CohereStreamDecoder: Sendable {
    /// Whether `message-end` has arrived.
    public private(set) var finished = false

    /// A fresh decoder.
    public init() {}

    /// The delta an event carries, or `nil` for an event without any.
    ///
    /// - Throws: ``/SmolCore/ModelError/decoding(message:payload:)`` for data that is not JSON;
    ///   ``/SmolCore/ModelError/stream(message:payload:partial:)`` for an error event.
    public mutating func decode(_ event: SSEEvent) throws(ModelError) -> ChatMessageStreamDelta? {
        let data = event.data
        if data.isEmpty || data == "[DONE]" { return nil }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: data)
        } catch {
            throw .decoding(message: "an undecodable Cohere stream event (\(error))", payload: data)
        }
        let type = json["type"]?.stringValue ?? event.event ?? ""
        let message = json["delta"]?["message"]
        let index = json["index"]?.intValue ?? 0
        var delta = ChatMessageStreamDelta()
        switch type {
        case "content-delta":
            let content = message?["content"]
            if let thinking = content?["thinking"]?.stringValue {
                delta.reasoningContent = thinking
            } else if let text = content?["text"]?.stringValue ?? content?.stringValue {
                delta.content = text
            }
        case "tool-plan-delta":
            delta.reasoningContent = message?["tool_plan"]?.stringValue
        case "tool-call-start", "tool-call-delta":
            let call = message?["tool_calls"]
            let function = call?["function"]
            delta.toolCalls = [ChatMessageToolCallStreamDelta(
                index: index, id: call?["id"]?.stringValue, type: type == "tool-call-start" ? "function" : nil,
                function: .init(name: function?["name"]?.stringValue, arguments: function?["arguments"]?.stringValue))]
        case "message-end":
            finished = true
            delta.finishReason = CohereCodec.finishReason(json["delta"]?["finish_reason"]?.stringValue)
            delta.tokenUsage = CohereCodec.usage(json["delta"]?["usage"])
        case "error":
            throw .stream(message: "Cohere reported an error: \(json["message"]?.stringValue ?? data)", payload: data)
        default:
            return nil
        }
        let empty = delta.content == nil && delta.reasoningContent == nil && delta.toolCalls == nil
            && delta.finishReason == nil && delta.tokenUsage == nil
        return empty ? nil : delta
    }
}

/// Cohere v2 chat events over Server-Sent Events. There is no `[DONE]`: the stream ends with the body, which
/// must have carried `message-end`.
typealias CohereFraming = SSEFraming<CohereStreamDecoder>

extension CohereStreamDecoder: SSEStreamDecoding {
    var isComplete: Bool { finished }

    static func incomplete(midEvent: Bool) -> ModelError {
        .stream(message: midEvent ? "the Cohere stream ended in the middle of an event, before message-end"
                                  : "the Cohere stream ended before message-end")
    }
}
