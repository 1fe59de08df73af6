import SmolCore

/// Bedrock's Converse wire format: requests out (this file), responses and stream events in
/// (`ConverseResponse.swift`).
///
/// Unlike smolagents' Bedrock model, conversations become real Converse turns: system messages go in
/// `system`, tool calls and results become `toolUse` / `toolResult` blocks with their ids, consecutive
/// messages of the same role are merged (Converse requires alternation), images become `image` blocks,
/// stop sequences go in `inferenceConfig.stopSequences`, tools in `toolConfig`. smolagents' behaviour
/// (everything sent as one user message) stays available through `roleConversions`.
public enum ConverseCodec {
    /// The name of the tool that carries a `response_format` schema (Converse has no JSON mode: the
    /// model is forced to call a tool whose input schema is the requested schema, and the tool's input
    /// is returned as the message content).
    public static let responseFormatToolName = "json_response"

    /// Completion parameters that map onto `inferenceConfig`, with their Converse names.
    static let inferenceKeys: [String: String] = [
        "max_tokens": "maxTokens", "maxTokens": "maxTokens", "max_new_tokens": "maxTokens",
        "temperature": "temperature", "top_p": "topP", "topP": "topP",
    ]

    /// Top-level Converse fields that parameters may set directly.
    static let topLevelKeys: Set<String> = [
        "inferenceConfig", "guardrailConfig", "additionalModelRequestFields", "additionalModelResponseFieldPaths",
        "performanceConfig", "promptVariables", "requestMetadata", "serviceTier", "toolConfig",
    ]

    /// The Converse request body.
    ///
    /// - Parameters:
    ///   - messages: The conversation.
    ///   - options: The call's stop sequences, tools, tool choice, response format and parameters.
    ///   - roleConversions: Applied before building turns; smolagents' Bedrock default was every role → user.
    ///   - modelParameters: Model-level parameters (override per-call ones, as in smolagents).
    public static func requestBody(
        messages: [ChatMessage], options: GenerateOptions, modelParameters: ModelParameters = [:],
        roleConversions: [MessageRole: MessageRole] = [:]
    ) throws(ModelError) -> JSONObject {
        var body = JSONObject()
        var system: [JSONValue] = []
        var turns: [(role: String, content: [JSONValue])] = []
        for (index, message) in messages.enumerated() {
            let role = roleConversions[message.role] ?? message.role
            let location = "messages[\(index)]"
            if role == .system {
                system += try blocks(of: message.content, location: location)
                continue
            }
            var content: [JSONValue]
            let wireRole: String
            if role == .toolResponse || (message.role == .toolResponse && role == .user && message.toolCallID != nil) {
                wireRole = "user"
                if let id = message.toolCallID {
                    let result = try blocks(of: message.content, location: location).filter { $0["text"] != nil || $0["image"] != nil }
                    content = [["toolResult": ["toolUseId": .string(id), "content": .array(result), "status": "success"]]]
                } else {
                    content = try blocks(of: message.content, location: location)
                }
            } else {
                wireRole = (role == .assistant || role == .toolCall) ? "assistant" : "user"
                content = try blocks(of: message.content, location: location)
                for call in message.toolCalls ?? [] {
                    content.append(["toolUse": ["toolUseId": .string(call.id), "name": .string(call.function.name),
                                                "input": try toolInput(call.function.arguments, location: location)]])
                }
            }
            guard !content.isEmpty else { continue }
            if let last = turns.last, last.role == wireRole {
                turns[turns.count - 1].content += content
            } else {
                turns.append((wireRole, content))
            }
        }
        body["messages"] = .array(turns.map { ["role": .string($0.role), "content": .array($0.content)] })
        if !system.isEmpty { body["system"] = .array(system) }

        var inference = JSONObject()
        var additional = JSONObject()
        var parameters = options.parameters
        for (key, setting) in modelParameters {
            switch setting {
            case .remove: parameters.removeValue(forKey: key)
            case .value(let value): parameters[key] = value
            }
        }
        if let stops = options.stopSequences, !stops.isEmpty { inference["stopSequences"] = .array(stops.map(JSONValue.string)) }
        for (key, value) in parameters {
            if let name = inferenceKeys[key] {
                inference[name] = value
            } else if key == "stop" || key == "stop_sequences" {
                inference["stopSequences"] = value
            } else if topLevelKeys.contains(key) {
                if key == "inferenceConfig", case .object(let given) = value {
                    inference.merge(given)
                } else if key == "additionalModelRequestFields", case .object(let given) = value {
                    additional.merge(given)
                } else {
                    body[key] = value
                }
            } else {
                // Model-specific parameters (top_k, …) travel as additional model request fields.
                additional[key] = value
            }
        }
        if !inference.isEmpty { body["inferenceConfig"] = .object(inference) }
        if !additional.isEmpty { body["additionalModelRequestFields"] = .object(additional) }
        let history = turns.contains { turn in turn.content.contains { $0["toolUse"] != nil || $0["toolResult"] != nil } }
        if let toolConfig = try toolConfiguration(options, historyHasToolBlocks: history) {
            body["toolConfig"] = .object(toolConfig)
        }
        return body
    }

    /// `toolConfig` from the tools, the tool choice and a response format.
    ///
    /// Converse has no "none" choice: with ``/SmolCore/ToolChoice/none`` the tools are left out, unless the
    /// history holds `toolUse`/`toolResult` blocks, which Bedrock only accepts with a `toolConfig`; then
    /// the tools are sent without a `toolChoice`.
    static func toolConfiguration(_ options: GenerateOptions, historyHasToolBlocks: Bool = false) throws(ModelError)
        -> JSONObject?
    {
        var specs: [JSONValue] = []
        var choice: JSONValue?
        if let tools = options.tools, !tools.isEmpty, options.toolChoice != ToolChoice.none || historyHasToolBlocks {
            for tool in tools {
                let function = tool.jsonSchema["function"]
                specs.append(["toolSpec": ["name": .string(tool.name), "description": .string(tool.description),
                                           "inputSchema": ["json": function?["parameters"] ?? ["type": "object"]]]])
            }
            switch options.toolChoice ?? .required {
            case .auto: choice = ["auto": [:]]
            case .required: choice = ["any": [:]]
            case .function(let name): choice = ["tool": ["name": .string(name)]]
            case .custom(.string(let name)): choice = ["tool": ["name": .string(name)]]
            case .custom(let value): choice = value
            case .none, .unspecified: choice = nil
            }
        }
        if let format = options.responseFormat {
            let schema = format.schema ?? ["type": "object"]
            specs.append(["toolSpec": ["name": .string(responseFormatToolName),
                                       "description": "Answer with a JSON value matching this schema.",
                                       "inputSchema": ["json": schema]]])
            choice = ["tool": ["name": .string(responseFormatToolName)]]
        }
        guard !specs.isEmpty else { return nil }
        var config: JSONObject = ["tools": .array(specs)]
        if let choice { config["toolChoice"] = choice }
        return config
    }

    /// Converse content blocks for a message's content.
    static func blocks(of content: MessageContent?, location: String) throws(ModelError) -> [JSONValue] {
        var result: [JSONValue] = []
        for (index, part) in (content?.parts ?? []).enumerated() {
            switch part {
            case .text(let text):
                // Converse rejects blank text blocks.
                if !text.isEmpty { result.append(["text": .string(text)]) }
            case .image(.base64(let data, let mimeType)):
                let format = mimeType.split(separator: "/").last.map(String.init) ?? "png"
                guard ["png", "jpeg", "gif", "webp"].contains(format) else {
                    throw .unsupported(message: "Converse images must be png, jpeg, gif or webp, not \(mimeType) (\(location).content[\(index)])")
                }
                result.append(["image": ["format": .string(format), "source": ["bytes": .string(data)]]])
            case .image(.url(let url)):
                guard url.hasPrefix("s3://") else {
                    throw .unsupported(message: "Converse cannot fetch image URLs; send the image bytes or an s3:// URI (\(location).content[\(index)])")
                }
                let format = url.split(separator: ".").last.map { $0.lowercased() == "jpg" ? "jpeg" : $0.lowercased() } ?? "png"
                result.append(["image": ["format": .string(format), "source": ["s3Location": ["uri": .string(url)]]]])
            case .other(var object):
                // smolagents-style blocks carry a "type"; Converse blocks are keyed by their member name.
                object.removeValue(forKey: "type")
                result.append(.object(object))
            }
        }
        return result
    }

    /// A tool call's arguments as the JSON object Converse wants.
    static func toolInput(_ arguments: JSONValue, location: String) throws(ModelError) -> JSONValue {
        try toolArgumentsObject(arguments, field: "Converse tool-call input", location: location)
    }
}
