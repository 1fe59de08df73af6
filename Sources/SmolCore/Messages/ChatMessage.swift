/// A message in a conversation: what callers send and what models return.
///
/// Its JSON form (``json``, ``init(json:raw:tokenUsage:location:)``) is smolagents' `ChatMessage.dict()` /
/// `from_dict`: snake_case keys `role`, `content`, `tool_calls`, `raw`, `token_usage`.
public struct ChatMessage: Sendable, Hashable {
    /// Who the message is from.
    public var role: MessageRole
    /// The content: a string, a list of blocks, or none (a message with only tool calls).
    public var content: MessageContent?
    /// Tool calls the model asked for.
    public var toolCalls: [ChatMessageToolCall]?
    /// The provider's response as received, for anything this type does not model.
    public var raw: JSONValue?
    /// Tokens consumed producing this message.
    public var tokenUsage: TokenUsage?
    /// Reasoning text that some providers return beside the content (`reasoning_content`).
    public var reasoningContent: String?
    /// For a tool result (``MessageRole/toolResponse``): the id of the call it answers. APIs with native
    /// tool messages then receive it as a `tool` message instead of smolagents' plain user text.
    public var toolCallID: String?
    /// Why generation stopped (`stop`, `length`, `tool_calls`, `content_filter`, …), when the provider says.
    public var finishReason: String?

    /// Creates a message.
    public init(role: MessageRole, content: MessageContent? = nil, toolCalls: [ChatMessageToolCall]? = nil,
                raw: JSONValue? = nil, tokenUsage: TokenUsage? = nil, reasoningContent: String? = nil,
                toolCallID: String? = nil, finishReason: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.raw = raw
        self.tokenUsage = tokenUsage
        self.reasoningContent = reasoningContent
        self.toolCallID = toolCallID
        self.finishReason = finishReason
    }

    /// A message with one text block, as agents build them.
    public init(role: MessageRole, text: String) {
        self.init(role: role, content: .parts([.text(text)]))
    }

    /// The message's text: the string content, or its text blocks joined with newlines; `nil` without content.
    public var text: String? { content?.text }
}

extension ChatMessage {
    /// smolagents' `dict()`, including `raw`.
    public var json: JSONValue { json(includingRaw: true) }

    /// smolagents' `dict()`; without `raw` it is the shape `model_dump_json()` prints.
    ///
    /// `reasoning_content`, `tool_call_id` and `finish_reason` are added only when the message has them,
    /// so messages without them keep smolagents' exact shape.
    public func json(includingRaw: Bool) -> JSONValue {
        var object: JSONObject = [
            "role": .string(role.rawValue),
            "content": content?.json ?? .null,
            "tool_calls": toolCalls.map { .array($0.map(\.json)) } ?? .null,
        ]
        if includingRaw { object["raw"] = raw ?? .null }
        object["token_usage"] = tokenUsage?.json ?? .null
        if let reasoningContent { object["reasoning_content"] = .string(reasoningContent) }
        if let toolCallID { object["tool_call_id"] = .string(toolCallID) }
        if let finishReason { object["finish_reason"] = .string(finishReason) }
        return .object(object)
    }

    /// smolagents' `model_dump_json()`: `json.dumps` (ASCII-escaped) of the dict without `raw`.
    public func modelDumpJSON() -> String {
        JSONEmitter(ensureASCII: true).string(from: json(includingRaw: false))
    }

    /// smolagents' `ChatMessage.from_dict(data, raw=, token_usage=)`.
    ///
    /// The role must be one of ``MessageRole``'s values (smolagents raises `ValueError` otherwise).
    /// `raw` and `token_usage` are read from the dict when present; the arguments, when given, win.
    public init(json: JSONValue, raw: JSONValue? = nil, tokenUsage: TokenUsage? = nil,
                location: String = "message") throws(ModelError) {
        guard case .object(let object) = json else {
            throw .invalidInput(message: "a message must be an object, got \(json.typeName)", location: location)
        }
        guard case .string(let roleName)? = object["role"] else {
            throw .invalidInput(message: "a message needs a string \"role\"", location: location)
        }
        let role: MessageRole
        do {
            role = try MessageRole(validating: roleName)
        } catch {
            throw .invalidInput(message: error.message, location: "\(location).role")
        }
        var content: MessageContent?
        if let value = object["content"], !value.isNull {
            content = try MessageContent(json: value, location: "\(location).content")
        }
        var toolCalls: [ChatMessageToolCall]?
        switch object["tool_calls"] {
        case nil, .null?:
            toolCalls = nil
        case .array(let calls)?:
            toolCalls = []
            for (index, call) in calls.enumerated() {
                toolCalls?.append(try ChatMessageToolCall(json: call, location: "\(location).tool_calls[\(index)]"))
            }
        case let other?:
            throw .invalidInput(message: "\"tool_calls\" must be a list, got \(other.typeName)",
                                location: "\(location).tool_calls")
        }
        var usage = tokenUsage
        if usage == nil, let value = object["token_usage"], !value.isNull {
            usage = try TokenUsage(json: value, location: "\(location).token_usage")
        }
        let storedRaw = object["raw"].flatMap { $0.isNull ? nil : $0 }
        self.init(role: role, content: content, toolCalls: toolCalls, raw: raw ?? storedRaw, tokenUsage: usage,
                  reasoningContent: object["reasoning_content"]?.stringValue,
                  toolCallID: object["tool_call_id"]?.stringValue, finishReason: object["finish_reason"]?.stringValue)
    }

    /// smolagents' `render_as_markdown()`, without its quirk of printing `None` for empty content:
    /// the text, then one `{"tool": …, "arguments": …}` JSON line per tool call.
    public func renderAsMarkdown() -> String {
        var rendered = text ?? ""
        if let toolCalls, !toolCalls.isEmpty {
            rendered += toolCalls.map { call in
                JSONEmitter(ensureASCII: true).string(
                    from: ["tool": .string(call.function.name), "arguments": call.function.arguments])
            }.joined(separator: "\n")
        }
        return rendered
    }
}

extension ChatMessage: Codable {
    /// Decodes smolagents' dict form. Prefer ``init(json:raw:tokenUsage:location:)`` with
    /// `JSONValue(parsing:)`, which keeps object key order.
    public init(from decoder: any Decoder) throws {
        let value = try JSONValue(from: decoder)
        try self.init(json: value)
    }

    /// Encodes smolagents' dict form, including `raw`.
    public func encode(to encoder: any Encoder) throws {
        try json.encode(to: encoder)
    }
}
