import SmolCore

/// Google Gemini's `generateContent` wire format: request bodies out, messages in (stream chunks:
/// `GeminiStream.swift`).
///
/// Conversations become Gemini `contents`: system messages go in the top-level `systemInstruction`,
/// turns have the roles `user` and `model` (consecutive turns of the same role are merged), images
/// become `inlineData` (or `fileData` for URLs), tool calls and results become `functionCall` /
/// `functionResponse` parts, sampling settings and stop sequences go in `generationConfig`, tools in
/// `tools[0].functionDeclarations` and the tool choice in `toolConfig`. The model name and streaming are
/// part of the URL (`models/{model}:generateContent`, `:streamGenerateContent?alt=sse`), not the body.
public enum GeminiCodec {
    /// Completion parameter names (snake_case or camelCase) that map to a `generationConfig` field of another name.
    static let renamedKeys: [String: String] = [
        "max_tokens": "maxOutputTokens", "max_new_tokens": "maxOutputTokens", "maxTokens": "maxOutputTokens",
        "stop": "stopSequences", "n": "candidateCount",
    ]

    /// Body fields the codec owns or that do not exist on the wire; parameters with these names are ignored.
    static let reservedKeys: Set<String> = [
        "model", "messages", "contents", "stream", "tools", "toolChoice", "toolConfig", "responseFormat",
        "systemInstruction",
    ]

    /// Parameters that are top-level request fields rather than `generationConfig` fields.
    static let topLevelKeys: Set<String> = ["safetySettings", "cachedContent", "labels"]

    /// The `generateContent` request body.
    ///
    /// Parameters go in `generationConfig` under their camelCase names (`max_tokens` is
    /// `maxOutputTokens`, `top_p` is `topP`, `stop` is `stopSequences`, …), except `safetySettings`,
    /// `cachedContent` and `labels`, which are top-level fields. A caller's parameter wins over the value
    /// built from `options`.
    ///
    /// - Parameters:
    ///   - messages: The conversation.
    ///   - options: Stop sequences, tools, tool choice, response format and per-call parameters.
    ///   - modelParameters: Model-level parameters (override per-call ones, as in smolagents).
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` for a tool result whose call is not in the
    ///   conversation or a tool call whose arguments are not a JSON object;
    ///   ``/SmolCore/ModelError/unsupported(message:)`` for images in a system message or a custom response format.
    public static func requestBody(
        messages: [ChatMessage], options: GenerateOptions, modelParameters: ModelParameters = [:]
    ) throws(ModelError) -> JSONObject {
        var body: JSONObject = [:]
        var system: [JSONValue] = []
        var turns: [(role: String, parts: [JSONValue])] = []
        var callNames: [String: String] = [:]
        for (index, message) in messages.enumerated() {
            let location = "messages[\(index)]"
            var parts: [JSONValue]
            let role: String
            switch message.role {
            case .system:
                for part in message.content?.parts ?? [] {
                    guard case .text(let text) = part else {
                        throw .unsupported(message: "the Gemini system instruction takes text only")
                    }
                    if !text.isEmpty { system.append(["text": .string(text)]) }
                }
                continue
            case .assistant, .toolCall:
                role = "model"
                parts = try self.parts(of: message.content)
                for call in message.toolCalls ?? [] {
                    callNames[call.id] = call.function.name
                    var functionCall: JSONObject = ["name": .string(call.function.name),
                                                    "args": try arguments(call.function.arguments, location: location)]
                    if !call.id.isEmpty { functionCall["id"] = .string(call.id) }
                    parts.append(["functionCall": .object(functionCall)])
                }
            case .toolResponse where message.toolCallID != nil:
                role = "user"
                let id = message.toolCallID ?? ""
                guard let name = callNames[id] else {
                    throw .invalidInput(message: "no earlier tool call has the id \(id) this tool result answers",
                                        location: location)
                }
                let contentParts = message.content?.parts ?? []
                let result = contentParts.compactMap(\.text).joined(separator: "\n")
                var response: JSONObject = ["name": .string(name), "response": ["result": .string(result)]]
                if !id.isEmpty { response["id"] = .string(id) }
                parts = [["functionResponse": .object(response)]]
                parts += try self.parts(of: .parts(contentParts.filter { $0.text == nil }))
            default:
                role = "user"
                parts = try self.parts(of: message.content)
            }
            guard !parts.isEmpty else { continue }
            if let last = turns.last, last.role == role {
                turns[turns.count - 1].parts += parts
            } else {
                turns.append((role, parts))
            }
        }
        body["contents"] = .array(turns.map { ["role": .string($0.role), "parts": .array($0.parts)] })
        if !system.isEmpty { body["systemInstruction"] = ["parts": .array(system)] }

        var config: JSONObject = [:]
        if let stops = options.stopSequences, !stops.isEmpty { config["stopSequences"] = .array(stops.map(JSONValue.string)) }
        if let format = options.responseFormat { try apply(format, to: &config) }
        if let tools = options.tools, !tools.isEmpty {
            body["tools"] = [["functionDeclarations": .array(tools.map { tool in
                var declaration: JSONObject = ["name": .string(tool.name), "description": .string(tool.description)]
                if let parameters = tool.jsonSchema["function"]?["parameters"] { declaration["parameters"] = schema(parameters) }
                return .object(declaration)
            })]]
            if let choice = functionCallingConfig(options.toolChoice ?? .required) {
                body["toolConfig"] = ["functionCallingConfig": choice]
            }
        }

        var parameters = options.parameters
        for (key, setting) in modelParameters {
            switch setting {
            case .remove: parameters.removeValue(forKey: key)
            case .value(let value): parameters[key] = value
            }
        }
        for (key, value) in parameters {
            let name = renamedKeys[key] ?? camelCase(key)
            if reservedKeys.contains(name) { continue }
            if topLevelKeys.contains(name) {
                body[name] = value
            } else if name == "stopSequences" {
                config[name] = value.stringValue.map { [.string($0)] } ?? value
            } else {
                config[name] = value
            }
        }
        if !config.isEmpty { body["generationConfig"] = .object(config) }
        return body
    }

    /// `snake_case` as `camelCase` (names already in camelCase are unchanged).
    static func camelCase(_ key: String) -> String {
        let words = key.split(separator: "_", omittingEmptySubsequences: true)
        guard let first = words.first else { return key }
        return String(first) + words.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    /// `responseMimeType` (and `responseSchema`) for a response format.
    static func apply(_ format: ResponseFormat, to config: inout JSONObject) throws(ModelError) {
        switch format {
        case .jsonObject:
            config["responseMimeType"] = "application/json"
        case .jsonSchema(_, let value, _):
            config["responseMimeType"] = "application/json"
            config["responseSchema"] = schema(value)
        case .custom(let object):
            if object["type"] == "json_object" {
                config["responseMimeType"] = "application/json"
            } else if let value = format.schema {
                config["responseMimeType"] = "application/json"
                config["responseSchema"] = schema(value)
            } else {
                throw .unsupported(message: "Gemini supports only json_object and json_schema response formats, got \(object)")
            }
        }
    }

    /// A JSON schema in Gemini's OpenAPI subset, as the `google-genai` SDK sends it: `additionalProperties`
    /// removed and `type` names upper-case (`OBJECT`, `STRING`) at every level; a type list with
    /// `"null"` becomes the other type plus `nullable: true`.
    static func schema(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var result: JSONObject = [:]
            for (key, member) in object where key != "additionalProperties" {
                switch (key, member) {
                case ("properties", _), ("$defs", _), ("definitions", _):
                    result[key] = .object(JSONObject((member.objectValue ?? [:]).map { ($0.key, schema($0.value)) }))
                case ("type", .string(let name)):
                    result[key] = .string(name.uppercased())
                case ("type", .array(let names)):
                    let types = names.compactMap(\.stringValue)
                    let others = types.filter { $0 != "null" }
                    if others.count < types.count { result["nullable"] = true }
                    result[key] = others.count == 1 ? .string(others[0].uppercased()) : member
                default:
                    result[key] = schema(member)
                }
            }
            return .object(result)
        case .array(let items):
            return .array(items.map(schema))
        default:
            return value
        }
    }

    /// The `functionCallingConfig` for a ``/SmolCore/ToolChoice``; `nil` for ``/SmolCore/ToolChoice/unspecified``.
    static func functionCallingConfig(_ choice: ToolChoice) -> JSONValue? {
        switch choice {
        case .auto: return ["mode": "AUTO"]
        case .required: return ["mode": "ANY"]
        case .none: return ["mode": "NONE"]
        case .function(let name), .custom(.string(let name)):
            return ["mode": "ANY", "allowedFunctionNames": [.string(name)]]
        case .custom(let value): return value
        case .unspecified: return nil
        }
    }

    /// Gemini parts for a message's content. Empty texts are dropped; other parts pass through verbatim.
    static func parts(of content: MessageContent?) throws(ModelError) -> [JSONValue] {
        var result: [JSONValue] = []
        for part in content?.parts ?? [] {
            switch part {
            case .text(let text):
                if !text.isEmpty { result.append(["text": .string(text)]) }
            case .image(.base64(let data, let mimeType)):
                result.append(["inlineData": ["mimeType": .string(mimeType), "data": .string(data)]])
            case .image(.url(let url)):
                if url.hasPrefix("data:"), let comma = url.firstIndex(of: ","),
                   url[..<comma].hasSuffix(";base64") {
                    let mimeType = url[url.index(url.startIndex, offsetBy: 5)..<comma].dropLast(7)
                    result.append(["inlineData": ["mimeType": .string(String(mimeType)),
                                                  "data": .string(String(url[url.index(after: comma)...]))]])
                } else {
                    result.append(["fileData": ["mimeType": .string(mimeType(ofURL: url)), "fileUri": .string(url)]])
                }
            case .other(let object):
                result.append(.object(object))
            }
        }
        return result
    }

    /// The MIME type a file URL's extension names (`image/jpeg` when unknown).
    static func mimeType(ofURL url: String) -> String {
        let path = url.split(separator: "?").first.map(String.init) ?? url
        let ext = path.split(separator: ".").last.map { $0.lowercased() } ?? ""
        let known = ["png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "gif": "image/gif",
                     "webp": "image/webp", "heic": "image/heic", "heif": "image/heif", "pdf": "application/pdf"]
        return known[ext] ?? "image/jpeg"
    }

    /// A tool call's arguments as the JSON object `functionCall.args` requires (empty text is `{}`).
    static func arguments(_ arguments: JSONValue, location: String) throws(ModelError) -> JSONValue {
        try toolArgumentsObject(arguments, field: "Gemini functionCall args", location: location)
    }

    /// Decodes a `generateContent` response into a message (`raw` holds the whole response).
    ///
    /// The first candidate's text parts are joined; parts marked `thought: true` go to
    /// ``/SmolCore/ChatMessage/reasoningContent``; `functionCall` parts become tool calls (the part's `id`, or
    /// `call_<index>` when it has none) with JSON-object arguments; `finishReason` is the finish reason,
    /// as sent (`STOP`, `MAX_TOKENS`, `SAFETY`, …).
    ///
    /// - Throws: ``/SmolCore/ModelError/decoding(message:payload:)`` carrying the payload for an error object
    ///   (`{"error": {…}}`), a blocked prompt (`promptFeedback.blockReason`), a reply without candidates,
    ///   or undecodable JSON.
    public static func decodeResponse(_ bytes: [UInt8]) throws(ModelError) -> ChatMessage {
        let json: JSONValue
        do {
            json = try JSONValue(parsing: bytes)
        } catch {
            throw .decoding(message: "the Gemini response is not valid JSON (\(error))", payload: String(decoding: bytes, as: UTF8.self))
        }
        try checkError(json)
        guard let candidate = json["candidates"]?.arrayValue?.first else {
            throw .decoding(message: "the Gemini response has no candidates", payload: json.description)
        }
        let content = decodeParts(candidate["content"]?["parts"]?.arrayValue ?? [], firstIndex: 0)
        return ChatMessage(
            role: .assistant, content: .text(content.text), toolCalls: content.calls.isEmpty ? nil : content.calls,
            raw: json, tokenUsage: json["usageMetadata"].flatMap { $0.isNull ? nil : usage($0) }, reasoningContent: content.reasoning,
            finishReason: candidate["finishReason"]?.stringValue)
    }

    /// Throws for an error object or a blocked prompt.
    static func checkError(_ json: JSONValue) throws(ModelError) {
        if let error = json["error"], !error.isNull {
            throw .decoding(message: "Gemini returned an error: \(error["message"]?.stringValue ?? error.description)",
                            payload: json.description)
        }
        if let reason = json["promptFeedback"]?["blockReason"]?.stringValue {
            throw .decoding(message: "Gemini blocked the prompt (\(reason))", payload: json.description)
        }
    }

    /// The text, thoughts and function calls of a candidate's parts; calls without an `id` are
    /// named `call_<n>`, counting from `firstIndex`.
    static func decodeParts(_ parts: [JSONValue], firstIndex: Int)
        -> (text: String, reasoning: String?, calls: [ChatMessageToolCall]) {
        var text = ""
        var reasoning: String?
        var calls: [ChatMessageToolCall] = []
        for part in parts {
            if let call = part["functionCall"], !call.isNull {
                let id = call["id"]?.stringValue ?? "call_\(firstIndex + calls.count)"
                calls.append(ChatMessageToolCall(id: id, function: ChatMessageToolCallFunction(
                    name: call["name"]?.stringValue ?? "", arguments: call["args"] ?? .object([:]))))
            } else if let value = part["text"]?.stringValue {
                if part["thought"] == true {
                    reasoning = (reasoning ?? "") + value
                } else {
                    text += value
                }
            }
        }
        return (text, reasoning, calls)
    }

    /// Gemini's `usageMetadata` in OpenAI's meaning: `promptTokenCount` already includes the cached
    /// tokens; the output counts the thinking tokens (`thoughtsTokenCount`), which Gemini reports apart
    /// from `candidatesTokenCount`.
    static func usage(_ value: JSONValue?) -> TokenUsage {
        guard let value, !value.isNull else { return .zero }
        let thoughts = value["thoughtsTokenCount"]?.intValue
        return TokenUsage(inputTokens: value["promptTokenCount"]?.intValue ?? 0,
                          outputTokens: (value["candidatesTokenCount"]?.intValue ?? 0) + (thoughts ?? 0),
                          cachedInputTokens: value["cachedContentTokenCount"]?.intValue, reasoningTokens: thoughts)
    }
}
