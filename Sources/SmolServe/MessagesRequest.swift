import Foundation
import SmolCore

/// A `POST /v1/messages` body in Anthropic's Messages API shape, read into this package's types, and the
/// answer written back in that shape.
struct MessagesRequest: Sendable {
    var model: String
    var messages: [ChatMessage]
    var options: GenerateOptions
    var stream: Bool

    init(json: JSONValue, maxTokensCap: Int?) throws(ServeError) {
        guard case .object(let body) = json else { throw .anthropic("the request body must be a JSON object") }
        guard case .string(let model)? = body["model"], !model.isEmpty else { throw .anthropic("model: Field required") }
        self.model = model
        guard let maxTokens = body["max_tokens"]?.intValue, maxTokens > 0 else {
            throw .anthropic("max_tokens: a positive integer is required")
        }
        guard case .array(let items)? = body["messages"], !items.isEmpty else {
            throw .anthropic("messages: at least one message is required")
        }
        var messages: [ChatMessage] = []
        switch body["system"] {
        case nil, .null?: break
        case .string(let text)?: messages.append(ChatMessage(role: .system, content: .text(text)))
        case .array(let blocks)?:
            messages.append(ChatMessage(role: .system, content: .text(blocks.compactMap { $0["text"]?.stringValue }.joined(separator: "\n"))))
        default: throw .anthropic("system: must be a string or a list of text blocks")
        }
        for (index, item) in items.enumerated() { messages += try Self.messages(item, index: index) }
        self.messages = messages
        stream = body["stream"]?.boolValue ?? false
        var options = GenerateOptions()
        if let stops = body["stop_sequences"]?.arrayValue { options.stopSequences = stops.compactMap(\.stringValue) }
        var parameters: JSONObject = ["max_tokens": .int(maxTokensCap.map { min($0, maxTokens) } ?? maxTokens)]
        for key in ["temperature", "top_p", "top_k"] {
            guard let value = body[key], !value.isNull else { continue }
            guard value.doubleValue != nil else { throw .anthropic("\(key): must be a number") }
            parameters[key] = value
        }
        options.parameters = parameters
        if let tools = body["tools"]?.arrayValue, !tools.isEmpty {
            options.tools = try tools.enumerated().map { index, tool throws(ServeError) in
                guard case .string(let name)? = tool["name"] else { throw .anthropic("tools.\(index).name: Field required") }
                let schema = tool["input_schema"] ?? ["type": "object", "properties": [:]]
                let required = Set((schema["required"]?.arrayValue ?? []).compactMap(\.stringValue))
                var inputs = JSONObject()
                for (key, spec) in schema["properties"]?.objectValue ?? [:] {
                    var spec = spec.objectValue ?? [:]
                    if !required.contains(key) { spec["nullable"] = true }
                    if spec["description"] == nil { spec["description"] = .string(key) }
                    inputs[key] = .object(spec)
                }
                return Tool(name: name, description: tool["description"]?.stringValue ?? "", inputs: inputs)
            }
            switch body["tool_choice"]?["type"]?.stringValue {
            case "any": options.toolChoice = .required
            case "tool": options.toolChoice = body["tool_choice"]?["name"]?.stringValue.map(ToolChoice.function) ?? .required
            case "none": options.toolChoice = ToolChoice.none
            default: options.toolChoice = .auto
            }
        }
        self.options = options
    }

    /// One Anthropic message: its text and images as one message, tool_use blocks as tool calls, and each
    /// tool_result block as a tool response of its own.
    private static func messages(_ item: JSONValue, index: Int) throws(ServeError) -> [ChatMessage] {
        guard case .string(let role)? = item["role"], role == "user" || role == "assistant" else {
            throw .anthropic("messages.\(index).role: must be \"user\" or \"assistant\"")
        }
        let messageRole: MessageRole = role == "user" ? .user : .assistant
        switch item["content"] {
        case .string(let text)?:
            return [ChatMessage(role: messageRole, content: .text(text))]
        case .array(let blocks)?:
            var parts: [ContentPart] = [], calls: [ChatMessageToolCall] = [], results: [ChatMessage] = []
            for block in blocks {
                switch block["type"]?.stringValue {
                case "text": parts.append(.text(block["text"]?.stringValue ?? ""))
                case "image":
                    let source = block["source"]
                    let url = source?["type"] == "base64"
                        ? "data:\(source?["media_type"]?.stringValue ?? "image/png");base64,\(source?["data"]?.stringValue ?? "")"
                        : source?["url"]?.stringValue ?? ""
                    do {
                        parts.append(try ContentPart(json: ["type": "image_url", "image_url": ["url": .string(url)]]))
                    } catch {
                        throw .anthropic("messages.\(index): \(error.message)")
                    }
                case "tool_use":
                    calls.append(ChatMessageToolCall(id: block["id"]?.stringValue ?? "", type: "function",
                                                     function: ChatMessageToolCallFunction(name: block["name"]?.stringValue ?? "",
                                                                                           arguments: block["input"] ?? [:])))
                case "tool_result":
                    let content = block["content"]
                    let text = content?.stringValue ?? (content?.arrayValue ?? []).compactMap { $0["text"]?.stringValue }.joined()
                    results.append(ChatMessage(role: .toolResponse, content: .text(text), toolCallID: block["tool_use_id"]?.stringValue))
                case "thinking", "redacted_thinking": continue
                default: throw .anthropic("messages.\(index): unsupported content block type \(block["type"] ?? .null)")
                }
            }
            var out = results
            if !parts.isEmpty || !calls.isEmpty {
                out.append(ChatMessage(role: messageRole, content: parts.isEmpty ? nil : .parts(parts), toolCalls: calls.isEmpty ? nil : calls))
            }
            return out
        default:
            throw .anthropic("messages.\(index).content: must be a string or a list of blocks")
        }
    }

    /// Anthropic's stop reason for a finish reason.
    static func stopReason(_ finish: String?, hasCalls: Bool) -> String {
        if hasCalls { return "tool_use" }
        return finish == "length" ? "max_tokens" : "end_turn"
    }

    /// The whole answer as a `message` object.
    static func response(_ message: ChatMessage, id: String, model: String) -> JSONValue {
        var content: [JSONValue] = []
        if let text = message.text, !text.isEmpty { content.append(["type": "text", "text": .string(text)]) }
        for call in message.toolCalls ?? [] {
            content.append(["type": "tool_use", "id": .string(call.id), "name": .string(call.function.name),
                            "input": parseJSONIfNeeded(call.function.arguments)])
        }
        let usage = message.tokenUsage ?? TokenUsage(inputTokens: 0, outputTokens: 0)
        return ["id": .string(id), "type": "message", "role": "assistant", "model": .string(model), "content": .array(content),
                "stop_reason": .string(stopReason(message.finishReason, hasCalls: !(message.toolCalls ?? []).isEmpty)),
                "stop_sequence": .null,
                "usage": ["input_tokens": .int(usage.inputTokens), "output_tokens": .int(usage.outputTokens)]]
    }

    static func newID() -> String { "msg_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24) }
}

extension ServeError {
    /// A 400 in Anthropic's wording.
    static func anthropic(_ message: String) -> ServeError { ServeError(status: 400, message: message) }

    /// The body Anthropic's clients parse: `{"type": "error", "error": {"type", "message"}}`.
    var anthropicJSON: JSONValue {
        let kind: String
        switch status {
        case 401: kind = "authentication_error"
        case 404: kind = "not_found_error"
        case 413: kind = "request_too_large"
        case 429: kind = "rate_limit_error"
        case 400..<500: kind = "invalid_request_error"
        case 529, 503: kind = "overloaded_error"
        default: kind = "api_error"
        }
        return ["type": "error", "error": ["type": .string(kind), "message": .string(message)]]
    }
}
