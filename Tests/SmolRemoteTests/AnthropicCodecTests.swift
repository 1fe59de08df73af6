import Foundation
import NIOCore
import SmolCore
import Testing

@testable import SmolRemote

/// The Anthropic golden fixtures recorded from the `anthropic` SDK (`scripts/oracles/record_anthropic_golden.py`).
enum AnthropicGolden {
    static let folder = GoldenFixtureFolder(path: "Fixtures/anthropic")
    static var directory: URL? { folder.directory }

    /// Every scenario: the fixture files not starting with `_`, without `.json`, sorted.
    static func scenarioNames() -> [String] { folder.scenarioNames() }

    static func load(_ name: String) throws -> JSONValue { try folder.load(name) }

    /// The canned replies (`_responses.json`).
    static func responses() throws -> JSONValue { try load("_responses") }

    /// The fixture's neutral `swift.messages` as ``ChatMessage``s: `text`, raw `blocks`, `image_png_base64`,
    /// `image_url`, `tool_calls` and `tool_call_id`.
    static func messages(_ swift: JSONValue) throws -> [ChatMessage] {
        try (swift["messages"]?.arrayValue ?? []).map { message in
            let role = try MessageRole(validating: try #require(message["role"]?.stringValue))
            var parts: [ContentPart] = try (message["blocks"]?.arrayValue ?? []).map { try ContentPart(json: $0) }
            if let image = message["image_png_base64"]?.stringValue {
                parts.append(.image(.base64(data: image, mimeType: "image/png")))
            }
            if let url = message["image_url"]?.stringValue { parts.append(.image(.url(url))) }
            if let text = message["text"]?.stringValue { parts.append(.text(text)) }
            let calls = try message["tool_calls"]?.arrayValue?.map { call in
                ChatMessageToolCall(id: try #require(call["id"]?.stringValue), function: ChatMessageToolCallFunction(
                    name: try #require(call["name"]?.stringValue), arguments: call["arguments"] ?? .object([:])))
            }
            return ChatMessage(role: role, content: parts.isEmpty ? nil : .parts(parts), toolCalls: calls,
                               toolCallID: message["tool_call_id"]?.stringValue)
        }
    }

    /// The fixture's neutral `swift` options as ``GenerateOptions``.
    static func options(_ swift: JSONValue) throws -> GenerateOptions {
        var options = GenerateOptions(parameters: swift["parameters"]?.objectValue ?? [:])
        options.stopSequences = swift["stop_sequences"]?.arrayValue?.compactMap(\.stringValue)
        if let tools = swift["tools"]?.arrayValue { options.tools = try tools.map { try Tool(json: $0) } }
        switch swift["tool_choice"] {
        case .string("required")?: options.toolChoice = .required
        case .string("auto")?: options.toolChoice = .auto
        case .string("none")?: options.toolChoice = ToolChoice.none
        case .object(let object)?: options.toolChoice = .function(try #require(object["name"]?.stringValue))
        case nil: break
        case let other?: throw GoldenError("unknown tool_choice \(other)")
        }
        return options
    }

    /// `bytes` cut into pieces of `size` bytes (the last may be shorter).
    static func chunks(_ bytes: [UInt8], size: Int) -> [[UInt8]] {
        stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    /// `body` fed through a fresh ``AnthropicFraming`` in `size`-byte chunks, then finished.
    static func deltas(_ body: [UInt8], size: Int) throws(ModelError) -> (deltas: [ChatMessageStreamDelta], done: Bool) {
        var framing = AnthropicFraming()
        var deltas: [ChatMessageStreamDelta] = []
        for chunk in chunks(body, size: size) {
            deltas += try framing.push(ByteBuffer(bytes: chunk).readableBytesView)
        }
        let done = framing.isDone
        deltas += try framing.finish()
        return (deltas, done)
    }

    /// The canned SSE body.
    static func streamBody() throws -> [UInt8] {
        Array(try #require(try responses()["stream_sse"]?.stringValue).utf8)
    }
}

@Suite("Anthropic Messages codec")
struct AnthropicCodecTests {
    @Test("request bodies equal the anthropic SDK's", arguments: AnthropicGolden.scenarioNames())
    func requestBodyMatchesSDK(name: String) throws {
        let fixture = try AnthropicGolden.load(name)
        let swift = try #require(fixture["swift"])
        let body = try AnthropicCodec.requestBody(
            model: try #require(swift["model"]?.stringValue), messages: try AnthropicGolden.messages(swift),
            options: try AnthropicGolden.options(swift), stream: fixture["stream"] == true)
        let expected = try #require(fixture["request"]?["body"])
        #expect(JSONValue.object(body) == expected, "\(name):\n\(JSONValue.object(body))\nvs SDK\n\(expected)")
    }

    @Test("the golden scenarios are present")
    func scenariosArePresent() {
        #expect(AnthropicGolden.scenarioNames().count >= 8)
    }

    @Test("max_tokens defaults to 4096 and model parameters override call parameters")
    func maxTokensDefaultAndOverride() throws {
        let messages = [ChatMessage(role: .user, text: "Hi")]
        let plain = try AnthropicCodec.requestBody(model: "m", messages: messages, options: GenerateOptions(), stream: false)
        #expect(plain["max_tokens"] == 4096)
        #expect(plain["stream"] == nil)
        let options = GenerateOptions(parameters: ["max_tokens": 10, "temperature": 0.5, "stop": "END"])
        let body = try AnthropicCodec.requestBody(model: "m", messages: messages, options: options,
                                                  modelParameters: ["max_tokens": 99, "temperature": .remove],
                                                  stream: true)
        #expect(body["max_tokens"] == 99)
        #expect(body["temperature"] == nil)
        #expect(body["stop_sequences"] == ["END"])
        #expect(body["stream"] == true)
    }

    @Test("a response format without a schema is rejected rather than silently dropped; text is no format")
    func responseFormatWithoutSchema() throws {
        let messages = [ChatMessage(role: .user, text: "Hi")]
        #expect(throws: ModelError.self) {
            try AnthropicCodec.requestBody(model: "m", messages: messages,
                                           options: GenerateOptions(responseFormat: .custom(["type": "grammar"])), stream: false)
        }
        let text = try AnthropicCodec.requestBody(model: "m", messages: messages,
                                                  options: GenerateOptions(responseFormat: .custom(["type": "text"])), stream: false)
        #expect(text["tools"] == nil && text["tool_choice"] == nil)
        let open = try AnthropicCodec.requestBody(model: "m", messages: messages,
                                                  options: GenerateOptions(responseFormat: .jsonObject), stream: false)
        #expect(open["tools"]?[0]?["input_schema"] == ["type": "object", "additionalProperties": true, "properties": [:]])
    }

    @Test("a response decodes text, thinking, tool calls, cached usage and the stop reason")
    func decodesResponse() throws {
        let responses = try AnthropicGolden.responses()
        let bytes = Array(JSONEmitter().string(from: try #require(responses["message"])).utf8)
        let message = try AnthropicCodec.decodeResponse(bytes)
        // The SDK parsed the same reply: text, thinking, the tool call, usage and stop reason are its.
        let expected = try SDKExpectation.anthropic(try #require(responses["sdk_message"]))
        #expect(!expected.calls.isEmpty && expected.text != nil && expected.reasoning != nil && expected.usage.cachedInputTokens != nil)
        expected.check(message)
    }

    @Test("an error body is a decoding error carrying the payload")
    func errorBodyIsDecodingError() {
        let body = #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"r1"}"#
        #expect {
            try AnthropicCodec.decodeResponse(Array(body.utf8))
        } throws: { error in
            guard case .decoding(let message, let payload) = error as? ModelError else { return false }
            return message.contains("Overloaded") && payload.contains("overloaded_error")
        }
    }

    @Test("a stream fed in odd-sized chunks accumulates to the SDK's final message", arguments: [1, 7, 37, 1 << 20])
    func streamAccumulates(size: Int) throws {
        let (deltas, done) = try AnthropicGolden.deltas(try AnthropicGolden.streamBody(), size: size)
        #expect(done)
        let message = try agglomerateStreamDeltas(deltas)
        // The SDK's final message for the same stream (MessageStream.get_final_message()).
        let expected = try SDKExpectation.anthropic(try #require(try AnthropicGolden.responses()["sdk_stream_message"]))
        #expect(!expected.calls.isEmpty && expected.text != nil && expected.reasoning != nil)
        expected.check(message, "chunk size \(size)")
        // Streamed arguments stay the JSON text the stream carried.
        #expect(message.toolCalls?.allSatisfy { $0.function.arguments.stringValue != nil } == true)
    }

    @Test("a tool called without input streams {} as its arguments")
    func toolWithoutInputGetsEmptyObject() throws {
        let body = """
            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"t1","name":"now","input":{}}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_stop
            data: {"type":"message_stop"}


            """
        let message = try agglomerateStreamDeltas(try AnthropicGolden.deltas(Array(body.utf8), size: 5).deltas)
        #expect(message.toolCalls?.first?.function.arguments == "{}")
    }

    @Test("an error event is a stream error carrying the payload")
    func errorEventIsStreamError() {
        let body = """
            event: message_start
            data: {"type":"message_start","message":{"usage":{"input_tokens":3,"output_tokens":1}}}

            event: error
            data: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}


            """
        #expect {
            try AnthropicGolden.deltas(Array(body.utf8), size: 11)
        } throws: { error in
            guard case .stream(let message, let payload, _) = error as? ModelError else { return false }
            return message == "Overloaded" && payload?.contains("overloaded_error") == true
        }
    }

    @Test("a stream cut before message_stop is a stream error")
    func truncatedStreamIsStreamError() throws {
        let text = String(decoding: try AnthropicGolden.streamBody(), as: UTF8.self)
        let cut = try #require(text.range(of: "event: message_stop"))
        let body = Array(text[..<cut.lowerBound].utf8)
        #expect {
            try AnthropicGolden.deltas(body, size: 13)
        } throws: { error in
            guard case .stream(let message, _, _) = error as? ModelError else { return false }
            return message.contains("message_stop")
        }
    }
}
