import SmolCore

/// Ollama's native chat API (`POST /api/chat`): request bodies out, messages in (stream lines:
/// `OllamaStream.swift`; LiteLLM's `/api/generate` route: `OllamaGenerate.swift`).
///
/// Bodies are what the official `ollama` Python client sends: messages with string `content`, base64
/// `images`, `tool_calls` whose `arguments` are JSON objects and tool results as `tool` messages naming
/// their tool (`tool_name`); sampling settings in `options`; `format` `"json"` or a JSON schema; tool
/// definitions trimmed to the fields Ollama reads. Replies carry tool-call arguments as objects; they
/// become the JSON text every other backend yields.
public enum OllamaCodec {
    /// Completion parameters Ollama spells differently in `options`.
    static let renamedOptions: [String: String] = [
        "max_tokens": "num_predict", "max_new_tokens": "num_predict", "max_completion_tokens": "num_predict",
        "maxTokens": "num_predict",
    ]

    /// Parameters that are top-level request fields rather than `options`.
    static let topLevelKeys: Set<String> = ["keep_alive", "think", "format", "logprobs", "top_logprobs"]

    /// Body fields the codec owns; parameters with these names are ignored.
    static let reservedKeys: Set<String> = ["model", "messages", "prompt", "stream", "tools", "tool_choice", "images"]

    /// The `/api/chat` request body.
    ///
    /// Parameters go in `options` (`max_tokens` and its spellings as `num_predict`; `temperature`,
    /// `top_p`, `top_k`, `seed`, `stop`, `num_ctx`, … as they are), except `keep_alive`, `think`,
    /// `format`, `logprobs` and `top_logprobs`, which are top-level fields; a caller's own `options`
    /// object is merged in. A caller's parameter wins over the value built from `options`.
    ///
    /// Ollama has no tool choice: ``/SmolCore/ToolChoice/none`` sends no tools, ``/SmolCore/ToolChoice/function(_:)``
    /// sends only the named tool (the nearest Ollama gets to forcing it), anything else sends them all.
    /// (LiteLLM drops `tool_choice` for Ollama and always sends every tool.)
    ///
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` for tool-call arguments that are not a
    ///   JSON object or a forced tool that is not offered; ``/SmolCore/ModelError/unsupported(message:)`` for an
    ///   image given by URL (Ollama takes image bytes only) or a content block without text.
    public static func chatRequestBody(
        model: String, messages: [ChatMessage], options: GenerateOptions, modelParameters: ModelParameters = [:],
        stream: Bool
    ) throws(ModelError) -> JSONObject {
        var body: JSONObject = ["model": .string(model), "stream": .bool(stream)]
        var callNames: [String: String] = [:]
        var wire: [JSONValue] = []
        for (index, message) in messages.enumerated() {
            let location = "messages[\(index)]"
            var object: JSONObject = [:]
            switch message.role {
            case .system: object["role"] = "system"
            case .assistant, .toolCall: object["role"] = "assistant"
            case .toolResponse where message.toolCallID != nil: object["role"] = "tool"
            default: object["role"] = "user"
            }
            let (text, images) = try split(message.content, location: location)
            // The client drops empty fields (`if v` in `_copy_messages`).
            if !text.isEmpty { object["content"] = .string(text) }
            if !images.isEmpty { object["images"] = .array(images.map(JSONValue.string)) }
            if let calls = message.toolCalls, !calls.isEmpty {
                object["tool_calls"] = .array(try calls.map { call throws(ModelError) in
                    callNames[call.id] = call.function.name
                    return ["function": ["name": .string(call.function.name),
                                         "arguments": try toolArgumentsObject(call.function.arguments,
                                                                              field: "Ollama tool_calls arguments",
                                                                              location: location)]]
                })
            }
            if object["role"] == "tool", let name = message.toolCallID.flatMap({ callNames[$0] }) {
                object["tool_name"] = .string(name)
            }
            wire.append(.object(object))
        }
        body["messages"] = .array(wire)
        // The client always sends the list, empty without tools.
        body["tools"] = .array(try offeredTools(options)?.map(tool) ?? [])
        if let format = try format(options.responseFormat) { body["format"] = format }
        var ollamaOptions: JSONObject = [:]
        if let stops = options.stopSequences, !stops.isEmpty { ollamaOptions["stop"] = .array(stops.map(JSONValue.string)) }
        apply(merged(options.parameters, modelParameters), body: &body, options: &ollamaOptions)
        if !ollamaOptions.isEmpty { body["options"] = .object(ollamaOptions) }
        return body
    }

    /// Call parameters with the model-level ones applied over them (as in smolagents).
    static func merged(_ parameters: JSONObject, _ modelParameters: ModelParameters) -> JSONObject {
        var result = parameters
        for (key, setting) in modelParameters {
            switch setting {
            case .remove: result.removeValue(forKey: key)
            case .value(let value): result[key] = value
            }
        }
        return result
    }

    /// Sorts parameters into top-level fields and `options`.
    static func apply(_ parameters: JSONObject, body: inout JSONObject, options: inout JSONObject) {
        for (key, value) in parameters where !reservedKeys.contains(key) {
            if key == "options", case .object(let given) = value {
                options.merge(given)
            } else if topLevelKeys.contains(key) {
                body[key] = value
            } else if key == "stop" {
                options["stop"] = value.stringValue.map { [.string($0)] } ?? value
            } else {
                options[renamedOptions[key] ?? key] = value
            }
        }
    }

    /// The tools to send for the tool choice (see ``chatRequestBody(model:messages:options:modelParameters:stream:)``).
    static func offeredTools(_ options: GenerateOptions) throws(ModelError) -> [Tool]? {
        guard let tools = options.tools, !tools.isEmpty else { return nil }
        switch options.toolChoice {
        case .none?: return nil
        case .function(let name)?, .custom(.string(let name))?:
            let named = tools.filter { $0.name == name }
            guard !named.isEmpty else {
                throw .invalidInput(message: "the forced tool '\(name)' is not among the tools offered", location: "toolChoice")
            }
            return named
        default:
            return tools
        }
    }

    /// A tool as the `ollama` client sends it: `parameters` keep `type`, `$defs`, `items`, `required` and
    /// `properties`, and each property `type`, `items`, `description` and `enum` (the fields of the
    /// client's `Tool` model and of the server's `ToolFunction`; anything else would be dropped on arrival).
    static func tool(_ tool: Tool) -> JSONValue {
        var function: JSONObject = ["name": .string(tool.name), "description": .string(tool.description)]
        if case .object(let schema)? = tool.jsonSchema["function"]?["parameters"] {
            var parameters: JSONObject = ["type": schema["type"] ?? "object"]
            for key in ["$defs", "items", "required"] { if let value = schema[key], !value.isNull { parameters[key] = value } }
            if case .object(let properties)? = schema["properties"] {
                parameters["properties"] = .object(JSONObject(properties.map { name, property in
                    var kept: JSONObject = [:]
                    for key in ["type", "items", "description", "enum"] {
                        if let value = property[key], !value.isNull { kept[key] = value }
                    }
                    return (name, .object(kept))
                }))
            }
            function["parameters"] = .object(parameters)
        }
        return ["type": "function", "function": .object(function)]
    }

    /// `format`: `"json"` for JSON mode, the schema itself for a JSON schema, as LiteLLM maps `response_format`.
    static func format(_ responseFormat: ResponseFormat?) throws(ModelError) -> JSONValue? {
        guard let responseFormat else { return nil }
        if let schema = responseFormat.schema { return schema }
        if case .custom(let object) = responseFormat, object["type"] != "json_object" {
            throw .unsupported(message: "Ollama supports only json_object and json_schema response formats, got \(object)")
        }
        return "json"
    }

    /// A message's text (parts joined by newlines) and its images as bare base64.
    static func split(_ content: MessageContent?, location: String) throws(ModelError) -> (String, [String]) {
        var texts: [String] = []
        var images: [String] = []
        for part in content?.parts ?? [] {
            switch part {
            case .text(let text):
                if !text.isEmpty { texts.append(text) }
            case .image(.base64(let data, _)):
                images.append(data)
            case .image(.url(let url)):
                guard let data = base64Payload(ofDataURL: url) else {
                    throw .unsupported(message: "Ollama takes images as base64 bytes, not URLs (\(location)): download the image first")
                }
                images.append(data)
            case .other(let object):
                guard let text = object["text"]?.stringValue else {
                    throw .unsupported(message: "Ollama messages hold text and images only; \(location) has the block \(object)")
                }
                if !text.isEmpty { texts.append(text) }
            }
        }
        return (texts.joined(separator: "\n"), images)
    }

    /// The base64 data of a `data:…;base64,…` URL.
    static func base64Payload(ofDataURL url: String) -> String? {
        guard url.hasPrefix("data:"), let comma = url.firstIndex(of: ","), url[..<comma].hasSuffix(";base64") else { return nil }
        return String(url[url.index(after: comma)...])
    }

    /// Decodes a non-streamed `/api/chat` reply (`raw` holds the whole reply).
    ///
    /// `message.content` is the text, `message.thinking` the reasoning; each `tool_calls` entry becomes a
    /// tool call whose arguments object is turned into JSON text (ids are the reply's, or `call_<n>`);
    /// `done_reason` is the finish reason as sent (`stop`, `length`, `load`); `prompt_eval_count` and
    /// `eval_count` are the token usage.
    ///
    /// - Throws: ``/SmolCore/ModelError/decoding(message:payload:)`` carrying the payload for `{"error": …}`, a reply
    ///   without `message`, or undecodable JSON.
    public static func decodeChatResponse(_ bytes: [UInt8]) throws(ModelError) -> ChatMessage {
        let json = try parse(bytes)
        guard case .object(let message)? = json["message"] else {
            throw .decoding(message: "the Ollama reply has no message", payload: json.description)
        }
        let calls = toolCalls(message["tool_calls"], firstIndex: 0)
        return ChatMessage(
            role: .assistant, content: .text(message["content"]?.stringValue ?? ""),
            toolCalls: calls.isEmpty ? nil : calls, raw: json, tokenUsage: usage(json),
            reasoningContent: message["thinking"]?.stringValue, finishReason: json["done_reason"]?.stringValue)
    }

    /// The reply as JSON; an `{"error": …}` object is an error.
    static func parse(_ bytes: [UInt8]) throws(ModelError) -> JSONValue {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw .decoding(message: "the Ollama reply is not valid JSON (\(error))", payload: String(decoding: bytes, as: UTF8.self))
        }
        if let error = json["error"], !error.isNull {
            throw .decoding(message: "Ollama returned an error: \(error.stringValue ?? error.description)", payload: json.description)
        }
        return json
    }

    /// Tool calls from an Ollama `tool_calls` list, numbered from `firstIndex` when they carry no id.
    static func toolCalls(_ value: JSONValue?, firstIndex: Int) -> [ChatMessageToolCall] {
        (value?.arrayValue ?? []).enumerated().map { offset, call in
            let function = call["function"]
            let arguments = function?["arguments"] ?? .object([:])
            return ChatMessageToolCall(
                id: call["id"]?.stringValue ?? "call_\(firstIndex + offset)",
                function: ChatMessageToolCallFunction(
                    name: function?["name"]?.stringValue ?? "",
                    arguments: .string(arguments.stringValue ?? JSONEmitter().string(from: arguments))))
        }
    }

    /// `prompt_eval_count` / `eval_count` as token usage (zero when absent, as on a cached prompt).
    static func usage(_ json: JSONValue) -> TokenUsage {
        TokenUsage(inputTokens: json["prompt_eval_count"]?.intValue ?? 0, outputTokens: json["eval_count"]?.intValue ?? 0)
    }
}
