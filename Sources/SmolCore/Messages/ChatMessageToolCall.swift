/// The function a tool call invokes.
public struct ChatMessageToolCallFunction: Sendable, Hashable {
    /// The tool's name.
    public var name: String
    /// The arguments: a JSON string as APIs send them (`.string("{\"city\": \"Paris\"}")`) until
    /// parsed with ``parseJSONIfNeeded(_:)``, or any JSON value.
    public var arguments: JSONValue
    /// An optional description (smolagents keeps the field; providers never fill it).
    public var description: String?

    /// Creates a function call.
    public init(name: String, arguments: JSONValue, description: String? = nil) {
        self.name = name
        self.arguments = arguments
        self.description = description
    }

    /// smolagents' `asdict` shape: `{"arguments", "name", "description"}`.
    public var json: JSONValue {
        ["arguments": arguments, "name": .string(name), "description": description.map(JSONValue.string) ?? .null]
    }
}

/// A tool call the model asked for.
public struct ChatMessageToolCall: Sendable, Hashable, CustomStringConvertible {
    /// The provider's call id (echoed back with the tool's result).
    public var id: String
    /// Always `"function"` in practice.
    public var type: String
    /// The function and its arguments.
    public var function: ChatMessageToolCallFunction

    /// Creates a tool call.
    public init(id: String, type: String = "function", function: ChatMessageToolCallFunction) {
        self.id = id
        self.type = type
        self.function = function
    }

    /// smolagents' `asdict` shape: `{"function": {...}, "id", "type"}`.
    public var json: JSONValue {
        ["function": function.json, "id": .string(id), "type": .string(type)]
    }

    /// smolagents' `str()`: `Call: <id>: Calling <name> with arguments: <arguments>`.
    public var description: String {
        let arguments = function.arguments.stringValue ?? function.arguments.description
        return "Call: \(id): Calling \(function.name) with arguments: \(arguments)"
    }

    /// Reads a tool call from smolagents' or an OpenAI-style dict: `{"id", "type", "function": {"name",
    /// "arguments", "description"?}}`.
    public init(json: JSONValue, location: String = "tool_calls") throws(ModelError) {
        guard case .object(let object) = json else {
            throw .invalidInput(message: "a tool call must be an object, got \(json.typeName)", location: location)
        }
        guard case .string(let id)? = object["id"] else {
            throw .invalidInput(message: "a tool call needs a string \"id\"", location: location)
        }
        guard case .object(let function)? = object["function"] else {
            throw .invalidInput(message: "a tool call needs a \"function\" object", location: location)
        }
        guard case .string(let name)? = function["name"] else {
            throw .invalidInput(message: "a tool call's function needs a string \"name\"", location: "\(location).function")
        }
        guard let arguments = function["arguments"] else {
            throw .invalidInput(message: "a tool call's function needs \"arguments\"", location: "\(location).function")
        }
        self.init(
            id: id,
            type: object["type"]?.stringValue ?? "function",
            function: ChatMessageToolCallFunction(
                name: name, arguments: arguments, description: function["description"]?.stringValue))
    }
}
