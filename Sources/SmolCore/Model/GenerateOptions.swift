/// What a caller asks of one generation, beside the messages.
public struct GenerateOptions: Sendable, Hashable {
    /// Text at which generation stops; the stop text itself is never returned.
    public var stopSequences: [String]?
    /// A structured-output constraint.
    public var responseFormat: ResponseFormat?
    /// Tools the model may call.
    public var tools: [Tool]?
    /// Which tool to call. `nil` is smolagents' default: `required` when tools are given.
    public var toolChoice: ToolChoice?
    /// Per-call completion parameters (`temperature`, `max_tokens`, `seed`, …), passed to the provider.
    /// Model-level parameters override them, as in smolagents.
    public var parameters: JSONObject

    /// Creates options.
    public init(stopSequences: [String]? = nil, responseFormat: ResponseFormat? = nil, tools: [Tool]? = nil,
                toolChoice: ToolChoice? = nil, parameters: JSONObject = [:]) {
        self.stopSequences = stopSequences
        self.responseFormat = responseFormat
        self.tools = tools
        self.toolChoice = toolChoice
        self.parameters = parameters
    }

    /// The options as JSON (for cassettes and logs).
    public var json: JSONValue {
        [
            "stop_sequences": stopSequences.map { .array($0.map(JSONValue.string)) } ?? .null,
            "response_format": responseFormat?.json ?? .null,
            "tools": tools.map { .array($0.map(\.json)) } ?? .null,
            "tool_choice": toolChoice.map { $0.json ?? .null } ?? "default",
            "parameters": .object(parameters),
        ]
    }
}

/// A model-level completion parameter: a value sent with every call, or ``remove`` to drop a
/// parameter that would otherwise be sent (smolagents' `REMOVE_PARAMETER`).
public enum ModelParameter: Sendable, Hashable, ExpressibleByBooleanLiteral, ExpressibleByIntegerLiteral,
    ExpressibleByFloatLiteral, ExpressibleByStringLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral
{
    /// Send this value.
    case value(JSONValue)
    /// Never send this parameter, even when the call or the library would.
    case remove

    public init(booleanLiteral value: Bool) { self = .value(.bool(value)) }
    public init(integerLiteral value: Int) { self = .value(.int(value)) }
    public init(floatLiteral value: Double) { self = .value(.double(value)) }
    public init(stringLiteral value: String) { self = .value(.string(value)) }
    public init(arrayLiteral elements: JSONValue...) { self = .value(.array(elements)) }
    public init(dictionaryLiteral elements: (String, JSONValue)...) { self = .value(.object(JSONObject(elements))) }
}

/// Completion parameters fixed when a model is created (smolagents' `Model(**kwargs)`), in order.
public struct ModelParameters: Sendable, Hashable, ExpressibleByDictionaryLiteral, Sequence {
    private var entries: [(key: String, value: ModelParameter)] = []

    /// No parameters.
    public init() {}

    /// These parameters, in order; a repeated key keeps its first position and its last value.
    public init(_ parameters: some Sequence<(String, ModelParameter)>) {
        for (key, value) in parameters { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, ModelParameter)...) { self.init(elements) }

    /// Model-level parameters from plain JSON values.
    public init(_ object: JSONObject) { self.init(object.map { ($0.key, ModelParameter.value($0.value)) }) }

    /// The setting for `key`.
    public subscript(key: String) -> ModelParameter? {
        get { entries.first { $0.key == key }?.value }
        set {
            if let index = entries.firstIndex(where: { $0.key == key }) {
                if let newValue { entries[index].value = newValue } else { entries.remove(at: index) }
            } else if let newValue {
                entries.append((key, newValue))
            }
        }
    }

    /// Whether there are no parameters.
    public var isEmpty: Bool { entries.isEmpty }

    public func makeIterator() -> IndexingIterator<[(key: String, value: ModelParameter)]> { entries.makeIterator() }

    public static func == (lhs: ModelParameters, rhs: ModelParameters) -> Bool {
        lhs.entries.count == rhs.entries.count && zip(lhs.entries, rhs.entries).allSatisfy { $0 == $1 }
    }

    public func hash(into hasher: inout Hasher) {
        for entry in entries {
            hasher.combine(entry.key)
            hasher.combine(entry.value)
        }
    }
}
