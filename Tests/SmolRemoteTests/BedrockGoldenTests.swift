import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// The Bedrock golden fixtures recorded from boto3 (`scripts/oracles/record_bedrock_golden.py`), and the
/// Swift twin of that script's capture server.
enum BedrockGolden {
    static let folder = GoldenFixtureFolder(path: "Fixtures/bedrock/golden")
    static var directory: URL? { folder.directory }

    /// Every scenario: the fixture files not starting with `_`, without `.json`, sorted.
    static func scenarioNames() -> [String] { folder.scenarioNames() }

    static func load(_ name: String) throws -> JSONValue { try folder.load(name) }

    /// The canned replies (`_responses.json`).
    static func responses() throws -> JSONValue { try load("_responses") }

    /// The canned ConverseStream body (every frame, back to back).
    static func streamBody() throws -> [UInt8] {
        let text = try #require(try responses()["converse_stream_base64"]?.stringValue)
        return Array(try #require(Data(base64Encoded: text)))
    }

    /// `bytes` cut into pieces of `size` bytes (the last may be shorter).
    static func chunks(_ bytes: [UInt8], size: Int) -> [[UInt8]] {
        stride(from: 0, to: bytes.count, by: size).map { Array(bytes[$0..<min($0 + size, bytes.count)]) }
    }

    static let eventStreamHeaders: [(String, String)] = [("content-type", "application/vnd.amazon.eventstream")]

    /// What the capture server answers: event-stream frames in 37-byte chunks for `converse-stream`,
    /// the canned Converse JSON otherwise.
    static func reply(to request: RecordedRequest, responses: JSONValue, stream: [UInt8]) -> TestResponse {
        if request.path.hasSuffix("/converse-stream") {
            return .chunks(headers: eventStreamHeaders, chunks(stream, size: 37))
        }
        return .json(responses["converse"] ?? .null)
    }

    /// The fixture client's frozen signing time.
    static func frozenDate(_ client: JSONValue) throws -> Date {
        let text = try #require(client["frozen_time"]?.stringValue)
        return try #require(ISO8601DateFormatter().date(from: text))
    }

    static func credentials(_ client: JSONValue) throws -> AWSCredentials {
        AWSCredentials(accessKeyID: try #require(client["access_key"]?.stringValue),
                       secretAccessKey: Secret(try #require(client["secret_key"]?.stringValue)),
                       sessionToken: client["session_token"]?.stringValue.map { Secret($0) })
    }

    /// A fresh empty directory to stand in for `~`, so no real `~/.aws` file is read.
    static func emptyHome() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("bedrock-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// The fixture's neutral `swift.messages` as ``ChatMessage``s.
    static func messages(_ swift: JSONValue) throws -> [ChatMessage] {
        try (swift["messages"]?.arrayValue ?? []).map { message in
            let role = try MessageRole(validating: try #require(message["role"]?.stringValue))
            var parts: [ContentPart] = []
            if let image = message["image_png_base64"]?.stringValue {
                parts.append(.image(.base64(data: image, mimeType: "image/png")))
            }
            if let text = message["text"]?.stringValue { parts.append(.text(text)) }
            let content: MessageContent? = parts.isEmpty ? nil : (parts.count == 1 && parts[0].text != nil
                ? .text(parts[0].text!) : .parts(parts))
            let calls = try message["tool_calls"]?.arrayValue?.map { call in
                ChatMessageToolCall(id: try #require(call["id"]?.stringValue), function: ChatMessageToolCallFunction(
                    name: try #require(call["name"]?.stringValue), arguments: call["arguments"] ?? .object([:])))
            }
            return ChatMessage(role: role, content: content, toolCalls: calls,
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
        case .object(let object)?: options.toolChoice = .function(try #require(object["name"]?.stringValue))
        case nil: break
        case let other?: throw GoldenError("unknown tool_choice \(other)")
        }
        if let format = swift["response_format"] { options.responseFormat = try ResponseFormat(json: format) }
        return options
    }

    /// The model for a fixture's client, aimed at `endpoint`, with no environment and an empty home.
    static func model(_ fixture: JSONValue, endpoint: String) throws -> AmazonBedrockServerModel {
        let client = try #require(fixture["client"])
        let date = try frozenDate(client)
        return try AmazonBedrockServerModel(
            modelID: try #require(fixture["swift"]?["model_id"]?.stringValue), region: client["region"]?.stringValue,
            credentials: try credentials(client), endpointURL: endpoint, retry: .none,
            http: HTTPConfiguration(readTimeout: .seconds(20), totalTimeout: .seconds(30)),
            environment: [:], homeDirectory: try emptyHome(), clock: { date })
    }

    /// The headers the fixtures keep.
    static let signedHeaderNames = ["content-type", "x-amz-date", "x-amz-security-token", "authorization"]

    /// `headers` (any case) as lowercase name → value, restricted to ``signedHeaderNames``.
    static func kept(_ headers: [(String, String)]) -> [String: String] {
        var out: [String: String] = [:]
        for (name, value) in headers where signedHeaderNames.contains(name.lowercased()) { out[name.lowercased()] = value }
        return out
    }
}

/// What a Bedrock call returned.
struct BedrockAnswer: Sendable {
    var message: ChatMessage

    /// The tool calls as (id, name, arguments parsed as JSON).
    var calls: [(id: String, name: String, arguments: JSONValue)] {
        (message.toolCalls ?? []).map { call in
            var arguments = call.function.arguments
            if case .string(let text) = arguments, let parsed = try? JSONValue(parsing: Array(text.utf8)) { arguments = parsed }
            return (call.id, call.function.name, arguments)
        }
    }
}

@Suite("Bedrock golden requests: AmazonBedrockServerModel sends what boto3 sends", .timeLimit(.minutes(2)))
struct BedrockGoldenTests {
    static let scenarios = BedrockGolden.scenarioNames()

    /// Scenarios whose body bytes differ from boto3's, with the reason; the JSON is the same (checked in `scenario`).
    /// Every other scenario must send boto3's bytes, so its Authorization header is boto3's byte for byte.
    static let bodyBytesDiffer: [String: String] = [
        "stop-inference": "inferenceConfig members in another order: ours puts stopSequences first",
        "tool-round-trip": "non-ASCII text (°) sent as UTF-8, where boto3's json.dumps writes \\u00b0",
    ]

    @Test("the boto3 fixtures are bundled with the tests")
    func fixturesArePresent() throws {
        #expect(Self.scenarios.count >= 11, "found \(Self.scenarios)")
        #expect(Set(Self.bodyBytesDiffer.keys).isSubset(of: Self.scenarios), "bodyBytesDiffer names existing scenarios")
        #expect(try BedrockGolden.streamBody().count > 100)
        for name in Self.scenarios {
            let fixture = try BedrockGolden.load(name)
            #expect(fixture["sdk"]?.stringValue?.hasPrefix("boto3 ") == true)
            #expect(fixture["request"]?["headers"]?["authorization"]?.stringValue?.hasPrefix("AWS4-HMAC-SHA256 ") == true)
        }
    }

    @Test("the signer reproduces boto3's four headers byte for byte over boto3's own body", arguments: scenarios)
    func signerMatchesBoto3(_ name: String) throws {
        let fixture = try BedrockGolden.load(name)
        let client = try #require(fixture["client"])
        let request = try #require(fixture["request"])
        let signer = SigV4Signer(credentials: try BedrockGolden.credentials(client),
                                 region: try #require(client["region"]?.stringValue), service: "bedrock")
        let url = try #require(client["endpoint_url"]?.stringValue) + (try #require(request["path"]?.stringValue))
        let body = Array(try #require(request["body_raw"]?.stringValue).utf8)
        let signed = signer.sign(method: try #require(request["method"]?.stringValue), url: url,
                                 headers: [("Content-Type", "application/json")], body: body,
                                 date: try BedrockGolden.frozenDate(client))
        var expected: [String: String] = [:]
        for (key, value) in request["headers"]?.objectValue ?? [:] { expected[key] = value.stringValue }
        #expect(BedrockGolden.kept(signed) == expected)
    }

    @Test("a scenario puts boto3's request on the wire and decodes the canned answer", arguments: scenarios)
    func scenario(_ name: String) async throws {
        let fixture = try BedrockGolden.load(name)
        let responses = try BedrockGolden.responses()
        let stream = try BedrockGolden.streamBody()
        let swift = try #require(fixture["swift"])
        let messages = try BedrockGolden.messages(swift)
        let options = try BedrockGolden.options(swift)
        let streaming = fixture["stream"] == .bool(true)

        let (answer, requests, endpoint) = try await withTestServer({
            BedrockGolden.reply(to: $0, responses: responses, stream: stream)
        }) { server in
            let model = try BedrockGolden.model(fixture, endpoint: server.baseURL)
            let answer = try await withWatchdog(.seconds(30)) { () async throws -> BedrockAnswer in
                guard streaming else { return BedrockAnswer(message: try await model.generate(messages, options: options)) }
                var accumulator = StreamAccumulator()
                for try await delta in model.generateStream(messages, options: options) { try accumulator.add(delta) }
                return BedrockAnswer(message: accumulator.message())
            }
            return (answer, server.requests, server.baseURL)
        }

        let want = try #require(fixture["request"])
        try #require(requests.count == 1, "\(name): expected one request, got \(requests.map(\.uri))")
        let got = requests[0]
        #expect(got.method == want["method"]?.stringValue)
        #expect(got.path == want["path"]?.stringValue, "raw, percent-encoded path")
        let headers = want["headers"]?.objectValue ?? [:]
        for header in ["content-type", "x-amz-date", "x-amz-security-token"] {
            #expect(got.headers[header] == headers[header]?.stringValue, "\(name): header \(header)")
        }
        // Authorization: same credential scope and signed headers as boto3's; the signature is the one
        // boto3 would compute over the bytes we sent (the signer is checked byte for byte against boto3 above).
        let authorization = try #require(got.headers["authorization"])
        let boto = try #require(headers["authorization"]?.stringValue)
        #expect(authorization.components(separatedBy: "Signature=")[0] == boto.components(separatedBy: "Signature=")[0])
        let client = try #require(fixture["client"])
        let resigned = SigV4Signer(credentials: try BedrockGolden.credentials(client), region: "us-east-1", service: "bedrock")
            .sign(method: got.method, url: endpoint + got.path, headers: [("Content-Type", "application/json")],
                  body: got.body, date: try BedrockGolden.frozenDate(client))
        #expect(BedrockGolden.kept(resigned)["authorization"] == authorization)
        if let reason = Self.bodyBytesDiffer[name] {
            #expect(got.bodyText != want["body_raw"]?.stringValue,
                    "\(name) is listed as differing from boto3's bytes (\(reason)) but now matches: take it off the list")
        } else {
            #expect(got.bodyText == want["body_raw"]?.stringValue, "\(name): the body bytes differ from boto3's")
            // Same bytes as boto3: signed for boto3's host (its port), ours is boto3's header byte for byte.
            let atBotoHost = SigV4Signer(credentials: try BedrockGolden.credentials(client), region: "us-east-1", service: "bedrock")
                .sign(method: got.method, url: try #require(client["endpoint_url"]?.stringValue) + got.path,
                      headers: [("Content-Type", "application/json")], body: got.body, date: try BedrockGolden.frozenDate(client))
            #expect(BedrockGolden.kept(atBotoHost)["authorization"] == boto, "\(name)")
        }
        let differences = jsonDifferences(expected: want["body"], actual: got.json, path: "body")
        #expect(differences.isEmpty, "\(name): the body differs from boto3's:\n\(differences.joined(separator: "\n"))")

        // The canned answer as boto3 parsed it (`sdk_response`): text, the tool call, usage with cache counts
        // (Bedrock's inputTokens leaves out cache reads and writes; ours includes them), the stop reason.
        let expected = try SDKExpectation.bedrock(try #require(fixture["sdk_response"]))
        #expect(!expected.calls.isEmpty && expected.text != nil && expected.usage.cachedInputTokens != nil, "\(name)")
        expected.check(answer.message, "\(name)")
    }
}
