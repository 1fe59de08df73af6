/// A message after normalisation: a role and the content as the wire expects it.
public struct CleanMessage: Sendable, Hashable {
    /// The role after role conversion.
    public var role: MessageRole
    /// A string (flattened, or plain-string content), a list of block objects, or `null`.
    public var content: JSONValue
    /// Native tool calls, kept only in native-tool mode.
    public var toolCalls: [ChatMessageToolCall]?
    /// The call a native tool result answers, kept only in native-tool mode.
    public var toolCallID: String?

    /// Creates a normalised message.
    public init(role: MessageRole, content: JSONValue, toolCalls: [ChatMessageToolCall]? = nil, toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    /// `{"role": …, "content": …}`, as smolagents' `get_clean_message_list` returns it; in native-tool
    /// mode a tool result is `{"role": "tool", "tool_call_id", "content"}` and tool calls are added as
    /// OpenAI's `tool_calls` (arguments as a JSON string).
    public var json: JSONValue {
        if let toolCallID {
            return ["role": "tool", "tool_call_id": .string(toolCallID), "content": content]
        }
        var object: JSONObject = ["role": .string(role.rawValue), "content": content]
        if let toolCalls, !toolCalls.isEmpty {
            object["tool_calls"] = .array(toolCalls.map { call in
                let arguments = call.function.arguments.stringValue ?? JSONEmitter().string(from: call.function.arguments)
                return ["id": .string(call.id), "type": .string(call.type),
                        "function": ["name": .string(call.function.name), "arguments": .string(arguments)]]
            })
        }
        return .object(object)
    }
}

/// smolagents' `get_clean_message_list`: converts roles, converts images, and merges consecutive
/// messages that end up with the same role.
///
/// For each message, in order: the role is mapped through `roleConversions`; image blocks become
/// `{"type": "image_url", "image_url": {"url": <data URI or URL>}}` when `convertImagesToImageURLs`
/// (API models) or `{"type": "image", "image": <base64 or URL>}` otherwise (local models); then, when
/// the previous output message has the same role, the two are merged: in flatten mode the new
/// message's first block's text is appended after a newline; otherwise each text block is appended to
/// the previous message's last block after a newline when that block is text, and other blocks are
/// appended as they are. Without a merge, the message is added with its content, reduced to the first
/// block's text in flatten mode (smolagents drops the other blocks).
///
/// Where smolagents crashes, this gives a sensible merge or a typed error: plain-string content merges
/// like a single text block (and two strings merge into one string, #1972); `nil` content adds nothing
/// to a merge; an image with `flattenMessagesAsText` is ``ModelError/invalidInput(message:location:)``.
///
/// With `nativeToolMessages` (an extension for APIs with native tool messages), a message carrying
/// tool calls keeps them and a tool result with a ``ChatMessage/toolCallID`` becomes a `tool` message;
/// such messages are never merged with their neighbours. Without it, both are handled exactly as
/// smolagents does (tool calls dropped, results sent as converted-role text).
public func getCleanMessageList(
    _ messages: [ChatMessage],
    roleConversions: [MessageRole: MessageRole] = [:],
    convertImagesToImageURLs: Bool = false,
    flattenMessagesAsText: Bool = false,
    nativeToolMessages: Bool = false
) throws(ModelError) -> [CleanMessage] {
    var output: [CleanMessage] = []
    output.reserveCapacity(messages.count)
    for (index, message) in messages.enumerated() {
        let role = roleConversions[message.role] ?? message.role
        let location = "messages[\(index)].content"
        let content = try wireContent(of: message.content, convertImagesToImageURLs: convertImagesToImageURLs,
                                      flatten: flattenMessagesAsText, location: location)
        let native = nativeToolMessages
            && (!(message.toolCalls?.isEmpty ?? true) || (message.role == .toolResponse && message.toolCallID != nil))
        if native {
            let reduced = flattenMessagesAsText
                ? try firstText(of: content, location: location).map(JSONValue.string) ?? .null : content
            output.append(CleanMessage(
                role: role, content: reduced, toolCalls: message.toolCalls?.isEmpty == false ? message.toolCalls : nil,
                toolCallID: message.role == .toolResponse ? message.toolCallID : nil))
            continue
        }
        if var last = output.last, last.role == role, last.toolCalls == nil, last.toolCallID == nil {
            if flattenMessagesAsText {
                if let text = try firstText(of: content, location: location) {
                    if case .string(let previous) = last.content {
                        last.content = .string(previous + "\n" + text)
                    } else {
                        last.content = .string(text)
                    }
                }
            } else {
                last.content = merged(last.content, content)
            }
            output[output.count - 1] = last
        } else {
            let reduced: JSONValue
            if flattenMessagesAsText {
                reduced = try firstText(of: content, location: location).map(JSONValue.string) ?? .null
            } else {
                reduced = content
            }
            output.append(CleanMessage(role: role, content: reduced))
        }
    }
    return output
}

/// The content in wire form: a string, a list of block objects with images converted, or `null`.
private func wireContent(of content: MessageContent?, convertImagesToImageURLs: Bool, flatten: Bool,
                         location: String) throws(ModelError) -> JSONValue {
    switch content {
    case nil:
        return .null
    case .text(let text)?:
        return .string(text)
    case .parts(let parts)?:
        var blocks: [JSONValue] = []
        blocks.reserveCapacity(parts.count)
        for (index, part) in parts.enumerated() {
            guard case .image(let source) = part else {
                blocks.append(part.json)
                continue
            }
            if flatten {
                throw .invalidInput(message: "Cannot use images with flatten_messages_as_text=True",
                                    location: "\(location)[\(index)]")
            }
            if convertImagesToImageURLs {
                blocks.append(["type": "image_url", "image_url": ["url": .string(source.url)]])
            } else {
                switch source {
                case .base64(let data, _): blocks.append(["type": "image", "image": .string(data)])
                case .url(let url): blocks.append(["type": "image", "image": .string(url)])
                }
            }
        }
        return .array(blocks)
    }
}

/// The text that flatten mode keeps: the string itself, or the first block's text (`""` for no blocks).
private func firstText(of content: JSONValue, location: String) throws(ModelError) -> String? {
    switch content {
    case .string(let text):
        return text
    case .array(let blocks):
        guard let first = blocks.first else { return "" }
        guard case .string(let text)? = first["text"] else {
            throw .invalidInput(message: "flatten_messages_as_text needs a text block first, got \(first)",
                                location: "\(location)[0]")
        }
        return text
    default:
        return nil
    }
}

/// smolagents' block merge, extended to plain strings and `null`.
private func merged(_ previous: JSONValue, _ next: JSONValue) -> JSONValue {
    switch (previous, next) {
    case (_, .null):
        return previous
    case (.null, _):
        return next
    case (.string(let a), .string(let b)):
        return .string(a + "\n" + b)
    default:
        var blocks = asBlocks(previous)
        for block in asBlocks(next) {
            if let text = textOfTextBlock(block), let last = blocks.last, let lastText = textOfTextBlock(last),
                case .object(var lastObject) = last
            {
                lastObject["text"] = .string(lastText + "\n" + text)
                blocks[blocks.count - 1] = .object(lastObject)
            } else {
                blocks.append(block)
            }
        }
        return .array(blocks)
    }
}

private func asBlocks(_ content: JSONValue) -> [JSONValue] {
    switch content {
    case .string(let text): return [["type": "text", "text": .string(text)]]
    case .array(let blocks): return blocks
    default: return []
    }
}

private func textOfTextBlock(_ block: JSONValue) -> String? {
    guard block["type"]?.stringValue == "text" else { return nil }
    return block["text"]?.stringValue
}
