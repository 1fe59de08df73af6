/// A fragment of a tool call in a stream; fragments with the same `index` belong to one call.
public struct ChatMessageToolCallStreamDelta: Sendable, Hashable {
    /// The name and argument fragments of a streamed function call.
    public struct Function: Sendable, Hashable {
        /// The name, usually sent whole in the call's first fragment.
        public var name: String?
        /// A piece of the arguments' JSON text, to be appended to the previous pieces.
        public var arguments: String?

        /// Creates a function fragment.
        public init(name: String? = nil, arguments: String? = nil) {
            self.name = name
            self.arguments = arguments
        }
    }

    /// Which call this fragment belongs to.
    public var index: Int?
    /// The call's id, usually in its first fragment.
    public var id: String?
    /// The call's type (`"function"`), usually in its first fragment.
    public var type: String?
    /// The function fragment.
    public var function: Function?

    /// Creates a tool-call fragment.
    public init(index: Int?, id: String? = nil, type: String? = nil, function: Function? = nil) {
        self.index = index
        self.id = id
        self.type = type
        self.function = function
    }
}

/// One increment of a streamed answer.
public struct ChatMessageStreamDelta: Sendable, Hashable {
    /// New text, if any.
    public var content: String?
    /// New tool-call fragments, if any.
    public var toolCalls: [ChatMessageToolCallStreamDelta]?
    /// Token usage, usually on the last delta only; usages of several deltas add up.
    public var tokenUsage: TokenUsage?
    /// New reasoning text, when the provider streams it separately.
    public var reasoningContent: String?
    /// Why generation stopped, on the delta that says so.
    public var finishReason: String?

    /// Creates a delta.
    public init(content: String? = nil, toolCalls: [ChatMessageToolCallStreamDelta]? = nil,
                tokenUsage: TokenUsage? = nil, reasoningContent: String? = nil, finishReason: String? = nil) {
        self.content = content
        self.toolCalls = toolCalls
        self.tokenUsage = tokenUsage
        self.reasoningContent = reasoningContent
        self.finishReason = finishReason
    }
}

extension ChatMessageStreamDelta {
    /// The delta as JSON: `{"content", "tool_calls": [{"index", "id", "type", "function": {"name",
    /// "arguments"}}], "token_usage"}` (`reasoning_content` and `finish_reason` only when present).
    public var json: JSONValue {
        var object: JSONObject = [
            "content": content.map(JSONValue.string) ?? .null,
            "tool_calls": toolCalls.map { .array($0.map(\.json)) } ?? .null,
            "token_usage": tokenUsage?.json ?? .null,
        ]
        if let reasoningContent { object["reasoning_content"] = .string(reasoningContent) }
        if let finishReason { object["finish_reason"] = .string(finishReason) }
        return .object(object)
    }

    /// Reads a delta from its JSON form; absent and `null` fields are `nil`.
    public init(json: JSONValue, location: String = "delta") throws(ModelError) {
        guard case .object(let object) = json else {
            throw .invalidInput(message: "a stream delta must be an object, got \(json.typeName)", location: location)
        }
        content = try optionalString(object["content"], key: "content", location: location)
        reasoningContent = try optionalString(object["reasoning_content"], key: "reasoning_content", location: location)
        finishReason = try optionalString(object["finish_reason"], key: "finish_reason", location: location)
        tokenUsage = try object["token_usage"].flatMap { $0.isNull ? nil : $0 }.map { value throws(ModelError) in
            try TokenUsage(json: value, location: "\(location).token_usage")
        }
        switch object["tool_calls"] {
        case nil, .null?:
            toolCalls = nil
        case .array(let items)?:
            var calls: [ChatMessageToolCallStreamDelta] = []
            for (index, item) in items.enumerated() {
                calls.append(try ChatMessageToolCallStreamDelta(json: item, location: "\(location).tool_calls[\(index)]"))
            }
            toolCalls = calls
        case let other?:
            throw .invalidInput(message: "\"tool_calls\" must be a list, got \(other.typeName)", location: location)
        }
    }
}

extension ChatMessageToolCallStreamDelta {
    /// The fragment as JSON, OpenAI's streamed shape.
    public var json: JSONValue {
        [
            "index": index.map(JSONValue.int) ?? .null,
            "id": id.map(JSONValue.string) ?? .null,
            "type": type.map(JSONValue.string) ?? .null,
            "function": function.map { ["name": $0.name.map(JSONValue.string) ?? .null,
                                        "arguments": $0.arguments.map(JSONValue.string) ?? .null] } ?? .null,
        ]
    }

    /// Reads a fragment from OpenAI's streamed shape.
    public init(json: JSONValue, location: String = "tool_call") throws(ModelError) {
        guard case .object(let object) = json else {
            throw .invalidInput(message: "a tool-call delta must be an object, got \(json.typeName)", location: location)
        }
        switch object["index"] {
        case nil, .null?: index = nil
        case let value?:
            guard let int = value.intValue else {
                throw .invalidInput(message: "\"index\" must be an integer, got \(value)", location: location)
            }
            index = int
        }
        id = try optionalString(object["id"], key: "id", location: location)
        type = try optionalString(object["type"], key: "type", location: location)
        switch object["function"] {
        case nil, .null?:
            function = nil
        case .object(let function)?:
            let here = "\(location).function"
            self.function = Function(name: try optionalString(function["name"], key: "name", location: here),
                                     arguments: try optionalString(function["arguments"], key: "arguments", location: here))
        case let other?:
            throw .invalidInput(message: "\"function\" must be an object, got \(other.typeName)", location: location)
        }
    }
}

private func optionalString(_ value: JSONValue?, key: String, location: String) throws(ModelError) -> String? {
    switch value {
    case nil, .null?: return nil
    case .string(let text)?: return text
    case let other?:
        throw .invalidInput(message: "\"\(key)\" must be a string, got \(other.typeName)", location: location)
    }
}
