/// smolagents' `Model._prepare_completion_kwargs`: the parameters of a chat-completion request.
///
/// Builds, in this order, `messages` (through ``getCleanMessageList(_:roleConversions:convertImagesToImageURLs:flattenMessagesAsText:nativeToolMessages:)``),
/// `stop` (only when stop sequences are given and ``supportsStopParameter(_:)`` accepts `modelID`),
/// `response_format`, `tools` with `tool_choice` (only when tools are given; `tool_choice` defaults to
/// `"required"` and is omitted for ``ToolChoice/unspecified``), then the backend's `extraParameters`
/// (`model`, …), then the per-call `options.parameters`, then `modelParameters`, where ``ModelParameter/remove``
/// deletes a key. So the precedence is model-level > per-call > explicit options, as in smolagents (#1678).
///
/// - Parameters:
///   - messages: The conversation.
///   - options: The call's stop sequences, response format, tools, tool choice and parameters.
///   - modelID: The model, checked with ``supportsStopParameter(_:)`` to decide whether `stop` is sent.
///   - modelParameters: Model-level parameters, which override everything else.
///   - extraParameters: The backend's own parameters (`model`, …), overridden by the call's.
///   - roleConversions: Role mapping; `nil` or empty means ``MessageRole/toolRoleConversions``. A
///     non-empty mapping replaces the defaults rather than extending them, as in smolagents.
///   - convertImagesToImageURLs: Send images as `image_url` blocks (API models) rather than `image` blocks.
///   - flattenMessagesAsText: Flatten content to strings; a per-call boolean parameter
///     `flatten_messages_as_text` overrides it and is not sent.
///   - nativeToolMessages: Send tool calls and tool results as native tool messages (see
///     ``getCleanMessageList(_:roleConversions:convertImagesToImageURLs:flattenMessagesAsText:nativeToolMessages:)``).
public func prepareCompletionParameters(
    messages: [ChatMessage],
    options: GenerateOptions = GenerateOptions(),
    modelID: String?,
    modelParameters: ModelParameters = [:],
    extraParameters: JSONObject = [:],
    roleConversions: [MessageRole: MessageRole]? = nil,
    convertImagesToImageURLs: Bool = false,
    flattenMessagesAsText: Bool = false,
    nativeToolMessages: Bool = false
) throws(ModelError) -> JSONObject {
    var callParameters = options.parameters
    var flatten = flattenMessagesAsText
    if let override = callParameters.removeValue(forKey: "flatten_messages_as_text") {
        guard case .bool(let value) = override else {
            throw .invalidInput(message: "flatten_messages_as_text must be a boolean, got \(override)",
                                location: "parameters")
        }
        flatten = value
    }
    let conversions = (roleConversions?.isEmpty ?? true) ? MessageRole.toolRoleConversions : roleConversions!
    let clean = try getCleanMessageList(messages, roleConversions: conversions,
                                        convertImagesToImageURLs: convertImagesToImageURLs,
                                        flattenMessagesAsText: flatten, nativeToolMessages: nativeToolMessages)
    var out: JSONObject = ["messages": .array(clean.map(\.json))]
    if let stops = options.stopSequences, supportsStopParameter(modelID ?? "") {
        out["stop"] = .array(stops.map(JSONValue.string))
    }
    if let responseFormat = options.responseFormat {
        out["response_format"] = responseFormat.json
    }
    if let tools = options.tools, !tools.isEmpty {
        out["tools"] = .array(tools.map(\.jsonSchema))
        if let choice = (options.toolChoice ?? .required).json { out["tool_choice"] = choice }
    }
    out.merge(extraParameters)
    out.merge(callParameters)
    for (key, setting) in modelParameters {
        switch setting {
        case .remove: out.removeValue(forKey: key)
        case .value(let value): out[key] = value
        }
    }
    return out
}
