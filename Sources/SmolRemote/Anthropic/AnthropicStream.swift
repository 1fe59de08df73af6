import NIOCore
import SmolCore

/// Turns Anthropic Messages stream events into deltas, one Server-Sent Event at a time.
///
/// Text deltas become content, `tool_use` block starts and `input_json_delta` fragments become
/// tool-call fragments keyed by content-block index, `thinking_delta`s become reasoning content,
/// `message_delta` gives the finish reason. Usage counts are cumulative on the wire (`message_start`
/// has the input, `message_delta` the output so far); each delta carries only what is new, so the
/// deltas' usages add up to the final count. `ping` and unknown events are ignored.
public struct AnthropicStreamDecoder: Sendable {
    /// Whether `message_stop` has arrived.
    public private(set) var stopped = false
    private var reported = TokenUsage.zero
    private var latest = TokenUsage.zero
    private var sawUsage = false
    /// Tool-use blocks that have had no input fragment yet.
    private var emptyToolBlocks: Set<Int> = []

    /// A fresh decoder.
    public init() {}

    /// The delta an event carries, or `nil` for events without any.
    ///
    /// - Throws: ``/SmolCore/ModelError/stream(message:payload:partial:)`` for an `error` event, with the raw
    ///   event data; ``/SmolCore/ModelError/decoding(message:payload:)`` for data that is not JSON.
    public mutating func decode(_ event: SSEEvent) throws(ModelError) -> ChatMessageStreamDelta? {
        guard !stopped else { return nil }
        let data = event.data
        if event.event == "ping", data.isEmpty { return nil }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: data)
        } catch {
            throw .decoding(message: "an undecodable Anthropic stream event (\(error))", payload: data)
        }
        let type = json["type"]?.stringValue ?? event.event
        let index = json["index"]?.intValue ?? 0
        switch type {
        case "error":
            let error = json["error"]
            throw .stream(message: error?["message"]?.stringValue ?? error?.description ?? data, payload: data)
        case "message_start":
            return usageDelta(json["message"]?["usage"])
        case "content_block_start":
            let block = json["content_block"]
            switch block?["type"]?.stringValue {
            case "tool_use":
                var arguments = ""
                if let input = block?["input"]?.objectValue, !input.isEmpty {
                    arguments = JSONEmitter().string(from: .object(input))
                } else {
                    emptyToolBlocks.insert(index)
                }
                return ChatMessageStreamDelta(toolCalls: [ChatMessageToolCallStreamDelta(
                    index: index, id: block?["id"]?.stringValue, type: "function",
                    function: .init(name: block?["name"]?.stringValue, arguments: arguments))])
            case "text":
                guard let text = block?["text"]?.stringValue, !text.isEmpty else { return nil }
                return ChatMessageStreamDelta(content: text)
            case "thinking":
                guard let text = block?["thinking"]?.stringValue, !text.isEmpty else { return nil }
                return ChatMessageStreamDelta(reasoningContent: text)
            default:
                return nil
            }
        case "content_block_delta":
            let delta = json["delta"]
            switch delta?["type"]?.stringValue {
            case "text_delta":
                guard let text = delta?["text"]?.stringValue, !text.isEmpty else { return nil }
                return ChatMessageStreamDelta(content: text)
            case "input_json_delta":
                guard let fragment = delta?["partial_json"]?.stringValue, !fragment.isEmpty else { return nil }
                emptyToolBlocks.remove(index)
                return ChatMessageStreamDelta(toolCalls: [ChatMessageToolCallStreamDelta(
                    index: index, function: .init(arguments: fragment))])
            case "thinking_delta":
                guard let text = delta?["thinking"]?.stringValue, !text.isEmpty else { return nil }
                return ChatMessageStreamDelta(reasoningContent: text)
            default:
                return nil
            }
        case "content_block_stop":
            // A tool called without input gets `{}`, the JSON its non-streamed twin would carry.
            guard emptyToolBlocks.remove(index) != nil else { return nil }
            return ChatMessageStreamDelta(toolCalls: [ChatMessageToolCallStreamDelta(
                index: index, function: .init(arguments: "{}"))])
        case "message_delta":
            var delta = usageDelta(json["usage"]) ?? ChatMessageStreamDelta()
            if let reason = json["delta"]?["stop_reason"]?.stringValue { delta.finishReason = reason }
            return delta.tokenUsage == nil && delta.finishReason == nil ? nil : delta
        case "message_stop":
            stopped = true
            return nil
        default:
            return nil
        }
    }

    /// The part of a cumulative usage object not reported yet, as a delta; `nil` when nothing is new.
    private mutating func usageDelta(_ value: JSONValue?) -> ChatMessageStreamDelta? {
        guard let value, case .object = value else { return nil }
        // Fields a later event leaves out keep their earlier value.
        let read = value["cache_read_input_tokens"]?.intValue ?? latest.cachedInputTokens
        let write = value["cache_creation_input_tokens"]?.intValue ?? latest.cacheWriteInputTokens
        let plainInput = value["input_tokens"]?.intValue
            ?? (latest.inputTokens - (latest.cachedInputTokens ?? 0) - (latest.cacheWriteInputTokens ?? 0))
        latest = TokenUsage(inputTokens: plainInput + (read ?? 0) + (write ?? 0),
                            outputTokens: value["output_tokens"]?.intValue ?? latest.outputTokens,
                            cachedInputTokens: read, cacheWriteInputTokens: write)
        func difference(_ now: Int?, _ before: Int?) -> Int? { now.map { $0 - (before ?? 0) } }
        let new = TokenUsage(
            inputTokens: latest.inputTokens - reported.inputTokens, outputTokens: latest.outputTokens - reported.outputTokens,
            cachedInputTokens: difference(latest.cachedInputTokens, reported.cachedInputTokens),
            cacheWriteInputTokens: difference(latest.cacheWriteInputTokens, reported.cacheWriteInputTokens))
        reported = latest
        let unchanged = new.inputTokens == 0 && new.outputTokens == 0 && (new.cachedInputTokens ?? 0) == 0
            && (new.cacheWriteInputTokens ?? 0) == 0
        // The first usage is always reported, so a stream's usage is never missing.
        if unchanged, sawUsage { return nil }
        sawUsage = true
        return ChatMessageStreamDelta(tokenUsage: new)
    }
}

/// Anthropic Messages events over Server-Sent Events, ending at `message_stop` (there is no `[DONE]`).
typealias AnthropicFraming = SSEFraming<AnthropicStreamDecoder>

extension AnthropicStreamDecoder: SSEStreamDecoding {
    var reachedEnd: Bool { stopped }
    var isComplete: Bool { stopped }

    static func incomplete(midEvent: Bool) -> ModelError {
        .stream(message: midEvent ? "the Anthropic stream ended in the middle of an event, before message_stop"
                                  : "the Anthropic stream ended before message_stop")
    }
}
