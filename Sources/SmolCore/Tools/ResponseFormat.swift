/// A structured-output constraint on the model's answer.
public enum ResponseFormat: Sendable, Hashable {
    /// Any valid JSON object: `{"type": "json_object"}`.
    case jsonObject
    /// JSON matching a schema: `{"type": "json_schema", "json_schema": {"name", "schema", "strict"?}}`.
    case jsonSchema(name: String, schema: JSONValue, strict: Bool? = nil)
    /// Any other OpenAI-style `response_format` object, sent verbatim.
    case custom(JSONObject)

    /// smolagents' `CODEAGENT_RESPONSE_FORMAT`, used by code agents with structured outputs.
    public static let codeAgent = ResponseFormat.jsonSchema(
        name: "ThoughtAndCodeAnswer",
        schema: [
            "additionalProperties": false,
            "properties": [
                "thought": ["description": "A free form text description of the thought process.", "title": "Thought",
                            "type": "string"],
                "code": ["description": "Valid Python code snippet implementing the thought.", "title": "Code",
                         "type": "string"],
            ],
            "required": ["thought", "code"], "title": "ThoughtAndCodeAnswer", "type": "object",
        ],
        strict: true)

    /// The OpenAI-style `response_format` object.
    public var json: JSONValue {
        switch self {
        case .jsonObject:
            return ["type": "json_object"]
        case .jsonSchema(let name, let schema, let strict):
            var inner: JSONObject = ["schema": schema, "name": .string(name)]
            if let strict { inner["strict"] = .bool(strict) }
            return ["type": "json_schema", "json_schema": .object(inner)]
        case .custom(let object):
            return .object(object)
        }
    }

    /// The JSON schema the answer must match, if any (what local constrained decoding needs).
    public var schema: JSONValue? {
        switch self {
        case .jsonObject: return nil
        case .jsonSchema(_, let schema, _): return schema
        case .custom(let object): return object["json_schema"]?["schema"]
        }
    }

    /// Reads an OpenAI-style `response_format` object.
    public init(json: JSONValue, location: String = "response_format") throws(ModelError) {
        guard case .object(let object) = json, case .string(let type)? = object["type"] else {
            throw .invalidInput(message: "a response format must be an object with a string \"type\"",
                                location: location)
        }
        switch type {
        case "json_object" where object.count == 1:
            self = .jsonObject
        case "json_schema":
            guard case .object(let inner)? = object["json_schema"], let schema = inner["schema"] else {
                throw .invalidInput(message: "a json_schema response format needs \"json_schema\": {\"name\", \"schema\"}",
                                    location: location)
            }
            let known: Set<String> = ["name", "schema", "strict"]
            if object.count == 2, inner.keys.allSatisfy(known.contains), case .string(let name)? = inner["name"] {
                self = .jsonSchema(name: name, schema: schema, strict: inner["strict"]?.boolValue)
            } else {
                self = .custom(object)
            }
        default:
            self = .custom(object)
        }
    }
}
