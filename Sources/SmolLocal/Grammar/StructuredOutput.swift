import SmolCore

/// What a call's options ask the output to be, compiled into a ``JSONGrammar`` before generation starts.
///
/// - A forced tool call (`toolChoice` `.required`, `.function(name)`, a bare tool-name string, or no
///   choice at all, which is smolagents' `"required"`, with tools given): one JSON object
///   `{"name": <an offered tool>, "arguments": <valid for that tool's parameters>}`, between the chat
///   template's `<tool_call>` tags when its template uses them. It wins over `responseFormat`.
/// - `responseFormat` `json_object`: any JSON object. `json_schema`: a document valid for the schema.
/// - `.auto`, `.none`, `.unspecified` with tools, and no `responseFormat`: unconstrained.
struct StructuredOutput {
    let grammar: JSONGrammar
    /// Whether the document is a tool call.
    let isToolCall: Bool

    static func from(responseFormat: ResponseFormat?, tools: [Tool]?, toolChoice: ToolChoice?,
                     template: ChatTemplate?) throws(ModelError) -> StructuredOutput? {
        let tools = tools ?? []
        if !tools.isEmpty, let forced = try forcedTools(tools, toolChoice) {
            let tagged = template?.source.contains("<tool_call>") ?? false
            return StructuredOutput(
                grammar: try toolCallGrammar(forced, prefix: tagged ? Array("<tool_call>\n".utf8) : [],
                                             suffix: tagged ? Array("\n</tool_call>".utf8) : []),
                isToolCall: true)
        }
        switch responseFormat {
        case nil:
            return nil
        case .jsonObject?:
            var compiler = JSONSchemaCompiler()
            let root = compiler.freeObject()
            return StructuredOutput(grammar: compiler.grammar(root: root, key: "json_object"), isToolCall: false)
        case .jsonSchema(_, let schema, _)?:
            return StructuredOutput(grammar: try schemaGrammar(schema, path: "response_format.json_schema.schema"),
                                    isToolCall: false)
        case .custom(let object)?:
            if object["type"] == "text" { return nil }
            if object["type"] == "json_schema", let schema = object["json_schema"]?["schema"] {
                return StructuredOutput(grammar: try schemaGrammar(schema, path: "response_format.json_schema.schema"),
                                        isToolCall: false)
            }
            throw .invalidInput(message: "unsupported response_format \(JSONEmitter().string(from: .object(object))) (supported: json_object, json_schema, text)",
                                location: "response_format")
        }
    }

    static func schemaGrammar(_ schema: JSONValue, path: String) throws(ModelError) -> JSONGrammar {
        var compiler = JSONSchemaCompiler()
        compiler.document = schema
        let root = try compiler.compile(schema, at: path)
        return compiler.grammar(root: root, key: "schema:" + JSONEmitter(sortKeys: true).string(from: schema))
    }

    /// The tools a call must choose from, or `nil` when it need not call one.
    private static func forcedTools(_ tools: [Tool], _ choice: ToolChoice?) throws(ModelError) -> [(Int, Tool)]? {
        let indexed = Array(tools.enumerated())
        func named(_ name: String) throws(ModelError) -> [(Int, Tool)] {
            let matching = indexed.filter { $0.element.name == name }
            guard let first = matching.first else {
                throw .invalidInput(message: "tool_choice names \"\(name)\", which is not among the tools (\(tools.map(\.name).joined(separator: ", ")))",
                                    location: "tool_choice")
            }
            return [(first.offset, first.element)]
        }
        switch choice {
        case nil, .required?: return indexed.map { ($0.offset, $0.element) }
        case .function(let name)?: return try named(name)
        case .custom(.string(let name))?: return try named(name)
        case .custom(let value)?:
            if case .string(let name)? = value["function"]?["name"] { return try named(name) }
            throw .invalidInput(message: "unsupported tool_choice \(JSONEmitter().string(from: value))", location: "tool_choice")
        case .auto?, .none?, .unspecified?: return nil
        }
    }

    private static func toolCallGrammar(_ tools: [(Int, Tool)], prefix: [UInt8], suffix: [UInt8]) throws(ModelError) -> JSONGrammar {
        var compiler = JSONSchemaCompiler()
        var alternatives: [Int32] = []
        var key = "tools:" + String(decoding: prefix, as: UTF8.self)
        for (index, tool) in tools {
            let parameters = tool.jsonSchema["function"]?["parameters"] ?? ["type": "object"]
            compiler.document = parameters
            let arguments = try compiler.compile(parameters, at: "tools[\(index)].function.parameters")
            let name = compiler.literalNode([JSONEmitter().bytes(from: .string(tool.name))])
            alternatives.append(try compiler.objectNode(keys: ["name", "arguments"], values: [name, arguments],
                                                        required: ["name", "arguments"], path: "tools[\(index)]"))
            key += "|" + JSONEmitter(sortKeys: true).string(from: tool.jsonSchema)
        }
        let root = alternatives.count == 1
            ? alternatives[0] : try compiler.union(alternatives, exclusive: false, at: "tools")
        return compiler.grammar(root: root, prefix: prefix, suffix: suffix, key: key)
    }
}
