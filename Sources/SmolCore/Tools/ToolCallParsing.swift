import Foundation

/// smolagents' `parse_json_if_needed`: a string that parses as JSON (Python's `json.loads`, so bare
/// scalars too) becomes that value; any other string, and any non-string, is returned unchanged.
public func parseJSONIfNeeded(_ arguments: JSONValue) -> JSONValue {
    guard case .string(let text) = arguments else { return arguments }
    return (try? JSONValue(parsing: text)) ?? arguments
}

/// smolagents' `parse_json_blob`: the JSON object spanning the first `{` to the last `}` of `text`
/// (parsed with `strict=False`, so raw control characters inside strings are accepted), and the text
/// before it.
///
/// Errors carry smolagents' messages. One deliberate fix: the excerpt in an invalid-blob message and
/// the "multiple tool calls" check look at the failing position in the whole text; smolagents uses the
/// position inside the blob as if it were one in the text, so its excerpt points at the wrong place.
public func parseJSONBlob(_ text: String) throws(ModelError) -> (json: JSONObject, prefix: String) {
    let scalars = Array(text.unicodeScalars)
    guard let last = scalars.lastIndex(of: "}") else {
        throw .toolCallParsing(message: "The model output does not contain any JSON blob.")
    }
    // Without a `{`, Python slices from -1: the blob is the final character.
    let first = scalars.firstIndex(of: "{") ?? (scalars.count - 1)
    let blob = first <= last ? String(String.UnicodeScalarView(scalars[first...last])) : ""
    do {
        let value = try JSONValue(parsing: blob, strict: false)
        guard case .object(let object) = value else {
            throw ModelError.toolCallParsing(message: "The JSON blob you used is not an object: \(blob)")
        }
        return (object, String(String.UnicodeScalarView(scalars[..<max(first, 0)])))
    } catch let error as JSONParseError {
        let position = first + error.position
        if slice(scalars, position - 1, position + 2) == "},\n" {
            throw .toolCallParsing(message: "JSON is invalid: you probably tried to provide multiple tool calls in one action. PROVIDE ONLY ONE TOOL CALL.")
        }
        throw .toolCallParsing(message: """
            The JSON blob you used is invalid due to the following error: \(error).
            JSON blob was: \(text), decoding failed on that specific part of the blob:
            '\(slice(scalars, position - 4, position + 5))'.
            """)
    } catch let error as ModelError {
        throw error
    } catch {
        throw .toolCallParsing(message: "\(error)")
    }
}

/// smolagents' `get_tool_call_from_text`: reads one tool call from a JSON blob in model output.
///
/// The name is read from `toolNameKey` (it must be present, with smolagents' error otherwise), the
/// arguments from `toolArgumentsKey` (`null` when absent; a string is passed through
/// ``parseJSONIfNeeded(_:)``). The call gets a fresh random UUID as its id.
public func getToolCallFromText(
    _ text: String, toolNameKey: String = "name", toolArgumentsKey: String = "arguments"
) throws(ModelError) -> ChatMessageToolCall {
    let (object, _) = try parseJSONBlob(text)
    guard let nameValue = object[toolNameKey] else {
        let keys = "[" + object.keys.map { Python.repr($0) }.joined(separator: ", ") + "]"
        throw .toolCallParsing(message: "Tool call needs to have a key '\(toolNameKey)'. Got keys: \(keys) instead")
    }
    guard case .string(let name) = nameValue else {
        throw .toolCallParsing(message: "Tool call key '\(toolNameKey)' must be a string, got \(nameValue)")
    }
    var arguments = object[toolArgumentsKey] ?? .null
    if case .string = arguments { arguments = parseJSONIfNeeded(arguments) }
    return ChatMessageToolCall(
        id: UUID().uuidString.lowercased(), type: "function",
        function: ChatMessageToolCallFunction(name: name, arguments: arguments))
}

/// smolagents' `Model.parse_tool_calls`: makes the message an assistant message, reads a tool call
/// from its text when it has no native ones, and parses every call's string arguments as JSON.
public func parseToolCalls(
    _ message: ChatMessage, toolNameKey: String = "name", toolArgumentsKey: String = "arguments"
) throws(ModelError) -> ChatMessage {
    var message = message
    message.role = .assistant
    if message.toolCalls?.isEmpty ?? true {
        guard let text = message.text else {
            throw .toolCallParsing(message: "Message contains no content and no tool calls")
        }
        message.toolCalls = [try getToolCallFromText(text, toolNameKey: toolNameKey, toolArgumentsKey: toolArgumentsKey)]
    }
    message.toolCalls = message.toolCalls?.map { call in
        var call = call
        call.function.arguments = parseJSONIfNeeded(call.function.arguments)
        return call
    }
    return message
}

/// `scalars[start..<end]` as a string, with both bounds clamped to the text.
private func slice(_ scalars: [Unicode.Scalar], _ start: Int, _ end: Int) -> String {
    let lower = min(max(start, 0), scalars.count)
    let upper = min(max(end, lower), scalars.count)
    return String(String.UnicodeScalarView(scalars[lower..<upper]))
}
