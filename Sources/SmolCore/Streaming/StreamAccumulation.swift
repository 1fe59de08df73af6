/// smolagents' `agglomerate_stream_deltas`: folds a stream's deltas into one message.
///
/// Content is concatenated; token usages are summed (a message always gets a usage, zero when no
/// delta had one); tool-call fragments are merged by `index` in first-seen order: the first fragment
/// of an index creates the call, a non-empty `id` or `type` replaces the stored one, a non-empty name
/// replaces the name, and argument pieces are appended. Arguments stay a raw JSON string. A fragment
/// without an index is an error.
public func agglomerateStreamDeltas(
    _ deltas: some Sequence<ChatMessageStreamDelta>, role: MessageRole = .assistant
) throws(ModelError) -> ChatMessage {
    var accumulator = StreamAccumulator()
    for delta in deltas { try accumulator.add(delta) }
    return accumulator.message(role: role)
}

/// The incremental form of ``agglomerateStreamDeltas(_:role:)``: add deltas as they arrive and read the
/// message so far at any time (a stream that fails midway still yields its partial result).
public struct StreamAccumulator: Sendable {
    private struct PendingCall: Sendable {
        var id: String?
        var type: String?
        var name = ""
        var arguments = ""
    }

    private var content = ""
    private var reasoning: String?
    private var finishReason: String?
    private var usage = TokenUsage.zero
    private var calls: [Int: PendingCall] = [:]
    private var order: [Int] = []

    /// An empty accumulator.
    public init() {}

    /// Adds one delta.
    public mutating func add(_ delta: ChatMessageStreamDelta) throws(ModelError) {
        if let usage = delta.tokenUsage { self.usage += usage }
        if let text = delta.content, !text.isEmpty { content += text }
        if let text = delta.reasoningContent, !text.isEmpty { reasoning = (reasoning ?? "") + text }
        if let reason = delta.finishReason { finishReason = reason }
        for fragment in delta.toolCalls ?? [] {
            guard let index = fragment.index else {
                throw .invalidInput(message: "Tool call index is not provided in tool delta: \(fragment.json)",
                                    location: "tool_calls")
            }
            var call: PendingCall
            if let existing = calls[index] {
                call = existing
            } else {
                order.append(index)
                call = PendingCall(id: fragment.id, type: fragment.type)
            }
            if let id = fragment.id, !id.isEmpty { call.id = id }
            if let type = fragment.type, !type.isEmpty { call.type = type }
            if let name = fragment.function?.name, !name.isEmpty { call.name = name }
            if let arguments = fragment.function?.arguments, !arguments.isEmpty { call.arguments += arguments }
            calls[index] = call
        }
    }

    /// The message accumulated so far.
    public func message(role: MessageRole = .assistant) -> ChatMessage {
        let toolCalls = order.compactMap { index in calls[index] }.map { call in
            ChatMessageToolCall(id: call.id ?? "", type: "function",
                                function: ChatMessageToolCallFunction(name: call.name, arguments: .string(call.arguments)))
        }
        return ChatMessage(role: role, content: .text(content), toolCalls: toolCalls, tokenUsage: usage,
                           reasoningContent: reasoning, finishReason: finishReason)
    }
}

extension ChatMessage {
    /// The message as one stream delta: its text, its tool calls as whole fragments, its usage.
    ///
    /// What the default ``Model/generateStream(_:options:)`` yields for a model that cannot stream.
    public var asStreamDelta: ChatMessageStreamDelta {
        ChatMessageStreamDelta(
            content: text,
            toolCalls: toolCalls.map { calls in
                calls.enumerated().map { index, call in
                    ChatMessageToolCallStreamDelta(
                        index: index, id: call.id, type: call.type,
                        function: .init(name: call.function.name,
                                        arguments: call.function.arguments.stringValue ?? call.function.arguments.description))
                }
            },
            tokenUsage: tokenUsage, reasoningContent: reasoningContent, finishReason: finishReason)
    }
}
