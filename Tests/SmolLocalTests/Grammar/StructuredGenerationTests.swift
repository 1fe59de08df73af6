import Foundation
import SmolCore
@testable import SmolLocal
import Testing

private let sharedModel: Result<TransformersModel, any Error> = Result {
    try TransformersModel(modelID: try FixturePaths.smolLM2GGUF(), maxNewTokens: 160)
}

private func model() throws -> TransformersModel { try sharedModel.get() }

private func sampling(seed: Int, maxNewTokens: Int = 96) -> JSONObject {
    ["do_sample": true, "temperature": 1, "seed": .int(seed), "max_new_tokens": .int(maxNewTokens)]
}

private let weatherTool = Tool(
    name: "get_weather", description: "Get the weather in a city.",
    inputs: ["location": ["type": "string", "description": "The city."],
             "unit": ["type": "string", "description": "celsius or fahrenheit", "enum": ["celsius", "fahrenheit"], "nullable": true]])
private let addTool = Tool(
    name: "add", description: "Add two integers.",
    inputs: ["a": ["type": "integer", "description": "First term."], "b": ["type": "integer", "description": "Second term."]],
    outputType: "integer")
private let finalAnswerTool = Tool(
    name: "final_answer", description: "Provides a final answer to the given problem.",
    inputs: ["answer": ["type": "any", "description": "The final answer to the problem"]])

@Suite("Structured generation on the real SmolLM2-135M-Instruct", .serialized)
struct StructuredGenerationTests {
    @Test("five samples at temperature 1 for each of the fixture's schemas all validate with jsonschema")
    func fixtureSchemasValidate() async throws {
        let model = try model()
        let fixture = try JSONValue(parsing: FixturePaths.data(FixturePaths.fixture("structured/schemas.json")))
        let entries = try #require(fixture.arrayValue)
        #expect(entries.count >= 30)
        var cases: [JSONValue] = []
        var total = 0
        for entry in entries {
            let name = try #require(entry["name"]?.stringValue), schema = try #require(entry["schema"])
            let prompt = try #require(entry["prompt"]?.stringValue)
            var outputs: [JSONValue] = []
            for seed in 1...5 {
                let answer = try await model.generate(
                    [ChatMessage(role: .user, text: prompt + " Answer in JSON.")],
                    options: GenerateOptions(responseFormat: .jsonSchema(name: name, schema: schema), parameters: sampling(seed: seed)))
                #expect(answer.finishReason == "stop", "\(name) seed \(seed): \(answer.text ?? "")")
                outputs.append(.string(answer.text ?? ""))
                total += 1
            }
            cases.append(["name": .string(name), "schema": schema, "outputs": .array(outputs)])
        }
        var objects: [JSONValue] = []
        for seed in 1...5 {
            let answer = try await model.generate([ChatMessage(role: .user, text: "Describe a dog in JSON.")],
                                                  options: GenerateOptions(responseFormat: .jsonObject, parameters: sampling(seed: seed)))
            #expect(answer.finishReason == "stop")
            objects.append(.string(answer.text ?? ""))
            total += 1
        }
        cases.append(["name": "json_object", "json_object": true, "outputs": .array(objects)])
        let (checked, failures) = try validateWithJSONSchema(cases)
        #expect(checked == total)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("forced tool calls name an offered tool and carry arguments valid for its parameters")
    func forcedToolCalls() async throws {
        let model = try model()
        let tools = [weatherTool, addTool, finalAnswerTool]
        var calls: [JSONValue] = []
        let question = [ChatMessage(role: .user, text: "What is the weather in Paris, and what is 2 + 3?")]
        let plans: [(ToolChoice?, ClosedRange<Int>)] = [(.required, 1...5), (.function("add"), 6...10), (nil, 11...13)]
        for (choice, seeds) in plans {
            for seed in seeds {
                let answer = try await model.generate(
                    question, options: GenerateOptions(tools: tools, toolChoice: choice, parameters: sampling(seed: seed)))
                #expect(answer.finishReason == "tool_calls", "\(answer.text ?? "")")
                let call = try #require(answer.toolCalls?.first, "no tool call in \(answer.raw?["out"] ?? .null)")
                #expect(answer.toolCalls?.count == 1)
                if case .function(let name)? = choice { #expect(call.function.name == name) }
                calls.append(["name": .string(call.function.name), "arguments": call.function.arguments])
            }
        }
        // A streamed forced call ends with the parsed call in the last delta.
        var deltas: [ChatMessageStreamDelta] = []
        for try await delta in model.generateStream(question, options: GenerateOptions(tools: tools, toolChoice: .function("get_weather"), parameters: sampling(seed: 20))) {
            deltas.append(delta)
        }
        let streamed = try #require(deltas.last?.toolCalls?.first)
        #expect(streamed.function?.name == "get_weather")
        let arguments = try JSONValue(parsing: streamed.function?.arguments ?? "")
        calls.append(["name": "get_weather", "arguments": arguments])
        var schemas: JSONObject = [:]
        for tool in tools { schemas[tool.name] = tool.jsonSchema["function"]?["parameters"] ?? .null }
        let (checked, failures) = try validateWithJSONSchema([["name": "tools", "tools": .object(schemas), "calls": .array(calls)]])
        #expect(checked == 14)
        #expect(failures.isEmpty, "\(failures)")
    }

    @Test("a limit too small for any complete document gives finish reason length; a tight one still closes the document")
    func lengthLimit() async throws {
        let model = try model()
        let schema = try JSONValue(parsing: #"{"type":"object","properties":{"story":{"type":"string"}},"required":["story"]}"#)
        let answer = try await model.generate([ChatMessage(role: .user, text: "Tell a story.")],
                                              options: GenerateOptions(responseFormat: .jsonSchema(name: "s", schema: schema),
                                                                       parameters: sampling(seed: 1, maxNewTokens: 4)))
        #expect(answer.finishReason == "length")
        #expect(answer.tokenUsage?.outputTokens == 4)
        #expect((try? JSONValue(parsing: answer.text ?? "")) == nil)
        // A limit that leaves room for the shortest completion: the document is steered to close in time.
        for seed in 1...3 {
            let closed = try await model.generate([ChatMessage(role: .user, text: "Tell a long story.")],
                                                  options: GenerateOptions(responseFormat: .jsonSchema(name: "s", schema: schema),
                                                                           parameters: sampling(seed: seed, maxNewTokens: 16)))
            #expect(closed.finishReason == "stop", "\(closed.text ?? "")")
            #expect((try? JSONValue(parsing: closed.text ?? ""))?["story"]?.stringValue != nil, "\(closed.text ?? "")")
        }
        let call = try await model.generate([ChatMessage(role: .user, text: "Add 2 and 3.")],
                                            options: GenerateOptions(tools: [addTool], parameters: sampling(seed: 1, maxNewTokens: 3)))
        #expect(call.finishReason == "length" && call.toolCalls == nil)
    }

    @Test("streaming a constrained answer yields the same document as generate, greedy")
    func streamMatchesGenerate() async throws {
        let model = try model()
        let options = GenerateOptions(responseFormat: .codeAgent, parameters: ["max_new_tokens": 120])
        let question = [ChatMessage(role: .user, text: "Print hello in Python.")]
        let answer = try await model.generate(question, options: options)
        var text = ""
        for try await delta in model.generateStream(question, options: options) { text += delta.content ?? "" }
        #expect(text == answer.text)
        #expect(answer.finishReason == "stop", "the document did not close within the token limit")
        let object = try JSONValue(parsing: text)
        #expect(object["thought"]?.stringValue != nil && object["code"]?.stringValue != nil)
    }

    @Test("an unsupported schema keyword fails before generation, naming the keyword and where it is")
    func unsupportedKeyword() async throws {
        let model = try model()
        let schema = try JSONValue(parsing: #"{"type":"object","properties":{"code":{"type":"string","pattern":"^[A-Z]{3}$"}}}"#)
        do {
            _ = try await model.generate([ChatMessage(role: .user, text: "Code?")],
                                         options: GenerateOptions(responseFormat: .jsonSchema(name: "c", schema: schema)))
            Issue.record("an unsupported keyword was accepted")
        } catch let error as ModelError {
            guard case .invalidInput(let message, let location) = error else { throw error }
            #expect(message.contains("\"pattern\""))
            #expect(location == "response_format.json_schema.schema.properties.code.pattern")
        }
        await #expect(throws: ModelError.self) {
            _ = try await model.generate([ChatMessage(role: .user, text: "Hi")],
                                         options: GenerateOptions(tools: [addTool], toolChoice: .function("nope")))
        }
    }
}
