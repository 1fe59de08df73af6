import SmolCore

/// Anthropic's Messages API wire format: request bodies out, messages in (stream events:
/// `AnthropicStream.swift`).
///
/// Conversations become real Messages turns: system messages go in the top-level `system`, tool calls
/// and results become `tool_use` / `tool_result` blocks with their ids, consecutive messages of the
/// same role are merged (the API requires alternating `user` / `assistant` turns), images become
/// `image` blocks, stop sequences go in `stop_sequences`, tools in `tools` / `tool_choice`.
public enum AnthropicCodec {
    /// `max_tokens` when the caller gives none: the Messages API requires it.
    public static let defaultMaxTokens = 4096

    /// Completion parameters that name the token limit, under any of their usual spellings.
    static let maxTokensKeys: Set<String> = ["max_tokens", "max_new_tokens", "maxTokens"]

    /// Body fields the codec owns; parameters with these names are ignored.
    static let reservedKeys: Set<String> = ["model", "messages", "stream"]

    /// The Messages request body.
    ///
    /// Parameters other than the token limit and stop sequences (`temperature`, `top_p`, `top_k`,
    /// `metadata`, `thinking`, `tool_choice`, …) are passed through as they are, so a caller's own
    /// value wins over the one built from `options`.
    ///
    /// - Parameters:
    ///   - model: The Anthropic model name (`claude-…`).
    ///   - messages: The conversation.
    ///   - options: The call's stop sequences, tools, tool choice, response format and parameters.
    ///   - modelParameters: Model-level parameters (override per-call ones, as in smolagents).
    ///   - stream: Whether to ask for a Server-Sent Events stream (`"stream": true`).
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` for a tool call whose arguments are not
    ///   a JSON object or a schema that is not an object; ``/SmolCore/ModelError/unsupported(message:)`` for images
    ///   in a system message or a `response_format` with no schema. A response format becomes LiteLLM's forced
    ///   ``jsonToolName`` tool (the Messages API has no JSON mode).
    public static func requestBody(
        model: String, messages: [ChatMessage], options: GenerateOptions, modelParameters: ModelParameters = [:],
        stream: Bool
    ) throws(ModelError) -> JSONObject {
        let jsonTool = try responseFormatTool(options.responseFormat)
        var body: JSONObject = ["model": .string(model)]
        var system: [ContentPart] = []
        var turns: [(role: String, content: [JSONValue])] = []
        for (index, message) in messages.enumerated() {
            let location = "messages[\(index)]"
            if message.role == .system {
                system += message.content?.parts ?? []
                continue
            }
            var content: [JSONValue]
            let role: String
            switch message.role {
            case .assistant, .toolCall:
                role = "assistant"
                content = try blocks(of: message.content, location: location)
                for call in message.toolCalls ?? [] {
                    content.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.function.name),
                                    "input": try toolInput(call.function.arguments, location: location)])
                }
            case .toolResponse where message.toolCallID != nil:
                role = "user"
                content = [["type": "tool_result", "tool_use_id": .string(message.toolCallID ?? ""),
                            "content": try toolResultContent(message.content, location: location)]]
            default:
                role = "user"
                content = try blocks(of: message.content, location: location)
            }
            guard !content.isEmpty else { continue }
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].content += content
            } else {
                turns.append((role, content))
            }
        }
        body["messages"] = .array(turns.map { ["role": .string($0.role), "content": .array($0.content)] })
        if let system = try systemValue(system) { body["system"] = system }
        body["max_tokens"] = .int(defaultMaxTokens)
        if let stops = options.stopSequences, !stops.isEmpty { body["stop_sequences"] = .array(stops.map(JSONValue.string)) }
        if let tools = options.tools, !tools.isEmpty {
            body["tools"] = .array(tools.map { tool in
                ["name": .string(tool.name), "description": .string(tool.description),
                 "input_schema": tool.jsonSchema["function"]?["parameters"] ?? ["type": "object"]]
            })
            if let choice = toolChoice(options.toolChoice ?? .required) { body["tool_choice"] = choice }
        }
        if let jsonTool {
            // LiteLLM's emulation: the answer is the input of one forced tool, added after the caller's tools.
            body["tools"] = .array((body["tools"]?.arrayValue ?? []) + [jsonTool])
            body["tool_choice"] = ["name": .string(jsonToolName), "type": "tool"]
        }

        var parameters = options.parameters
        for (key, setting) in modelParameters {
            switch setting {
            case .remove: parameters.removeValue(forKey: key)
            case .value(let value): parameters[key] = value
            }
        }
        for (key, value) in parameters where !reservedKeys.contains(key) {
            if maxTokensKeys.contains(key) {
                body["max_tokens"] = value
            } else if key == "stop" || key == "stop_sequences" {
                body["stop_sequences"] = value.stringValue.map { [.string($0)] } ?? value
            } else {
                body[key] = value
            }
        }
        if stream { body["stream"] = true }
        return body
    }

    /// The tool LiteLLM forces to emulate `response_format` on the Messages API (which has no JSON mode).
    public static let jsonToolName = "json_tool_call"

    /// Whether `format` is answered through the forced ``jsonToolName`` tool (so its input becomes the content).
    static func usesJSONTool(_ format: ResponseFormat?) -> Bool { (try? responseFormatTool(format)) != nil }

    /// LiteLLM's `response_format` tool: `input_schema` is `{"type": "object"}` updated with the answer's schema
    /// (an open object for `json_object`); `nil` for no format or `{"type": "text"}`.
    static func responseFormatTool(_ format: ResponseFormat?) throws(ModelError) -> JSONValue? {
        var schema: JSONObject = ["type": "object"]
        switch format {
        case nil:
            return nil
        case .jsonObject:
            // LiteLLM drops json_object for Anthropic silently; an open object keeps the answer JSON instead.
            schema["additionalProperties"] = true
            schema["properties"] = .object([:])
        case .jsonSchema(_, let answer, _):
            guard let object = answer.objectValue else {
                throw .invalidInput(message: "response_format's json_schema.schema must be a JSON object", location: "response_format")
            }
            schema.merge(object)
        case .custom(let object):
            if object["type"]?.stringValue == "text" { return nil }
            guard let answer = (object["response_schema"] ?? object["json_schema"]?["schema"])?.objectValue else {
                throw .unsupported(message: "the Anthropic Messages API has no response_format of type "
                                   + "\(object["type"]?.stringValue ?? "?"); use json_schema or json_object")
            }
            schema.merge(answer)
        }
        return ["name": .string(jsonToolName), "input_schema": .object(schema)]
    }

    /// The `tool_choice` object for a ``/SmolCore/ToolChoice``; `nil` for ``/SmolCore/ToolChoice/unspecified``.
    static func toolChoice(_ choice: ToolChoice) -> JSONValue? {
        switch choice {
        case .auto: return ["type": "auto"]
        case .required: return ["type": "any"]
        case .none: return ["type": "none"]
        case .function(let name), .custom(.string(let name)): return ["type": "tool", "name": .string(name)]
        case .custom(let value): return value
        case .unspecified: return nil
        }
    }

    /// The top-level `system`: the texts joined as one string, or blocks when some block is not plain
    /// text (a text block with `cache_control`, kept verbatim); `nil` without system text.
    static func systemValue(_ parts: [ContentPart]) throws(ModelError) -> JSONValue? {
        var texts: [String] = []
        var blocks: [JSONValue] = []
        var plain = true
        for part in parts {
            switch part {
            case .text(let text):
                guard !text.isEmpty else { continue }
                texts.append(text)
                blocks.append(["type": "text", "text": .string(text)])
            case .other(let object):
                plain = false
                blocks.append(.object(object))
            case .image:
                throw .unsupported(message: "the Anthropic system prompt takes text only, not images")
            }
        }
        if blocks.isEmpty { return nil }
        return plain ? .string(texts.joined(separator: "\n")) : .array(blocks)
    }

    /// Messages content blocks for a message's content. Empty text blocks are dropped (the API
    /// rejects them); other blocks (`document`, text with `cache_control`, …) pass through verbatim.
    static func blocks(of content: MessageContent?, location: String) throws(ModelError) -> [JSONValue] {
        var result: [JSONValue] = []
        for part in content?.parts ?? [] {
            switch part {
            case .text(let text):
                if !text.isEmpty { result.append(["type": "text", "text": .string(text)]) }
            case .image(.base64(let data, let mimeType)):
                result.append(["type": "image", "source": ["type": "base64", "media_type": .string(mimeType),
                                                           "data": .string(data)]])
            case .image(.url(let url)):
                result.append(["type": "image", "source": ["type": "url", "url": .string(url)]])
            case .other(let object):
                result.append(.object(object))
            }
        }
        return result
    }

    /// A `tool_result`'s content: the text as a string, or blocks when the result holds images or other blocks.
    static func toolResultContent(_ content: MessageContent?, location: String) throws(ModelError) -> JSONValue {
        let parts = content?.parts ?? []
        if parts.allSatisfy({ $0.text != nil }) {
            return .string(parts.compactMap(\.text).joined(separator: "\n"))
        }
        return .array(try blocks(of: content, location: location))
    }

    /// A tool call's arguments as the JSON object `tool_use.input` requires (empty text is `{}`).
    static func toolInput(_ arguments: JSONValue, location: String) throws(ModelError) -> JSONValue {
        try toolArgumentsObject(arguments, field: "Anthropic tool_use input", location: location)
    }

    /// Decodes a Messages response into a message (`raw` holds the whole response).
    ///
    /// Text blocks are joined; `thinking` blocks go to ``/SmolCore/ChatMessage/reasoningContent``; `tool_use`
    /// blocks become tool calls with their ids and JSON-object arguments; `stop_reason` is the finish
    /// reason, as sent (`end_turn`, `max_tokens`, `stop_sequence`, `tool_use`, …). With `jsonMode` (the request
    /// carried a `response_format`, see ``jsonToolName``), the forced tool's input is the content and the
    /// call is not reported; a `tool_use` stop with no other call becomes `end_turn`.
    ///
    /// - Throws: ``/SmolCore/ModelError/decoding(message:payload:)`` carrying the payload for an error object
    ///   (`{"type": "error", "error": {…}}`), a reply without `content`, or undecodable JSON.
    public static func decodeResponse(_ bytes: [UInt8], jsonMode: Bool = false) throws(ModelError) -> ChatMessage {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw .decoding(message: "the Anthropic response is not valid JSON (\(error))", payload: String(decoding: bytes, as: UTF8.self))
        }
        if json["type"] == "error" || json["error"]?.objectValue != nil {
            let error = json["error"]
            throw .decoding(message: "Anthropic returned an error: \(error?["message"]?.stringValue ?? error?.description ?? "?")",
                            payload: json.description)
        }
        guard case .array(let blocks)? = json["content"] else {
            throw .decoding(message: "the Anthropic response has no content", payload: json.description)
        }
        var text = ""
        var reasoning: String?
        var calls: [ChatMessageToolCall] = []
        for block in blocks {
            switch block["type"]?.stringValue {
            case "text":
                text += block["text"]?.stringValue ?? ""
            case "thinking":
                reasoning = (reasoning ?? "") + (block["thinking"]?.stringValue ?? "")
            case "tool_use":
                calls.append(ChatMessageToolCall(
                    id: block["id"]?.stringValue ?? "",
                    function: ChatMessageToolCallFunction(name: block["name"]?.stringValue ?? "",
                                                          arguments: block["input"] ?? .object([:]))))
            default:
                continue
            }
        }
        var finish = json["stop_reason"]?.stringValue
        if jsonMode, let index = calls.firstIndex(where: { $0.function.name == jsonToolName }) {
            // The forced tool's input is the answer (LiteLLM's JSON mode).
            let input = calls.remove(at: index).function.arguments
            text = input.stringValue ?? JSONEmitter().string(from: input)
            if calls.isEmpty, finish == "tool_use" { finish = "end_turn" }
        }
        return ChatMessage(
            role: .assistant, content: .text(text), toolCalls: calls.isEmpty ? nil : calls, raw: json,
            tokenUsage: json["usage"].flatMap { $0.isNull ? nil : usage($0) }, reasoningContent: reasoning, finishReason: finish)
    }

    /// Anthropic's `usage`, cache read and write counts included.
    ///
    /// Like Bedrock's, Anthropic's `input_tokens` leaves out the tokens read from
    /// (`cache_read_input_tokens`) or written to (`cache_creation_input_tokens`) the prompt cache;
    /// ``/SmolCore/TokenUsage/inputTokens`` follows OpenAI's meaning, where cached tokens are part of the input,
    /// so they are added back.
    static func usage(_ value: JSONValue?) -> TokenUsage {
        guard let value, !value.isNull else { return .zero }
        let read = value["cache_read_input_tokens"]?.intValue
        let write = value["cache_creation_input_tokens"]?.intValue
        return TokenUsage(inputTokens: (value["input_tokens"]?.intValue ?? 0) + (read ?? 0) + (write ?? 0),
                          outputTokens: value["output_tokens"]?.intValue ?? 0,
                          cachedInputTokens: read, cacheWriteInputTokens: write)
    }
}
