import Testing

@testable import SmolCore

@Suite("Tools, tool choice, response formats and tool-call parsing")
struct ToolTests {
    @Test("FinalAnswerTool's schema turns 'any' into string and requires the answer")
    func finalAnswerSchema() {
        let tool = Tool(name: "final_answer", description: "Provides a final answer to the given problem.",
                        inputs: ["answer": ["type": "any", "description": "The final answer to the problem"]])
        #expect(tool.jsonSchema == [
            "type": "function",
            "function": [
                "name": "final_answer", "description": "Provides a final answer to the given problem.",
                "parameters": ["type": "object",
                               "properties": ["answer": ["type": "string", "description": "The final answer to the problem"]],
                               "required": ["answer"]],
            ],
        ])
    }

    @Test("a nullable input is optional and keeps its nullable flag (smolagents vector 5)")
    func nullableInput() {
        let tool = Tool(name: "get_weather", description: "Weather.", inputs: [
            "location": ["type": "string", "description": "Where"],
            "celsius": ["type": "boolean", "description": "Unit", "nullable": true],
        ])
        let parameters = tool.jsonSchema["function"]?["parameters"]
        #expect(parameters?["required"] == ["location"])
        #expect(parameters?["properties"]?["celsius"]?["nullable"] == true)
    }

    @Test("anyOf folds into a type list, a null branch into nullable, and the enum is kept")
    func anyOfFolding() {
        let tool = Tool(name: "t", description: "d", inputs: [
            "x": ["description": "x", "anyOf": [["type": "string", "enum": ["a", "b"]], ["type": "integer"], ["type": "null"]]],
        ])
        #expect(tool.jsonSchema["function"]?["parameters"]?["properties"]?["x"]
            == ["description": "x", "type": ["string", "integer"], "nullable": true, "enum": ["a", "b"]])
        // smolagents decides `required` before folding: the argument stays required.
        #expect(tool.jsonSchema["function"]?["parameters"]?["required"] == ["x"])
    }

    @Test("tool specs from JSON are validated with errors that name the tool and input")
    func toolValidation() throws {
        let good = try Tool(json: ["name": "search", "description": "Search.", "inputs": ["q": ["type": "string", "description": "Query"]],
                                   "output_type": "string"])
        #expect(good.outputType == "string")
        #expect(throws: ModelError.self) {
            try Tool(json: ["name": "search", "description": "Search.", "inputs": ["q": ["type": "str", "description": "Query"]]])
        }
        do {
            _ = try Tool(json: ["name": "search", "description": "Search.", "inputs": ["q": ["type": "string"]]])
            Issue.record("a missing description must be rejected")
        } catch {
            #expect(error == .invalidInput(message: "input 'q' needs a string \"description\"", location: "tool.search.inputs"))
        }
    }

    @Test("tool choices map to and from their wire values")
    func toolChoiceWire() {
        #expect(ToolChoice.function("f").json == ["type": "function", "function": ["name": "f"]])
        #expect(ToolChoice(json: ["type": "function", "function": ["name": "f"]]) == .function("f"))
        #expect(ToolChoice(json: "final_answer") == .custom("final_answer"))
        #expect(ToolChoice(json: .null) == .unspecified)
        #expect(ToolChoice.unspecified.json == nil)
    }

    @Test("response formats read OpenAI's shapes and keep unknown ones verbatim")
    func responseFormats() throws {
        #expect(try ResponseFormat(json: ["type": "json_object"]) == .jsonObject)
        let schema: JSONValue = ["type": "object", "properties": ["a": ["type": "integer"]]]
        let parsed = try ResponseFormat(json: ["type": "json_schema", "json_schema": ["name": "A", "schema": schema, "strict": true]])
        #expect(parsed == .jsonSchema(name: "A", schema: schema, strict: true))
        #expect(parsed.schema == schema)
        #expect(try ResponseFormat(json: ["type": "text"]) == .custom(["type": "text"]))
        #expect(throws: ModelError.self) { try ResponseFormat(json: ["type": "json_schema"]) }
        #expect(ResponseFormat.codeAgent.json["json_schema"]?["name"] == "ThoughtAndCodeAnswer")
    }

    @Test("parse_json_if_needed parses JSON strings and leaves everything else (smolagents vector 8)")
    func parseJSONIfNeededVectors() {
        #expect(parseJSONIfNeeded("abc") == "abc")
        #expect(parseJSONIfNeeded(#"{"a": 3}"#) == ["a": 3])
        #expect(parseJSONIfNeeded("3") == 3)
        #expect(parseJSONIfNeeded(3) == 3)
    }

    @Test("text tool calls are parsed with custom keys, string arguments decoded (smolagents vector 16)")
    func toolCallFromText() throws {
        let call = try getToolCallFromText(#"{"name": "weather_tool", "arguments": "New York"}"#)
        #expect(call.function.name == "weather_tool")
        #expect(call.function.arguments == "New York")
        #expect(call.type == "function")
        #expect(call.id.count == 36)
        let custom = try getToolCallFromText(#"{"tool": "weather_tool", "params": "{\"city\": \"New York\"}"}"#,
                                             toolNameKey: "tool", toolArgumentsKey: "params")
        #expect(custom.function.arguments == ["city": "New York"])
        #expect(try getToolCallFromText(#"{"name": "weather_tool"}"#).function.arguments == .null)
    }

    @Test("tool-call parsing errors carry smolagents' messages")
    func toolCallErrors() {
        #expect(throws: ModelError.toolCallParsing(
            message: "Tool call needs to have a key 'name'. Got keys: ['action', 'arguments'] instead")) {
            try getToolCallFromText(#"{"action": "weather_tool", "arguments": "New York"}"#)
        }
        #expect(throws: ModelError.toolCallParsing(message: "The model output does not contain any JSON blob.")) {
            try getToolCallFromText("no json")
        }
        #expect(throws: ModelError.toolCallParsing(
            message: "JSON is invalid: you probably tried to provide multiple tool calls in one action. PROVIDE ONLY ONE TOOL CALL.")) {
            try parseJSONBlob("{\"name\": \"a\"},\n{\"name\": \"b\"}")
        }
        do {
            _ = try parseJSONBlob(#"Action: {"name": "x", "arguments": {"a": }"#)
            Issue.record("invalid JSON must fail")
        } catch {
            #expect(error.message.hasPrefix("The JSON blob you used is invalid due to the following error: Expecting value: line 1 column 34 (char 33)."))
            #expect(error.message.hasSuffix("decoding failed on that specific part of the blob:\n'a\": }'."))
        }
    }

    @Test("parse_json_blob returns the text before the blob (smolagents' test_utils vectors)")
    func parseJSONBlobVectors() throws {
        #expect(try parseJSONBlob("Text{}") == ([:], "Text"))
        #expect(try parseJSONBlob(#"With text here{"simple": "json"}"#) == (["simple": "json"], "With text here"))
        #expect(try parseJSONBlob(#"{"simple": "json"}With text after"#) == (["simple": "json"], ""))
        #expect(try parseJSONBlob("{\"raw\": \"tab\there\"}").json == ["raw": "tab\there"])  // strict=False
        for bad in [#"simple": "json"}"#, #"With text here"simple": "json"}"#, #"{"simple": ""json"}With text after"#,
                    #"{"simple": "json"With text after"#, "}}"] {
            #expect(throws: ModelError.self, "\(bad)") { try parseJSONBlob(bad) }
        }
    }

    @Test("parseToolCalls makes an assistant message and parses every call's arguments")
    func parseToolCallsOnMessages() throws {
        let text = ChatMessage(role: .toolCall, content: "Action: {\"name\": \"f\", \"arguments\": {\"x\": 1}}")
        let parsed = try parseToolCalls(text)
        #expect(parsed.role == .assistant)
        #expect(parsed.toolCalls?.first?.function.arguments == ["x": 1])
        let native = ChatMessage(role: .assistant, toolCalls: [.init(id: "1", function: .init(name: "f", arguments: "{\"y\": 2}"))])
        #expect(try parseToolCalls(native).toolCalls?.first?.function.arguments == ["y": 2])
        #expect(throws: ModelError.toolCallParsing(message: "Message contains no content and no tool calls")) {
            try parseToolCalls(ChatMessage(role: .assistant))
        }
    }
}
