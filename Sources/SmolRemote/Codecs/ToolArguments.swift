import SmolCore

/// A tool call's arguments as the JSON object that native tool-call blocks carry (Converse `toolUse.input`,
/// Anthropic `tool_use.input`, Gemini `functionCall.args`): a JSON string is parsed, empty text is `{}`,
/// and anything that is not an object is an error naming `field`.
func toolArgumentsObject(_ arguments: JSONValue, field: String, location: String) throws(ModelError) -> JSONValue {
    let parsed = parseJSONIfNeeded(arguments)
    guard case .object = parsed else {
        if case .string(let text) = parsed, text.isEmpty { return .object([:]) }
        throw .invalidInput(message: "\(field) must be a JSON object, got \(parsed)", location: location)
    }
    return parsed
}
