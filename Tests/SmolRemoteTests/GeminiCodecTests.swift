import Foundation
import NIOCore
import SmolCore
import Testing

@testable import SmolRemote

/// The Gemini golden fixtures recorded from the `google-genai` SDK (`scripts/oracles/record_gemini_golden.py`).
/// Their `swift` part uses the neutral format ``AnthropicGolden`` reads, plus `response_format`.
enum GeminiGolden {
    static let folder = GoldenFixtureFolder(path: "Fixtures/gemini")
    static var directory: URL? { folder.directory }

    /// Every scenario: the fixture files not starting with `_`, without `.json`, sorted.
    static func scenarioNames() -> [String] { folder.scenarioNames() }

    static func load(_ name: String) throws -> JSONValue { try folder.load(name) }

    /// The canned replies (`_responses.json`).
    static func responses() throws -> JSONValue { try load("_responses") }

    /// The fixture's `swift` options, `response_format` included.
    static func options(_ swift: JSONValue) throws -> GenerateOptions {
        var options = try AnthropicGolden.options(swift)
        if let format = swift["response_format"] { options.responseFormat = try ResponseFormat(json: format) }
        return options
    }

    /// The SDK's body without its artifacts: the empty `generationConfig` it sends whenever a config is
    /// given, the snake_case `mime_type` / `file_uri` it leaves in media parts (the server takes both
    /// spellings), and the `additional_properties` / `property_ordering` it adds to a response schema.
    static func normalized(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            var result: JSONObject = [:]
            for (key, member) in object {
                switch key {
                case "property_ordering", "additional_properties": continue
                case "generationConfig" where member == .object([:]): continue
                case "mime_type": result["mimeType"] = member
                case "file_uri": result["fileUri"] = member
                default: result[key] = normalized(member)
                }
            }
            return .object(result)
        case .array(let items):
            return .array(items.map(normalized))
        default:
            return value
        }
    }

    /// `body` fed through a fresh ``GeminiFraming`` in `size`-byte chunks, then finished.
    static func deltas(_ body: [UInt8], size: Int) throws(ModelError) -> [ChatMessageStreamDelta] {
        var framing = GeminiFraming()
        var deltas: [ChatMessageStreamDelta] = []
        for chunk in AnthropicGolden.chunks(body, size: size) {
            deltas += try framing.push(ByteBuffer(bytes: chunk).readableBytesView)
        }
        deltas += try framing.finish()
        return deltas
    }

    /// The canned SSE body.
    static func streamBody() throws -> [UInt8] {
        Array(try #require(try responses()["stream_sse"]?.stringValue).utf8)
    }
}

@Suite("Gemini generateContent codec")
struct GeminiCodecTests {
    @Test("request bodies equal the google-genai SDK's", arguments: GeminiGolden.scenarioNames())
    func requestBodyMatchesSDK(name: String) throws {
        let fixture = try GeminiGolden.load(name)
        let swift = try #require(fixture["swift"])
        let body = try GeminiCodec.requestBody(messages: try AnthropicGolden.messages(swift),
                                               options: try GeminiGolden.options(swift))
        let expected = GeminiGolden.normalized(try #require(fixture["request"]?["body"]))
        #expect(JSONValue.object(body) == expected, "\(name):\n\(JSONValue.object(body))\nvs SDK\n\(expected)")
    }

    @Test("the golden scenarios are present")
    func scenariosArePresent() {
        #expect(GeminiGolden.scenarioNames().count >= 8)
    }

    @Test("parameters map to generationConfig and model parameters override call parameters")
    func parametersAndOverride() throws {
        let messages = [ChatMessage(role: .user, text: "Hi")]
        let plain = try GeminiCodec.requestBody(messages: messages, options: GenerateOptions())
        #expect(plain["generationConfig"] == nil)
        let options = GenerateOptions(parameters: ["max_tokens": 10, "temperature": 0.5, "stop": "END",
                                                   "safety_settings": [], "thinking_config": ["thinkingBudget": 0]])
        let body = try GeminiCodec.requestBody(messages: messages, options: options,
                                               modelParameters: ["max_tokens": 99, "temperature": .remove])
        #expect(body["generationConfig"] == ["maxOutputTokens": 99, "stopSequences": ["END"],
                                             "thinkingConfig": ["thinkingBudget": 0]])
        #expect(body["safetySettings"] == [])
    }

    @Test("json_object asks for the JSON MIME type only")
    func jsonObjectFormat() throws {
        let options = GenerateOptions(responseFormat: .jsonObject)
        let body = try GeminiCodec.requestBody(messages: [ChatMessage(role: .user, text: "Hi")], options: options)
        #expect(body["generationConfig"] == ["responseMimeType": "application/json"])
    }

    @Test("a tool result without a matching earlier call is invalid input")
    func orphanToolResult() {
        let messages = [ChatMessage(role: .user, text: "Hi"),
                        ChatMessage(role: .toolResponse, content: .text("42"), toolCallID: "nope")]
        #expect(throws: ModelError.self) {
            try GeminiCodec.requestBody(messages: messages, options: GenerateOptions())
        }
    }

    @Test("a response decodes text, thoughts, tool calls, usage and the finish reason")
    func decodesResponse() throws {
        let responses = try GeminiGolden.responses()
        let bytes = Array(JSONEmitter().string(from: try #require(responses["message"])).utf8)
        let message = try GeminiCodec.decodeResponse(bytes)
        // The SDK parsed the same reply: text, thoughts, the call, usage and finish reason are its.
        let expected = try SDKExpectation.gemini([try #require(responses["sdk_message"])])
        #expect(!expected.calls.isEmpty && expected.text != nil && expected.reasoning != nil && expected.usage.reasoningTokens != nil)
        expected.check(message)
    }

    @Test("error bodies, blocked prompts and empty candidates are decoding errors carrying the payload", arguments: [
        #"{"error":{"code":429,"message":"Resource exhausted","status":"RESOURCE_EXHAUSTED"}}"#,
        #"{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3}}"#,
        #"{"candidates":[],"usageMetadata":{"promptTokenCount":3}}"#,
    ])
    func errorBodyIsDecodingError(body: String) {
        #expect {
            try GeminiCodec.decodeResponse(Array(body.utf8))
        } throws: { error in
            guard case .decoding(_, let payload) = error as? ModelError else { return false }
            return payload.contains("promptTokenCount") || payload.contains("RESOURCE_EXHAUSTED")
        }
    }

    @Test("a stream fed in odd-sized chunks accumulates to the SDK's chunks", arguments: [1, 7, 37, 1 << 20])
    func streamAccumulates(size: Int) throws {
        #expect(!GeminiFraming().isDone)
        let deltas = try GeminiGolden.deltas(try GeminiGolden.streamBody(), size: size)
        #expect(deltas.compactMap(\.tokenUsage).count == 1)
        let message = try agglomerateStreamDeltas(deltas)
        // The SDK's chunks for the same stream: texts and thoughts concatenated, the calls, the last usage.
        let expected = try SDKExpectation.gemini(try #require(try GeminiGolden.responses()["sdk_stream"]?.arrayValue))
        #expect(expected.calls.count == 2 && expected.text != nil && expected.reasoning != nil)
        expected.check(message, "chunk size \(size)")
    }

    @Test("an error chunk is a stream error carrying the payload")
    func errorChunkIsStreamError() {
        let body = """
            data: {"candidates":[{"content":{"role":"model","parts":[{"text":"Hi"}]}}]}

            data: {"error":{"code":503,"message":"Overloaded","status":"UNAVAILABLE"}}


            """
        #expect {
            try GeminiGolden.deltas(Array(body.utf8), size: 11)
        } throws: { error in
            guard case .stream(let message, let payload, _) = error as? ModelError else { return false }
            return message.contains("Overloaded") && payload?.contains("UNAVAILABLE") == true
        }
    }

    @Test("a stream cut before its last chunk, the one with the finishReason, is a stream error")
    func truncatedStreamIsStreamError() throws {
        let text = String(decoding: try GeminiGolden.streamBody(), as: UTF8.self)
        let cut = try #require(text.range(of: "data: ", options: .backwards))
        #expect {
            try GeminiGolden.deltas(Array(text[..<cut.lowerBound].utf8), size: 13)
        } throws: { error in
            guard case .stream(let message, _, _) = error as? ModelError else { return false }
            return message.contains("finishReason")
        }
    }
}
