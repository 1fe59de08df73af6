import Foundation
import Testing

@testable import SmolCore

/// One case of a conformance vector file (see `Fixtures/conformance/README.md`).
struct ConformanceCase: Sendable, CustomTestStringConvertible {
    var file: String
    var function: String
    var name: String
    var input: JSONValue
    var expected: JSONValue?
    var error: String?

    var testDescription: String { "\(file): \(name)" }
}

enum Conformance {
    /// Every `*.json` in the fixtures folder, whatever its name.
    static var files: [URL] {
        guard let root = Bundle.module.resourceURL?.appendingPathComponent("Fixtures/conformance"),
            let names = try? FileManager.default.contentsOfDirectory(atPath: root.path)
        else { return [] }
        return names.filter { $0.hasSuffix(".json") }.sorted().map { root.appendingPathComponent($0) }
    }

    static func cases() -> [ConformanceCase] {
        var all: [ConformanceCase] = []
        for url in files {
            guard let data = try? Data(contentsOf: url), let document = try? JSONValue(parsing: data) else {
                // A file that does not parse shows up as a failing case rather than vanishing.
                all.append(ConformanceCase(file: url.lastPathComponent, function: "<unreadable>", name: "<file>",
                                           input: .null))
                continue
            }
            let function = document["function"]?.stringValue ?? "<missing function>"
            for item in document["cases"]?.arrayValue ?? [] {
                all.append(ConformanceCase(
                    file: url.lastPathComponent, function: function, name: item["name"]?.stringValue ?? "<unnamed>",
                    input: item["input"] ?? .null, expected: item["expected"], error: item["error"]?.stringValue))
            }
        }
        return all
    }

    /// Runs one case through the Swift port of its smolagents function.
    static func run(_ testCase: ConformanceCase) throws -> JSONValue {
        let input = testCase.input
        switch testCase.function {
        case "get_clean_message_list":
            let messages = try (input["messages"]?.arrayValue ?? []).map { try ChatMessage(json: $0) }
            let clean = try getCleanMessageList(
                messages, roleConversions: try roleConversions(input["role_conversions"]),
                convertImagesToImageURLs: input["convert_images_to_image_urls"]?.boolValue ?? false,
                flattenMessagesAsText: input["flatten_messages_as_text"]?.boolValue ?? false)
            return .array(clean.map(\.json))
        case "agglomerate_stream_deltas":
            let deltas = try (input["deltas"]?.arrayValue ?? []).map { try ChatMessageStreamDelta(json: $0) }
            return try agglomerateStreamDeltas(deltas).json(includingRaw: false)
        case "get_tool_json_schema":
            let tool = Tool(name: input["name"]?.stringValue ?? "", description: input["description"]?.stringValue ?? "",
                            inputs: input["inputs"]?.objectValue ?? [:],
                            outputType: input["output_type"]?.stringValue ?? "any")
            return tool.jsonSchema
        case "supports_stop_parameter":
            return .bool(supportsStopParameter(input["model_id"]?.stringValue ?? ""))
        case "remove_content_after_stop_sequences":
            let stops = input["stop_sequences"]?.arrayValue?.compactMap(\.stringValue)
            return removeContentAfterStopSequences(input["content"]?.stringValue, stopSequences: stops)
                .map(JSONValue.string) ?? .null
        case "get_tool_call_from_text":
            let call = try getToolCallFromText(
                input["text"]?.stringValue ?? "", toolNameKey: input["tool_name_key"]?.stringValue ?? "name",
                toolArgumentsKey: input["tool_arguments_key"]?.stringValue ?? "arguments")
            return ["name": .string(call.function.name), "arguments": call.function.arguments]
        case "parse_json_if_needed":
            return parseJSONIfNeeded(input["arguments"] ?? .null)
        case "prepare_completion_kwargs":
            return .object(try prepareCompletionKwargs(input))
        case "chat_message_roundtrip":
            let usage = try input["token_usage"].flatMap { $0.isNull ? nil : $0 }.map { try TokenUsage(json: $0) }
            return try ChatMessage(json: input["message"] ?? .null, tokenUsage: usage).json(includingRaw: false)
        default:
            throw ConformanceFailure("no Swift mapping for smolagents function '\(testCase.function)'")
        }
    }

    private static func roleConversions(_ value: JSONValue?) throws -> [MessageRole: MessageRole] {
        var conversions: [MessageRole: MessageRole] = [:]
        for (from, to) in value?.objectValue ?? [:] {
            conversions[try MessageRole(validating: from)] = try MessageRole(validating: to.stringValue ?? "")
        }
        return conversions
    }

    private static func prepareCompletionKwargs(_ input: JSONValue) throws -> JSONObject {
        let messages = try input["messages"]?.arrayValue.map { try $0.map { try ChatMessage(json: $0) } }
            ?? [ChatMessage(role: .user, text: "Hello")]
        var modelParameters = ModelParameters()
        for (key, value) in input["model_kwargs"]?.objectValue ?? [:] {
            modelParameters[key] = value == ["$remove": true] ? .remove : .value(value)
        }
        let tools = try (input["tools"]?.arrayValue ?? []).map { try Tool(json: $0) }
        let options = GenerateOptions(
            stopSequences: input["stop_sequences"]?.arrayValue?.compactMap(\.stringValue),
            responseFormat: try input["response_format"].flatMap { $0.isNull ? nil : try ResponseFormat(json: $0) },
            tools: tools,
            toolChoice: input.objectValue?.contains("tool_choice") == true ? ToolChoice(json: input["tool_choice"]!) : nil,
            parameters: input["call_kwargs"]?.objectValue ?? [:])
        return try prepareCompletionParameters(messages: messages, options: options,
                                               modelID: input["model_id"]?.stringValue,
                                               modelParameters: modelParameters)
    }
}

struct ConformanceFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

@Suite("Conformance vectors from smolagents")
struct ConformanceTests {
    @Test("the fixtures folder holds vector files with cases")
    func fixturesArePresent() {
        #expect(Conformance.files.count >= 9)
        #expect(Conformance.cases().count >= 200)
    }

    @Test("each vector gives smolagents' result or error", arguments: Conformance.cases())
    func vector(_ testCase: ConformanceCase) {
        let outcome = Result { try Conformance.run(testCase) }
        switch (testCase.expected, testCase.error, outcome) {
        case (let expected?, _, .success(let actual)):
            #expect(actual == expected, "\(testCase.name): expected \(expected), got \(actual)")
        case (_, let fragment?, .failure(let error)):
            let message = (error as? ModelError)?.message ?? "\(error)"
            #expect(message.contains(fragment), "\(testCase.name): error \(message) lacks \(fragment)")
        case (_, let fragment?, .success(let actual)):
            Issue.record("\(testCase.name): expected an error containing \(fragment), got \(actual)")
        case (_, _, .failure(let error)):
            Issue.record("\(testCase.name): unexpected error \(error)")
        case (nil, nil, .success):
            Issue.record("\(testCase.name): the case has neither \"expected\" nor \"error\"")
        }
    }
}
