import NIOCore
import SmolCore

/// The OpenAI chat-completions wire format: request bodies out, messages and deltas in.
///
/// Pure functions over bytes and JSON, shared by every OpenAI-compatible backend (OpenAI, Azure,
/// Hugging Face Inference Providers, vLLM, llama.cpp, LiteLLM, …).
public enum ChatCompletionsCodec {
    /// The request body: the prepared parameters (from ``/SmolCore/prepareCompletionParameters(messages:options:modelID:modelParameters:extraParameters:roleConversions:convertImagesToImageURLs:flattenMessagesAsText:nativeToolMessages:)``),
    /// plus `"stream": true` and `"stream_options": {"include_usage": true}` when streaming (a caller's
    /// own `stream_options` is kept).
    public static func requestBody(_ parameters: JSONObject, stream: Bool, includeUsage: Bool = true) -> JSONObject {
        var body = parameters
        if stream {
            body["stream"] = true
            if includeUsage, body["stream_options"] == nil { body["stream_options"] = ["include_usage": true] }
        }
        return body
    }

    /// Decodes a non-streamed response into a message (`raw` holds the whole response).
    ///
    /// Tool-call arguments are kept exactly as sent (a JSON string, parsed on demand with
    /// ``/SmolCore/parseJSONIfNeeded(_:)``). A missing or `null` usage is unknown usage (`tokenUsage` `nil`, as
    /// smolagents' `token_usage: null`), not zero tokens; an error object, no choices, or undecodable
    /// JSON is a ``/SmolCore/ModelError`` carrying the payload.
    public static func decodeResponse(_ bytes: [UInt8]) throws(ModelError) -> ChatMessage {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw .decoding(message: "the response is not valid JSON (\(error))", payload: String(decoding: bytes, as: UTF8.self))
        }
        if let error = json["error"], !error.isNull {
            throw .decoding(message: "the provider returned an error: \(error["message"]?.stringValue ?? error.description)",
                            payload: json.description)
        }
        guard case .array(let choices)? = json["choices"], let choice = choices.first else {
            throw .decoding(message: "the response has no choices (model \(json["model"]?.stringValue ?? "?"))",
                            payload: json.description)
        }
        guard case .object(let message)? = choice["message"] else {
            throw .decoding(message: "the first choice has no message", payload: json.description)
        }
        return ChatMessage(
            role: message["role"]?.stringValue.flatMap(MessageRole.init(rawValue:)) ?? .assistant,
            content: try content(message["content"], payload: json),
            toolCalls: try toolCalls(message["tool_calls"], payload: json),
            raw: json,
            tokenUsage: reportedUsage(json["usage"]),
            reasoningContent: message["reasoning_content"]?.stringValue ?? message["reasoning"]?.stringValue,
            finishReason: choice["finish_reason"]?.stringValue)
    }

    /// The usage a response reports: `nil` when `usage` is absent or `null` (the provider did not say,
    /// which is not the same as zero tokens).
    static func reportedUsage(_ value: JSONValue?) -> TokenUsage? {
        guard let value, !value.isNull else { return nil }
        return usage(value)
    }

    /// OpenAI's `usage` object as ``/SmolCore/TokenUsage``; `null`/absent counts are 0, cached and reasoning
    /// counts are read from the `*_details` objects when present.
    public static func usage(_ value: JSONValue?) -> TokenUsage {
        guard let value, !value.isNull else { return .zero }
        return TokenUsage(
            inputTokens: value["prompt_tokens"]?.intValue ?? 0,
            outputTokens: value["completion_tokens"]?.intValue ?? 0,
            cachedInputTokens: value["prompt_tokens_details"]?["cached_tokens"]?.intValue,
            reasoningTokens: value["completion_tokens_details"]?["reasoning_tokens"]?.intValue)
    }

    /// A string, or (some providers) a list of content blocks; a list we cannot read is an error
    /// carrying the payload rather than silently lost content.
    private static func content(_ value: JSONValue?, payload: JSONValue) throws(ModelError) -> MessageContent? {
        switch value {
        case .string(let text)?: return .text(text)
        case .array(let blocks)?:
            do {
                return try MessageContent(json: .array(blocks), location: "choices[0].message.content")
            } catch {
                throw .decoding(message: "unreadable message content (\(error.message))", payload: payload.description)
            }
        default: return nil
        }
    }

    private static func toolCalls(_ value: JSONValue?, payload: JSONValue) throws(ModelError) -> [ChatMessageToolCall]? {
        guard case .array(let calls)? = value, !calls.isEmpty else { return nil }
        var result: [ChatMessageToolCall] = []
        for call in calls {
            guard case .object(let function)? = call["function"], case .string(let name)? = function["name"] else {
                throw .decoding(message: "a tool call has no function name", payload: payload.description)
            }
            result.append(ChatMessageToolCall(
                id: call["id"]?.stringValue ?? "", type: call["type"]?.stringValue ?? "function",
                function: ChatMessageToolCallFunction(name: name, arguments: function["arguments"] ?? .string(""))))
        }
        return result
    }
}

/// Turns a chat-completions SSE stream into deltas, one event at a time.
public struct ChatCompletionsStreamDecoder: Sendable {
    /// Whether `data: [DONE]` has arrived.
    public private(set) var isDone = false

    /// A fresh decoder.
    public init() {}

    /// The delta an event carries, or `nil` for events without content (role-only deltas, keep-alives).
    ///
    /// An `error` object in the data (or an `event: error`) and undecodable data are ``/SmolCore/ModelError``s
    /// carrying the raw event, never silently dropped.
    public mutating func decode(_ event: SSEEvent) throws(ModelError) -> ChatMessageStreamDelta? {
        guard !isDone else { return nil }
        let data = event.data
        if data == "[DONE]" {
            isDone = true
            return nil
        }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: data)
        } catch {
            throw .decoding(message: "an undecodable stream chunk (\(error))", payload: data)
        }
        if let error = json["error"], !error.isNull {
            throw .stream(message: error["message"]?.stringValue ?? error.description, payload: data)
        }
        if event.event == "error" {
            throw .stream(message: json["message"]?.stringValue ?? data, payload: data)
        }
        var delta = ChatMessageStreamDelta()
        if let usage = json["usage"], !usage.isNull { delta.tokenUsage = ChatCompletionsCodec.usage(usage) }
        if case .array(let choices)? = json["choices"], let choice = choices.first {
            if let inner = choice["delta"], case .object = inner {
                if let text = inner["content"]?.stringValue, !text.isEmpty { delta.content = text }
                if let text = inner["reasoning_content"]?.stringValue ?? inner["reasoning"]?.stringValue, !text.isEmpty {
                    delta.reasoningContent = text
                }
                if case .array(let fragments)? = inner["tool_calls"], !fragments.isEmpty {
                    delta.toolCalls = fragments.enumerated().map { position, fragment in
                        let function = fragment["function"]
                        return ChatMessageToolCallStreamDelta(
                            index: fragment["index"]?.intValue ?? position,
                            id: fragment["id"]?.stringValue, type: fragment["type"]?.stringValue,
                            function: function.map { _ in
                                .init(name: function?["name"]?.stringValue, arguments: function?["arguments"]?.stringValue)
                            })
                    }
                }
            }
            if let reason = choice["finish_reason"]?.stringValue { delta.finishReason = reason }
        }
        let empty = delta.content == nil && delta.toolCalls == nil && delta.tokenUsage == nil
            && delta.reasoningContent == nil && delta.finishReason == nil
        return empty ? nil : delta
    }
}

/// Chat-completion chunks over Server-Sent Events, ending at `data: [DONE]`.
typealias ChatCompletionsFraming = SSEFraming<ChatCompletionsStreamDecoder>

extension ChatCompletionsStreamDecoder: SSEStreamDecoding {
    var reachedEnd: Bool { isDone }
    var isComplete: Bool { isDone }

    static func incomplete(midEvent: Bool) -> ModelError {
        .stream(message: midEvent ? "the stream ended in the middle of an event, before [DONE]"
                                  : "the stream ended before [DONE]")
    }
}
