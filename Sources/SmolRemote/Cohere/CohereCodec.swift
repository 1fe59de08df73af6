import SmolCore

/// Cohere's v2 chat (`POST /v2/chat`) wire format: request bodies out, messages in (stream events:
/// `CohereStream.swift`).
///
/// v2 takes OpenAI-shaped `messages` and `tools`, so the body starts as the chat-completions body smolagents
/// prepares (``ChatCompletionsCodec``) and is then given Cohere's names, as LiteLLM 1.108.7's
/// `CohereV2ChatConfig` does: `top_p` → `p`, `stop` → `stop_sequences`, `n` → `num_generations`,
/// `max_completion_tokens` → `max_tokens`, no `stream_options`, `stream: true` for streams only.
///
/// Where LiteLLM drops what the caller asked for, this codec sends Cohere's own spelling instead (Cohere documents
/// both; dropping a caller's constraint silently would be worse):
/// - `tool_choice`: `required` → `"REQUIRED"`, `none` → `"NONE"`, a named function → `"REQUIRED"` with only that
///   tool offered, `auto` → left out (Cohere's default). LiteLLM never forwards it.
/// - `response_format`: `json_object` → `{"type": "json_object"}`, a JSON schema → `{"type": "json_object",
///   "json_schema": <schema>}`. LiteLLM refuses it for `cohere/`.
public enum CohereCodec {
    /// OpenAI parameter names Cohere spells differently.
    static let renamed: [String: String] = [
        "top_p": "p", "stop": "stop_sequences", "n": "num_generations", "max_completion_tokens": "max_tokens",
    ]

    /// The v2 chat body for a prepared chat-completions body.
    ///
    /// - Parameters:
    ///   - body: ``ChatCompletionsCodec/requestBody(_:stream:includeUsage:)``'s output.
    ///   - stream: Whether the reply is streamed.
    public static func requestBody(fromChatCompletions body: JSONObject, stream: Bool) -> JSONObject {
        var out: JSONObject = [:]
        for (key, value) in body {
            switch key {
            case "stream_options", "tool_choice", "response_format", "stream", "max_completion_tokens": continue
            default: out[renamed[key] ?? key] = value
            }
        }
        // As in LiteLLM, max_completion_tokens wins over max_tokens.
        if let value = body["max_completion_tokens"] { out["max_tokens"] = value }
        switch body["tool_choice"] {
        case .string("required")?: out["tool_choice"] = "REQUIRED"
        case .string("none")?: out["tool_choice"] = "NONE"
        case .object(let choice)?:
            if let name = choice["function"]?["name"]?.stringValue {
                out["tool_choice"] = "REQUIRED"
                out["tools"] = out["tools"]?.arrayValue.map { tools in
                    JSONValue.array(tools.filter { $0["function"]?["name"]?.stringValue == name })
                }
            }
        default: break
        }
        // Only the JSON kinds switch Cohere's JSON mode on: `{"type": "text"}` is plain text, as asked.
        if let format = body["response_format"]?.objectValue,
           let kind = format["type"]?.stringValue, kind == "json_object" || kind == "json_schema" {
            var native: JSONObject = ["type": "json_object"]
            if let schema = format["json_schema"]?["schema"] ?? format["schema"] { native["json_schema"] = schema }
            out["response_format"] = .object(native)
        }
        if stream { out["stream"] = true }
        return out
    }

    /// LiteLLM's finish reasons for Cohere's (`map_finish_reason`), and `tool_calls` for `TOOL_CALL`, the
    /// reason LiteLLM's stream wrapper reports when tool calls arrived.
    public static func finishReason(_ reason: String?) -> String? {
        guard let reason else { return nil }
        switch reason {
        case "COMPLETE", "STOP_SEQUENCE", "ERROR": return "stop"
        case "MAX_TOKENS": return "length"
        case "TOOL_CALL": return "tool_calls"
        case "ERROR_TOXIC": return "content_filter"
        default: return reason.lowercased()
        }
    }

    /// Decodes a v2 chat response into a message (`raw` holds the whole response).
    ///
    /// Text content blocks are joined into the content; `thinking` blocks (reasoning models) and the `tool_plan`
    /// (the model's plan before calling tools) become ``/SmolCore/ChatMessage/reasoningContent``; `tool_calls` keep
    /// their ids and JSON-string arguments; usage is `usage.tokens` (what the model read and wrote, not the
    /// `billed_units`), as LiteLLM reports it.
    ///
    /// - Throws: ``/SmolCore/ModelError/decoding(message:payload:)`` for a body that is not JSON or has no `message`.
    public static func decodeResponse(_ bytes: [UInt8]) throws(ModelError) -> ChatMessage {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw .decoding(message: "the Cohere response is not valid JSON (\(error))", payload: String(decoding: bytes, as: UTF8.self))
        }
        guard let message = json["message"], message.objectValue != nil else {
            throw .decoding(message: "the Cohere response has no message", payload: json.description)
        }
        var text = ""
        var reasoning: [String] = []
        if let plan = message["tool_plan"]?.stringValue, !plan.isEmpty { reasoning.append(plan) }
        for block in message["content"]?.arrayValue ?? [] {
            if let thinking = block["thinking"]?.stringValue, block["type"] == "thinking" {
                reasoning.append(thinking)
            } else if let value = block["text"]?.stringValue {
                text += value
            }
        }
        let calls = (message["tool_calls"]?.arrayValue ?? []).enumerated().map { index, call in
            ChatMessageToolCall(id: call["id"]?.stringValue ?? "call_\(index)", function: ChatMessageToolCallFunction(
                name: call["function"]?["name"]?.stringValue ?? "", arguments: call["function"]?["arguments"] ?? .string("")))
        }
        return ChatMessage(
            role: .assistant, content: .text(text), toolCalls: calls.isEmpty ? nil : calls, raw: json,
            tokenUsage: usage(json["usage"]), reasoningContent: reasoning.isEmpty ? nil : reasoning.joined(),
            finishReason: finishReason(json["finish_reason"]?.stringValue))
    }

    /// `usage.tokens` as token usage (`nil` when the response has no usage).
    static func usage(_ value: JSONValue?) -> TokenUsage? {
        guard let tokens = value?["tokens"], tokens.objectValue != nil else { return nil }
        return TokenUsage(inputTokens: tokens["input_tokens"]?.intValue ?? 0,
                          outputTokens: tokens["output_tokens"]?.intValue ?? 0)
    }
}
