/// A chat model: turns a conversation into the next message, whole or streamed.
///
/// Every backend conforms: ``CustomModel`` (a closure), the remote API models and the local engines.
/// Errors thrown are ``ModelError`` (or `CancellationError` when the calling task is cancelled).
public protocol Model: Sendable {
    /// The model's identifier (a provider model name, a deployment, a local path), if it has one.
    var modelID: String? { get }

    /// The key that holds the tool name in text tool calls (smolagents' `tool_name_key`).
    var toolNameKey: String { get }

    /// The key that holds the arguments in text tool calls (smolagents' `tool_arguments_key`).
    var toolArgumentsKey: String { get }

    /// Whether ``generateStream(_:options:)`` delivers text as it is produced, rather than all at once.
    var streamsIncrementally: Bool { get }

    /// Generates the next message.
    func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage

    /// Streams the next message as deltas; fold them with ``agglomerateStreamDeltas(_:role:)``.
    ///
    /// Cancelling the consuming task (or dropping the stream) cancels the underlying work.
    func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
}

extension Model {
    public var toolNameKey: String { "name" }
    public var toolArgumentsKey: String { "arguments" }
    public var streamsIncrementally: Bool { false }

    /// A stream of one delta holding the whole message from ``generate(_:options:)``: what models that
    /// cannot stream provide (smolagents' base class has no `generate_stream` at all).
    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    let message = try await generate(messages, options: options)
                    continuation.yield(message.asStreamDelta)
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// smolagents' `generate(messages, stop_sequences=, response_format=, tools_to_call_from=, **kwargs)`.
    public func generate(
        _ messages: [ChatMessage], stopSequences: [String]? = nil, responseFormat: ResponseFormat? = nil,
        toolsToCallFrom: [Tool]? = nil, toolChoice: ToolChoice? = nil, parameters: JSONObject = [:]
    ) async throws -> ChatMessage {
        try await generate(messages, options: GenerateOptions(
            stopSequences: stopSequences, responseFormat: responseFormat, tools: toolsToCallFrom,
            toolChoice: toolChoice, parameters: parameters))
    }

    /// smolagents' `generate_stream(messages, stop_sequences=, response_format=, tools_to_call_from=, **kwargs)`.
    public func generateStream(
        _ messages: [ChatMessage], stopSequences: [String]? = nil, responseFormat: ResponseFormat? = nil,
        toolsToCallFrom: [Tool]? = nil, toolChoice: ToolChoice? = nil, parameters: JSONObject = [:]
    ) -> AsyncThrowingStream<ChatMessageStreamDelta, any Error> {
        generateStream(messages, options: GenerateOptions(
            stopSequences: stopSequences, responseFormat: responseFormat, tools: toolsToCallFrom,
            toolChoice: toolChoice, parameters: parameters))
    }

    /// smolagents' `model(messages, ...)`: the same as ``generate(_:stopSequences:responseFormat:toolsToCallFrom:toolChoice:parameters:)``.
    public func callAsFunction(
        _ messages: [ChatMessage], stopSequences: [String]? = nil, responseFormat: ResponseFormat? = nil,
        toolsToCallFrom: [Tool]? = nil, toolChoice: ToolChoice? = nil, parameters: JSONObject = [:]
    ) async throws -> ChatMessage {
        try await generate(messages, stopSequences: stopSequences, responseFormat: responseFormat,
                           toolsToCallFrom: toolsToCallFrom, toolChoice: toolChoice, parameters: parameters)
    }

    /// Whether this model's API accepts a `stop` parameter (``supportsStopParameter(_:)`` of ``modelID``).
    public var supportsStopParameter: Bool { SmolCore.supportsStopParameter(modelID ?? "") }

    /// smolagents' `Model.parse_tool_calls`, with this model's tool keys.
    public func parseToolCalls(_ message: ChatMessage) throws(ModelError) -> ChatMessage {
        try SmolCore.parseToolCalls(message, toolNameKey: toolNameKey, toolArgumentsKey: toolArgumentsKey)
    }
}
