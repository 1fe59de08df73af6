import Foundation
import SmolCore
import SmolTestSupport
import Testing

@testable import SmolRemote

/// The committed fixtures (scripts/oracles/make_eventstream_fixtures.py) and botocore as a live oracle.
private enum EventStreamFixtures {
    static let directory = Bundle.module.resourceURL!.appendingPathComponent("Fixtures/bedrock/eventstream")

    static func bytes(_ file: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))
    }

    static let expectations: JSONValue = {
        let data = (try? Data(contentsOf: directory.appendingPathComponent("expectations.json"))) ?? Data()
        return (try? JSONValue(parsing: [UInt8](data))) ?? .null
    }()

    /// Every positive fixture: ours and botocore's vectors, each with its expected frames.
    static var positive: [(file: String, frames: [JSONValue])] {
        let ours = expectations["fixtures"]?.arrayValue ?? []
        let vectors = expectations["botocore_vectors"]?["positive"]?.arrayValue ?? []
        return (ours + vectors).map { ($0["file"]!.stringValue!, $0["frames"]!.arrayValue!) }
    }

    /// A header value as the fixtures (and the botocore oracle) write it.
    static func json(_ value: EventStreamHeaderValue) -> JSONValue {
        switch value {
        case .bool(let flag): return .bool(flag)
        case .byte(let number): return .int(Int(number))
        case .short(let number): return .int(Int(number))
        case .int(let number): return .int(Int(number))
        case .long(let number), .timestamp(let number): return .int(Int(number))
        case .bytes(let bytes), .uuid(let bytes): return ["hex": .string(hex(bytes))]
        case .string(let text): return .string(text)
        }
    }

    static func json(_ message: EventStreamMessage) -> JSONValue {
        ["headers": .array(message.headers.map { [.string($0.name), json($0.value)] }), "payload_hex": .string(hex(message.payload))]
    }

    /// A frame from the expectations, reduced to what ``json(_:)-(EventStreamMessage)`` gives.
    static func reduced(_ frame: JSONValue) -> JSONValue {
        ["headers": frame["headers"]!, "payload_hex": frame["payload_hex"]!]
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// Decodes `bytes` pushed in pieces of the given sizes (cycled), and checks the stream ended cleanly.
    static func decode(_ bytes: [UInt8], chunks: [Int]) throws(ModelError) -> [EventStreamMessage] {
        var decoder = EventStreamDecoder()
        var messages: [EventStreamMessage] = []
        var index = 0, piece = 0
        while index < bytes.count {
            let end = min(bytes.count, index + max(1, chunks[piece % chunks.count]))
            messages += try decoder.push(bytes[index..<end])
            index = end
            piece += 1
        }
        try decoder.finish()
        return messages
    }

    /// The `ModelError` a decode of `bytes` throws (nil if it succeeds).
    static func failure(_ bytes: [UInt8], chunks: [Int] = [Int.max]) -> ModelError? {
        do { _ = try decode(bytes, chunks: chunks); return nil } catch { return error }
    }

    /// A frame with valid CRCs around arbitrary header bytes (to reach the header checks).
    static func frame(rawHeaders: [UInt8], payload: [UInt8] = [], declaredHeadersLength: Int? = nil) -> [UInt8] {
        var bytes: [UInt8] = []
        EventStreamEncoder.append(UInt32(16 + rawHeaders.count + payload.count), to: &bytes)
        EventStreamEncoder.append(UInt32(declaredHeadersLength ?? rawHeaders.count), to: &bytes)
        EventStreamEncoder.append(CRC32.checksum(bytes), to: &bytes)
        bytes += rawHeaders + payload
        EventStreamEncoder.append(CRC32.checksum(bytes), to: &bytes)
        return bytes
    }
}

/// SplitMix64: a small seeded generator, so random chunkings and fuzz inputs are reproducible.
private typealias EventStreamRandom = SplitMix64

@Suite("AWS event-stream framing")
struct EventStreamTests {
    private typealias F = EventStreamFixtures

    @Test("CRC32 matches zlib: the check value, empty input, continuation and a bitwise reference")
    func crc32MatchesZlib() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
        var random = EventStreamRandom(state: 7)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &random) }
            var reference: UInt32 = 0xFFFF_FFFF
            for byte in bytes {
                reference ^= UInt32(byte)
                for _ in 0..<8 { reference = reference & 1 == 1 ? (reference >> 1) ^ 0xEDB8_8320 : reference >> 1 }
            }
            #expect(CRC32.checksum(bytes) == ~reference)
            let split = length / 3
            #expect(CRC32.checksum(bytes[split...], continuing: CRC32.checksum(bytes[..<split])) == ~reference)
        }
    }

    @Test("Every fixture decodes to the frames botocore decoded, and re-encodes byte for byte")
    func fixturesDecodeAsBotocoreDid() throws {
        #expect(F.positive.count >= 18)
        for (file, frames) in F.positive {
            let bytes = try F.bytes(file)
            let messages = try F.decode(bytes, chunks: [bytes.count])
            #expect(messages.map(F.json) == frames.map(F.reduced), "\(file)")
            #expect(try EventStreamEncoder.encode(messages) == bytes, "\(file)")
        }
    }

    @Test("Chunking never changes the messages: whole, 1-byte, 37-byte and random chunks")
    func chunkingNeverChangesTheMessages() throws {
        var random = EventStreamRandom(state: 42)
        for (file, _) in F.positive {
            let bytes = try F.bytes(file)
            let whole = try F.decode(bytes, chunks: [bytes.count])
            #expect(try F.decode(bytes, chunks: [1]) == whole, "\(file)")
            #expect(try F.decode(bytes, chunks: [37]) == whole, "\(file)")
            for _ in 0..<20 {
                let chunks = (0..<8).map { _ in Int.random(in: 1...64, using: &random) }
                #expect(try F.decode(bytes, chunks: chunks) == whole, "\(file) \(chunks)")
            }
        }
    }

    @Test("Header accessors find values by name; wire order is kept")
    func headerAccessors() throws {
        let messages = try F.decode(try F.bytes("all_header_types.bin"), chunks: [Int.max])
        #expect(messages[0].headers.map(\.name).prefix(3) == ["bool-true", "bool-false", "byte"])
        #expect(messages[0].header("long") == .long(Int64.min))
        #expect(messages[0].header("timestamp") == .timestamp(1_767_225_600_123))
        #expect(messages[0].stringHeader("string") == "héllo ✓ 😀")
        #expect(messages[1].header("nom-é") == .byte(127) && messages[1].header("") == .bool(true))
        #expect(messages[0].header("missing") == nil && messages[0].stringHeader("byte") == nil)
    }

    @Test("A ConverseStream interprets to its events, and to what boto3 yields once padding is dropped")
    func converseStreamEvents() throws {
        let fixture = try #require(F.expectations["fixtures"]?.arrayValue?.first { $0["file"] == "converse_stream.bin" })
        let events = try F.decode(try F.bytes("converse_stream.bin"), chunks: [37]).map(BedrockStreamEvent.interpret)
        #expect(events.map { JSONValue.object(["type": .string($0.type), "payload": $0.payload]) }
            == F.expectations["converse_events"]!.arrayValue!)
        func unpadded(_ value: JSONValue) -> JSONValue {
            guard var object = value.objectValue else { return value }
            _ = object.removeValue(forKey: "p")
            return .object(JSONObject(object.keys.map { ($0, unpadded(object[$0]!)) }))
        }
        #expect(events.map { JSONValue.object(["type": .string($0.type), "payload": unpadded($0.payload)]) }
            == fixture["botocore_events"]!.arrayValue!)
        #expect(events[2].payload["delta"]?["text"]?.stringValue == "— 日本語 🌍 naïve façade.")
        #expect(events[9].payload["usage"]?["cacheWriteInputTokens"] == 64)
    }

    @Test("In-stream exceptions become typed errors carrying botocore's message", arguments: [
        ("throttlingException", 429), ("validationException", 400), ("internalServerException", 500),
        ("serviceUnavailableException", 503), ("modelStreamErrorException", 0),
    ])
    func exceptionsBecomeTypedErrors(type: String, status: Int) throws {
        let file = "exception_\(type).bin"
        let fixture = try #require(F.expectations["fixtures"]?.arrayValue?.first { $0["file"] == .string(file) })
        let botocoreMessage = try #require(fixture["botocore_error"]?["message"]?.stringValue)
        #expect(fixture["botocore_error"]?["code"] == .string(type))
        let message = try #require(try F.decode(try F.bytes(file), chunks: [37]).first)
        let error = try #require(throws: ModelError.self) { try BedrockStreamEvent.interpret(message) }
        #expect(error.message == "\(type): \(botocoreMessage)")
        if status == 0 {
            guard case .stream(_, let payload?, nil) = error else { Issue.record("\(error)"); return }
            #expect(payload.contains("originalStatusCode"))
        } else {
            #expect(error.status == status)
            #expect(error.isRetryable == (status != 400))
        }
    }

    @Test("A throttled stream delivers its events, then throws HTTP 429; an error frame throws a stream error")
    func throttledStreamAndErrorFrame() throws {
        let messages = try F.decode(try F.bytes("converse_stream_throttled.bin"), chunks: [5])
        #expect(try messages.prefix(2).map { try BedrockStreamEvent.interpret($0).type } == ["messageStart", "contentBlockDelta"])
        #expect(throws: ModelError.http(status: 429, message: "throttlingException: Too many tokens, please wait before trying again.",
                                        body: #"{"message":"Too many tokens, please wait before trying again."}"#)) {
            try BedrockStreamEvent.interpret(messages[2])
        }
        let error = try F.decode(try F.bytes("error_message.bin"), chunks: [1])[0]
        #expect(throws: ModelError.stream(message: "InternalFailure: The request processing has failed.")) {
            try BedrockStreamEvent.interpret(error)
        }
    }

    @Test("Interpretation rejects non-JSON payloads, unknown message types and events without a type")
    func interpretationRejectsMalformedEvents() throws {
        let event: KeyValuePairs<String, EventStreamHeaderValue> = [":event-type": .string("contentBlockDelta"), ":message-type": .string("event")]
        let notJSON = try #require(throws: ModelError.self) {
            try BedrockStreamEvent.interpret(EventStreamMessage(headers: event, payload: Array("{not json".utf8)))
        }
        guard case .decoding(let problem, "{not json") = notJSON else { Issue.record("\(notJSON)"); return }
        #expect(problem.contains("contentBlockDelta event is not valid JSON"))
        #expect(try BedrockStreamEvent.interpret(EventStreamMessage(headers: event)) == .event(type: "contentBlockDelta", payload: [:]))
        #expect(try BedrockStreamEvent.interpret(EventStreamMessage(headers: [":event-type": .string("messageStop")], payload: Array(#"{"stopReason":"end_turn"}"#.utf8)))
            == .event(type: "messageStop", payload: ["stopReason": "end_turn"]))
        for headers: KeyValuePairs<String, EventStreamHeaderValue> in [[":message-type": .string("event")], [":message-type": .string("surprise")],
                                                                      [":message-type": .int(1)]] {
            let error = try #require(throws: ModelError.self) { try BedrockStreamEvent.interpret(EventStreamMessage(headers: headers, payload: [])) }
            guard case .decoding = error else { Issue.record("\(error)"); continue }
        }
    }

    @Test("Corrupt CRCs are typed errors naming the byte offset; earlier messages are still delivered")
    func corruptChecksums() throws {
        let stream = try F.bytes("converse_stream.bin")
        let first = Int(stream[3]) | Int(stream[2]) << 8
        var prelude = stream, payload = stream
        prelude[first + 9] ^= 0x01
        payload[first + 40] ^= 0x80
        for (bytes, text) in [(prelude, "prelude checksum mismatch"), (payload, "message checksum mismatch")] {
            var decoder = EventStreamDecoder()
            let messages = try decoder.push(bytes)
            #expect(messages.count == 1)
            let error = try #require(throws: ModelError.self) { try decoder.finish() }
            guard case .decoding(let message, let hex) = error else { Issue.record("\(error)"); continue }
            #expect(message.contains(text) && message.contains("at byte offset \(first)"), "\(message)")
            #expect(hex.hasPrefix(F.hex(Array(bytes[first..<(first + 8)]))))
            #expect(throws: error) { try decoder.push([0]) }  // the failure is sticky
            #expect(F.failure(bytes, chunks: [1])?.message == error.message)
        }
    }

    @Test("A truncated frame leaves the decoder mid-frame with its bytes buffered; finish reports it")
    func truncatedFrame() throws {
        let stream = try F.bytes("converse_stream.bin")
        var decoder = EventStreamDecoder()
        #expect(decoder.isAtMessageBoundary && decoder.bufferedByteCount == 0)
        let messages = try decoder.push(stream.dropLast(5))
        #expect(messages.count == 9)
        #expect(!decoder.isAtMessageBoundary)
        #expect(decoder.bufferedByteCount == stream.count - decoder.consumedByteCount - 5)
        let error = try #require(throws: ModelError.self) { try decoder.finish() }
        guard case .stream(let message, _, _) = error else { Issue.record("\(error)"); return }
        #expect(message.contains("ended inside a frame"))
        #expect(try decoder.push(stream.suffix(5)).count == 1)
        #expect(decoder.isAtMessageBoundary)
        try decoder.finish()
    }

    @Test("Impossible lengths are rejected from the 12-byte prelude, before any wait", arguments: [
        (0x7FFF_FFFF, 0, "payload length 2147483631 exceeds the maximum of 25165824"),
        (16 + 24 * 1024 * 1024 + 1, 0, "payload length 25165825 exceeds"),
        (0x0010_0000, 0x0002_0001, "headers length 131073 exceeds the maximum of 131072"),
        (40, 25, "headers length 25 does not fit in a frame of total length 40"),
        (15, 0, "total length 15 is below the 16-byte minimum"),
        (0, 0, "total length 0 is below"),
    ] as [(total: Int, headers: Int, text: String)])
    func impossibleLengths(_ lengths: (total: Int, headers: Int, text: String)) throws {
        let (total, headers, text) = lengths
        var prelude: [UInt8] = []
        EventStreamEncoder.append(UInt32(total), to: &prelude)
        EventStreamEncoder.append(UInt32(headers), to: &prelude)
        EventStreamEncoder.append(CRC32.checksum(prelude), to: &prelude)
        var decoder = EventStreamDecoder()
        let error = try #require(throws: ModelError.self) { try decoder.push(prelude) }
        #expect(error.message.contains(text), "\(error.message)")
        #expect(error.message.contains("at byte offset 0"))
    }

    @Test("Malformed headers are typed errors, never crashes", arguments: [
        ([0x05] + Array("abc".utf8), "header name of 5 bytes runs past the end"),
        ([0x01, 0x61], "has no type byte"),
        ([0x01, 0x61, 0x0A], "unknown value type 10"),
        ([0x01, 0x61, 0x04, 0, 0], "needs 4 value bytes but only 2 remain"),
        ([0x01, 0x61, 0x07, 0x00, 0x64] + Array("abc".utf8), "declares a 100-byte value but only 3 bytes remain"),
        ([0x01, 0x61, 0x06, 0xFF, 0xFF], "declares a 65535-byte value but only 0 bytes remain"),
        ([0x01, 0x61, 0x09] + [UInt8](repeating: 0, count: 15), "needs 16 value bytes but only 15 remain"),
        ([0x02, 0xC3, 0x28, 0x00], "header name is not valid UTF-8"),
        ([0x01, 0x61, 0x07, 0x00, 0x02, 0xC3, 0x28], "string value that is not valid UTF-8"),
        ([0x01, 0x61, 0x00, 0x01, 0x61, 0x01], "duplicate header \"a\""),
    ] as [([UInt8], String)])
    func malformedHeaders(headers: [UInt8], text: String) throws {
        let error = try #require(F.failure(F.frame(rawHeaders: headers, payload: Array("{}".utf8)), chunks: [3]))
        guard case .decoding(let message, _) = error else { Issue.record("\(error)"); return }
        #expect(message.contains(text) && message.contains("(byte offset "), "\(message)")
    }

    @Test("botocore's negative vectors are rejected for the same reasons")
    func botocoreNegativeVectors() throws {
        let vectors = try #require(F.expectations["botocore_vectors"]?["negative"]?.arrayValue)
        #expect(vectors.count == 7)
        let reasons = ["ChecksumMismatch": "checksum mismatch", "DuplicateHeader": "duplicate header",
                       "InvalidHeadersLength": "headers length", "InvalidPayloadLength": "payload length"]
        for vector in vectors {
            let file = vector["file"]!.stringValue!
            let error = try #require(F.failure(try F.bytes(file), chunks: [7]), "\(file)")
            let reason = try #require(reasons[vector["botocore_exception"]!.stringValue!])
            #expect(error.message.contains(reason), "\(file): \(error)")
        }
    }

    @Test("Garbage and mutated frames only ever give messages or typed errors")
    func fuzz() throws {
        var random = EventStreamRandom(state: 2026)
        let seeds = try ["converse_stream.bin", "all_header_types.bin", "converse_stream_throttled.bin"].map(F.bytes)
        for round in 0..<3000 {
            var bytes: [UInt8]
            switch round % 3 {
            case 0:  // random bytes, often with a plausible small length
                bytes = (0..<Int.random(in: 0...200, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                if bytes.count > 4 && round % 2 == 0 { bytes[0] = 0; bytes[1] = 0 }
            case 1:  // bit flips and cuts in real streams
                bytes = seeds[round % seeds.count]
                for _ in 0..<Int.random(in: 1...4, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] ^= UInt8.random(in: 1...255, using: &random)
                }
                bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &random)))
            default:  // random header sections inside valid CRCs
                let headers = (0..<Int.random(in: 1...60, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
                bytes = F.frame(rawHeaders: headers)
            }
            let chunks = [Int.random(in: 1...50, using: &random)]
            do { _ = try F.decode(bytes, chunks: chunks) } catch {
                switch error {
                case .decoding, .stream: break
                default: Issue.record("unexpected \(error)")
                }
            }
        }
    }

    @Test("botocore decodes Swift-encoded frames to the same headers, payloads and ConverseStream events")
    func botocoreDecodesSwiftFrames() async throws {
        let emitter = JSONEmitter()
        func event(_ type: String, _ payload: JSONValue) -> EventStreamMessage {
            EventStreamMessage(headers: [":event-type": .string(type), ":content-type": .string("application/json"),
                                         ":message-type": .string("event")], payload: emitter.bytes(from: payload))
        }
        let messages = [
            EventStreamMessage(headers: ["t": .bool(true), "f": .bool(false), "b": .byte(-7), "s": .short(Int16.min),
                                         "i": .int(Int32.max), "l": .long(Int64.min), "x": .bytes([0, 1, 0xFF]),
                                         "str": .string("ünï ✓ 🚀"), "ts": .timestamp(1_767_225_600_999),
                                         "u": .uuid(Array(0..<16)), "long-name-" + String(repeating: "n", count: 200): .string(String(repeating: "v", count: 7_000))],
                               payload: Array(0...255)),
            event("messageStart", ["role": "assistant"]),
            event("contentBlockDelta", ["contentBlockIndex": 0, "delta": ["text": "Grüße 🌍"]]),
            event("contentBlockStart", ["contentBlockIndex": 1, "start": ["toolUse": ["toolUseId": "t1", "name": "f"]]]),
            event("contentBlockDelta", ["contentBlockIndex": 1, "delta": ["toolUse": ["input": "{\"a\": 1}"]]]),
            event("contentBlockStop", ["contentBlockIndex": 1]),
            event("messageStop", ["stopReason": "tool_use"]),
            event("metadata", ["usage": ["inputTokens": 3, "outputTokens": 4, "totalTokens": 7, "cacheReadInputTokens": 1],
                               "metrics": ["latencyMs": 5]]),
            EventStreamMessage(headers: [":exception-type": .string("throttlingException"), ":content-type": .string("application/json"),
                                         ":message-type": .string("exception")], payload: Array(#"{"message":"slow down"}"#.utf8)),
        ]
        let decoded = try await EventStreamBotocoreOracle.decode(try EventStreamEncoder.encode(messages))
        #expect(decoded["frames"]?.arrayValue?.map(F.reduced) == messages.map(F.json))
        let events = try messages.dropFirst().dropLast().map(BedrockStreamEvent.interpret)
        #expect(decoded["events"] == .array(events.map { ["type": .string($0.type), "payload": $0.payload] }))
        let error = try #require(throws: ModelError.self) { try BedrockStreamEvent.interpret(messages.last!) }
        #expect(decoded["error"] == ["code": "throttlingException", "message": "slow down"])
        #expect(error.status == 429 && error.message == "throttlingException: slow down")
    }
}

/// Runs `scripts/oracles/make_eventstream_fixtures.py --decode` (botocore) on bytes written to a temp file.
private enum EventStreamBotocoreOracle {
    static func decode(_ bytes: [UInt8]) async throws -> JSONValue {
        let cache = ProcessInfo.processInfo.environment["SMOL_CACHE"]
            ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/swift-smolagents"
        let python = cache + "/venv-sdk/bin/python"
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = root.appendingPathComponent("scripts/oracles/make_eventstream_fixtures.py").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ModelError.unsupported(message: "no oracle venv at \(python): run `bash scripts/oracles/setup.sh sdk`")
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("eventstream-\(UUID().uuidString).bin")
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let process = Process(), output = Pipe(), errors = Pipe()
        (process.executableURL, process.arguments) = (URL(fileURLWithPath: python), [script, "--decode", file.path])
        (process.standardOutput, process.standardError) = (output, errors)
        try process.run()
        // Blocking reads and the wait run on Dispatch threads, never on the cooperative pool.
        async let out = read(output.fileHandleForReading)
        async let err = read(errors.fileHandleForReading)
        let (data, problems) = await (out, err)
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { process.waitUntilExit(); continuation.resume() }
        }
        guard process.terminationStatus == 0 else {
            throw ModelError.unsupported(message: "botocore oracle failed (is botocore in the sdk venv? run `bash scripts/oracles/setup.sh sdk`): "
                                         + String(decoding: problems, as: UTF8.self))
        }
        return try JSONValue(parsing: [UInt8](data))
    }

    static func read(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }
}
