/// A tool the model may call, described as smolagents describes tools.
///
/// `inputs` maps each argument name to its spec, in smolagents' format:
/// `{"type": "string" | "integer" | … | ["string", "null"], "description": …, "nullable"?: true, "enum"?: […]}`,
/// optionally with an MCP-style `"anyOf"` instead of `"type"`.
public struct Tool: Sendable, Hashable {
    /// The types smolagents' `Tool` validation allows (`AUTHORIZED_TYPES`).
    public static let authorizedTypes: Set<String> = [
        "string", "boolean", "integer", "number", "image", "audio", "array", "object", "any", "null",
    ]

    /// The tool's name, as the model calls it.
    public var name: String
    /// What the tool does, for the model.
    public var description: String
    /// The arguments' specs, in order.
    public var inputs: JSONObject
    /// The type of the tool's result (`"string"`, `"any"`, …).
    public var outputType: String

    /// Creates a tool description. Use ``validated(location:)`` to check it the way smolagents' `Tool` does.
    public init(name: String, description: String, inputs: JSONObject, outputType: String = "any") {
        self.name = name
        self.description = description
        self.inputs = inputs
        self.outputType = outputType
    }

    /// Reads a smolagents tool spec: `{"name", "description", "inputs", "output_type"}`, validated.
    public init(json: JSONValue, location: String = "tool") throws(ModelError) {
        guard case .object(let object) = json else {
            throw .invalidInput(message: "a tool must be an object, got \(json.typeName)", location: location)
        }
        guard case .string(let name)? = object["name"] else {
            throw .invalidInput(message: "a tool needs a string \"name\"", location: location)
        }
        guard case .string(let description)? = object["description"] else {
            throw .invalidInput(message: "a tool needs a string \"description\"", location: "\(location).\(name)")
        }
        var inputs = JSONObject()
        switch object["inputs"] {
        case nil, .null?: break
        case .object(let value)?: inputs = value
        case let other?:
            throw .invalidInput(message: "\"inputs\" must be an object, got \(other.typeName)",
                                location: "\(location).\(name)")
        }
        let outputType = object["output_type"]?.stringValue ?? "any"
        self = try Tool(name: name, description: description, inputs: inputs, outputType: outputType)
            .validated(location: location)
    }

    /// The tool as a smolagents spec dict.
    public var json: JSONValue {
        ["name": .string(name), "description": .string(description), "inputs": .object(inputs),
         "output_type": .string(outputType)]
    }

    /// Checks every input the way smolagents' `Tool.validate_arguments` does: each is an object with a
    /// string `description` and a `type` (or `anyOf`) drawn from ``authorizedTypes``.
    public func validated(location: String = "tool") throws(ModelError) -> Tool {
        let here = "\(location).\(name)"
        guard !name.isEmpty else { throw .invalidInput(message: "a tool's name must not be empty", location: location) }
        for (key, spec) in inputs {
            guard case .object(let object) = spec else {
                throw .invalidInput(message: "input '\(key)' must be an object, got \(spec.typeName)",
                                    location: "\(here).inputs")
            }
            guard object["description"]?.stringValue != nil else {
                throw .invalidInput(message: "input '\(key)' needs a string \"description\"", location: "\(here).inputs")
            }
            let types: [JSONValue]
            switch (object["type"], object["anyOf"]) {
            case (.string?, _): types = [object["type"]!]
            case (.array(let list)?, _): types = list
            case (nil, .array(let branches)?): types = branches.compactMap { $0["type"] }
            default:
                throw .invalidInput(message: "input '\(key)' needs a \"type\"", location: "\(here).inputs")
            }
            for type in types {
                guard let name = type.stringValue, Tool.authorizedTypes.contains(name) else {
                    let allowed = Tool.authorizedTypes.sorted().joined(separator: ", ")
                    throw .invalidInput(message: "input '\(key)' has type \(type), which is not one of: \(allowed)",
                                        location: "\(here).inputs")
                }
            }
        }
        return self
    }

    /// smolagents' `get_tool_json_schema`: the OpenAI function-tool schema.
    ///
    /// `"any"` becomes `"string"`; an argument is required unless `"nullable": true`; an `anyOf` is
    /// folded into `type` (a list when several), with `"nullable": true` for a `null` branch and the
    /// last branch's `enum` kept. Every other key passes through unchanged.
    public var jsonSchema: JSONValue {
        var properties = JSONObject()
        var required: [JSONValue] = []
        for (key, spec) in inputs {
            guard case .object(var value) = spec else {
                properties[key] = spec
                required.append(.string(key))
                continue
            }
            if value["type"] == "any" { value["type"] = "string" }
            if !(value["nullable"]?.isTruthy ?? false) { required.append(.string(key)) }
            if case .array(let branches)? = value["anyOf"] {
                var types: [JSONValue] = []
                var enumValues: JSONValue?
                for branch in branches {
                    if branch["type"] == "null" {
                        value["nullable"] = true
                        continue
                    }
                    if let type = branch["type"] { types.append(type == "any" ? "string" : type) }
                    if let values = branch["enum"] { enumValues = values }
                }
                if !types.isEmpty { value["type"] = types.count > 1 ? .array(types) : types[0] }
                if let enumValues { value["enum"] = enumValues }
                value["anyOf"] = nil
            }
            properties[key] = .object(value)
        }
        return [
            "type": "function",
            "function": [
                "name": .string(name), "description": .string(description),
                "parameters": ["type": "object", "properties": .object(properties), "required": .array(required)],
            ],
        ]
    }
}
