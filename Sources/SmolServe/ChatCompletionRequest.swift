import SmolCore

/// A `POST /v1/chat/completions` body in OpenAI's shape, read into this package's types.
struct ChatCompletionRequest: Sendable {
    var model: String
    var messages: [ChatMessage]
    var options: GenerateOptions
    var stream: Bool
    var includeUsage: Bool

    /// Fields passed to the model as generation parameters, with the key the model reads.
    private static let passedParameters: [(String, String)] = [
        ("temperature", "temperature"), ("top_p", "top_p"), ("seed", "seed"), ("presence_penalty", "presence_penalty"),
        ("frequency_penalty", "frequency_penalty"),
    ]

    /// Fields read elsewhere or accepted and ignored (metadata that does not change the answer).
    private static let known: Set<String> = [
        "model", "messages", "stream", "stream_options", "tools", "tool_choice", "response_format", "stop", "max_tokens",
        "max_completion_tokens", "n", "user", "metadata", "store", "parallel_tool_calls", "logprobs", "top_logprobs",
        "temperature", "top_p", "seed", "presence_penalty", "frequency_penalty", "reasoning_effort",
    ]

    /// Reads and checks a request; `maxTokensCap` bounds `max_tokens` (and applies when it is absent).
    init(json: JSONValue, maxTokensCap: Int?) throws(ServeError) {
        guard case .object(let body) = json else { throw .badRequest("the request body must be a JSON object") }
        guard case .string(let model)? = body["model"], !model.isEmpty else {
            throw .badRequest("'model' is required: a string naming a served model", param: "model")
        }
        self.model = model
        guard case .array(let items)? = body["messages"], !items.isEmpty else {
            throw .badRequest("'messages' must be a non-empty array", param: "messages")
        }
        messages = try items.enumerated().map { index, item throws(ServeError) in try Self.message(item, index: index) }
        if let n = body["n"], !n.isNull, n.intValue != 1 {
            throw .badRequest("only n = 1 is supported", param: "n")
        }
        stream = body["stream"]?.boolValue ?? false
        includeUsage = body["stream_options"]?["include_usage"]?.boolValue ?? false
        var options = GenerateOptions()
        switch body["stop"] {
        case nil, .null?: break
        case .string(let stop)?: options.stopSequences = [stop]
        case .array(let stops)?:
            let strings = stops.compactMap(\.stringValue)
            guard strings.count == stops.count, strings.count <= 4 else {
                throw .badRequest("'stop' must be a string or up to 4 strings", param: "stop")
            }
            options.stopSequences = strings
        default: throw .badRequest("'stop' must be a string or up to 4 strings", param: "stop")
        }
        var parameters = JSONObject()
        for (field, key) in Self.passedParameters {
            guard let value = body[field], !value.isNull else { continue }
            guard value.doubleValue != nil else { throw .badRequest("'\(field)' must be a number", param: field) }
            parameters[key] = value
        }
        let limit = body["max_completion_tokens"].flatMap { $0.isNull ? nil : $0 } ?? body["max_tokens"].flatMap { $0.isNull ? nil : $0 }
        if let limit {
            guard let tokens = limit.intValue, tokens > 0 else {
                throw .badRequest("'max_tokens' must be a positive integer", param: "max_tokens")
            }
            parameters["max_tokens"] = .int(maxTokensCap.map { min($0, tokens) } ?? tokens)
        } else if let cap = maxTokensCap {
            parameters["max_tokens"] = .int(cap)
        }
        options.parameters = parameters
        if let tools = body["tools"], !tools.isNull {
            options.tools = try Self.tools(tools)
        }
        if let choice = body["tool_choice"], !choice.isNull {
            options.toolChoice = ToolChoice(json: choice)
        } else if options.tools != nil {
            options.toolChoice = .auto  // OpenAI's default (smolagents' nil would force a call)
        }
        if let format = body["response_format"], !format.isNull, format["type"]?.stringValue != "text" {
            do {
                options.responseFormat = try ResponseFormat(json: format)
            } catch {
                throw .badRequest("'response_format': \(error.message)", param: "response_format")
            }
        }
        self.options = options
    }

    /// One OpenAI message as a ``ChatMessage``: `tool` is smolagents' `tool-response` (with its
    /// `tool_call_id`), `developer` is `system`.
    private static func message(_ item: JSONValue, index: Int) throws(ServeError) -> ChatMessage {
        guard case .object(var object) = item, case .string(let role)? = object["role"] else {
            throw .badRequest("messages[\(index)] must be an object with a string 'role'", param: "messages[\(index)]")
        }
        switch role {
        case "system", "user", "assistant": break
        case "developer": object["role"] = "system"
        case "tool": object["role"] = "tool-response"
        default:
            throw .badRequest("messages[\(index)].role '\(role)' is not system, developer, user, assistant or tool",
                              param: "messages[\(index)].role")
        }
        object["name"] = nil
        object["refusal"] = nil
        do {
            return try ChatMessage(json: .object(object), location: "messages[\(index)]")
        } catch {
            throw .badRequest(error.message, param: "messages[\(index)]")
        }
    }

    /// OpenAI's `[{"type": "function", "function": {"name", "description", "parameters"}}]` as tools: the
    /// JSON Schema's properties become the inputs, and those not `required` are nullable.
    private static func tools(_ json: JSONValue) throws(ServeError) -> [Tool] {
        guard case .array(let items) = json else { throw .badRequest("'tools' must be an array", param: "tools") }
        var tools: [Tool] = []
        for (index, item) in items.enumerated() {
            guard item["type"]?.stringValue == "function", let function = item["function"],
                  case .string(let name)? = function["name"], !name.isEmpty else {
                throw .badRequest("tools[\(index)] must be {\"type\": \"function\", \"function\": {\"name\", …}}",
                                  param: "tools[\(index)]")
            }
            let parameters = function["parameters"] ?? ["type": "object", "properties": [:]]
            let required = Set((parameters["required"]?.arrayValue ?? []).compactMap(\.stringValue))
            var inputs = JSONObject()
            for (key, spec) in parameters["properties"]?.objectValue ?? [:] {
                var spec = spec.objectValue ?? [:]
                if !required.contains(key) { spec["nullable"] = true }
                if spec["description"] == nil { spec["description"] = .string(key) }
                inputs[key] = .object(spec)
            }
            tools.append(Tool(name: name, description: function["description"]?.stringValue ?? "", inputs: inputs))
        }
        return tools
    }
}
