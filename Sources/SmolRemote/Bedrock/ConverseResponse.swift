import NIOCore
import SmolCore

extension ConverseCodec {
    /// Decodes a Converse response into a message (`raw` holds the whole response).
    ///
    /// Text blocks are joined; reasoning blocks go to ``/SmolCore/ChatMessage/reasoningContent``; `toolUse` blocks
    /// become tool calls with their ids and JSON-object arguments (no `KeyError` on text-only replies,
    /// smolagents #1941); the forced ``responseFormatToolName`` call becomes the content as JSON text.
    public static func decodeResponse(_ bytes: [UInt8]) throws(ModelError) -> ChatMessage {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw .decoding(message: "the Converse response is not valid JSON (\(error))", payload: String(decoding: bytes, as: UTF8.self))
        }
        guard case .array(let blocks)? = json["output"]?["message"]?["content"] else {
            throw .decoding(message: "the Converse response has no output.message.content", payload: json.description)
        }
        var text = ""
        var reasoning: String?
        var calls: [ChatMessageToolCall] = []
        for block in blocks {
            if let piece = block["text"]?.stringValue {
                text += piece
            } else if let thought = block["reasoningContent"]?["reasoningText"]?["text"]?.stringValue {
                reasoning = (reasoning ?? "") + thought
            } else if let use = block["toolUse"] {
                let name = use["name"]?.stringValue ?? ""
                let input = use["input"] ?? .object([:])
                if name == responseFormatToolName {
                    text += JSONEmitter().string(from: input)
                } else {
                    calls.append(ChatMessageToolCall(id: use["toolUseId"]?.stringValue ?? "",
                                                     function: ChatMessageToolCallFunction(name: name, arguments: input)))
                }
            }
        }
        return ChatMessage(
            role: .assistant, content: .text(text), toolCalls: calls.isEmpty ? nil : calls, raw: json,
            tokenUsage: json["usage"].flatMap { $0.isNull ? nil : usage($0) }, reasoningContent: reasoning, finishReason: json["stopReason"]?.stringValue)
    }

    /// Converse's `usage`, cache read and write counts included.
    ///
    /// Bedrock's `inputTokens` leaves out the tokens read from or written to the prompt cache (its
    /// `totalTokens` counts them); ``/SmolCore/TokenUsage/inputTokens`` follows OpenAI's meaning, where cached
    /// tokens are part of the input, so they are added back and ``/SmolCore/TokenUsage/totalTokens`` matches Bedrock's.
    static func usage(_ value: JSONValue?) -> TokenUsage {
        guard let value, !value.isNull else { return .zero }
        let read = value["cacheReadInputTokens"]?.intValue
        let write = value["cacheWriteInputTokens"]?.intValue
        return TokenUsage(inputTokens: (value["inputTokens"]?.intValue ?? 0) + (read ?? 0) + (write ?? 0),
                          outputTokens: value["outputTokens"]?.intValue ?? 0,
                          cachedInputTokens: read, cacheWriteInputTokens: write)
    }
}

/// Turns ConverseStream events into deltas.
///
/// Text deltas become content, `toolUse` starts and input fragments become tool-call fragments keyed by
/// content-block index, reasoning deltas become reasoning content, `messageStop` gives the finish
/// reason and `metadata` the usage. The forced response-format tool's input is streamed as content.
public struct ConverseStreamDecoder: Sendable {
    private var responseFormatBlocks: Set<Int> = []
    /// Whether `messageStop` has arrived.
    public private(set) var stopped = false
    /// Whether the `metadata` event (usage) has arrived.
    public private(set) var sawMetadata = false

    /// A fresh decoder.
    public init() {}

    /// The delta an event carries, or `nil` for events without any (message start, block stop).
    public mutating func decode(_ event: BedrockStreamEvent) -> ChatMessageStreamDelta? {
        let payload = event.payload
        let index = payload["contentBlockIndex"]?.intValue ?? 0
        switch event.type {
        case "contentBlockStart":
            guard let use = payload["start"]?["toolUse"] else { return nil }
            let name = use["name"]?.stringValue
            if name == ConverseCodec.responseFormatToolName {
                responseFormatBlocks.insert(index)
                return nil
            }
            return ChatMessageStreamDelta(toolCalls: [ChatMessageToolCallStreamDelta(
                index: index, id: use["toolUseId"]?.stringValue, type: "function", function: .init(name: name, arguments: ""))])
        case "contentBlockDelta":
            let delta = payload["delta"]
            if let text = delta?["text"]?.stringValue { return ChatMessageStreamDelta(content: text) }
            if let input = delta?["toolUse"]?["input"]?.stringValue {
                if responseFormatBlocks.contains(index) { return ChatMessageStreamDelta(content: input) }
                return ChatMessageStreamDelta(toolCalls: [ChatMessageToolCallStreamDelta(
                    index: index, function: .init(arguments: input))])
            }
            if let thought = delta?["reasoningContent"]?["text"]?.stringValue {
                return ChatMessageStreamDelta(reasoningContent: thought)
            }
            return nil
        case "messageStop":
            stopped = true
            return ChatMessageStreamDelta(finishReason: payload["stopReason"]?.stringValue)
        case "metadata":
            sawMetadata = true
            return ChatMessageStreamDelta(tokenUsage: ConverseCodec.usage(payload["usage"]))
        default:
            return nil
        }
    }
}

/// ConverseStream: AWS event-stream frames carrying Converse events, ending with the body.
struct ConverseFraming: DeltaFraming {
    private var frames = EventStreamDecoder()
    private var decoder = ConverseStreamDecoder()
    private var failure = DeferredFailure()

    init() {}

    var isDone: Bool { false }

    mutating func push(_ bytes: ByteBufferView) throws(ModelError) -> [ChatMessageStreamDelta] {
        var deltas: [ChatMessageStreamDelta] = []
        // The decoder returns the frames before a bad one and keeps the error (`pendingFailure`); it is
        // delivered after their deltas, not when the next chunk happens to arrive. An exception event
        // after good frames is held back the same way.
        for message in try frames.push(bytes) {
            do {
                if let delta = decoder.decode(try BedrockStreamEvent.interpret(message)) { deltas.append(delta) }
            } catch {
                return try failure.deliver(deltas, then: error)
            }
        }
        if let error = frames.pendingFailure { return try failure.deliver(deltas, then: error) }
        return deltas
    }

    mutating func takeFailure() -> ModelError? { failure.take() }

    mutating func finish() throws(ModelError) -> [ChatMessageStreamDelta] {
        try frames.finish()
        guard decoder.stopped else { throw .stream(message: "the Converse stream ended before messageStop") }
        return []
    }
}

/// A ConverseStream read by the consumer's own `next()` calls.
typealias ConverseStreamSource = DeltaStreamSource<ConverseFraming>
