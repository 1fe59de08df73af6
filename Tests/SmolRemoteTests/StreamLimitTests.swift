import NIOCore
import SmolCore
import Synchronization
import Testing

@testable import SmolRemote

/// Issue 14, items 1 and 2: a stream that hits a parser limit, or a line that never ends, must end with a
/// typed error keeping the text received before it — never a silently shorter answer, never a read that
/// goes on forever. These go through real loopback servers with the production limits (16 MiB lines).
@Suite("Stream limits: oversized events and endless lines end the stream with the partial text", .timeLimit(.minutes(2)))
struct StreamLimitTests {
    /// 16 MiB and a bit: one line just over every parser's line limit.
    private static let overLimit = SSEParser.maximumLineLength + 1_024

    @Test("an SSE event over the line limit ends the stream with .stream naming the limit, keeping the text before it")
    func oversizedSSEEventIsNotDroppedSilently() async throws {
        let body = Array("data: \(Faults.delta("Hello"))\n\n".utf8)
            + Array("data: ".utf8) + [UInt8](repeating: UInt8(ascii: "x"), count: Self.overLimit) + Array("\n\n".utf8)
            + Array("data: \(Faults.delta(" world"))\n\ndata: [DONE]\n\n".utf8)
        try await withTestServer({ _ in .full(headers: TestResponse.sseHeaders, body: body) }) { server in
            let model = try Faults.openAI(server)
            let error = try await Faults.failure(within: .seconds(60)) {
                _ = try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions()))
            }
            guard case .stream(let message, _, let partial) = error else { Issue.record("got \(error)"); return }
            #expect(partial == "Hello")
            #expect(message.contains("16 MiB") && message.contains("line limit"), "\(message)")
        }
    }

    @Test("an SSE line that never ends is abandoned at the line limit, not read until the read timeout")
    func endlessSSELineEndsAtTheLimit() async throws {
        // The server sends the first event, then 16 MiB + 1 KiB without a newline, then stalls with the
        // connection open: before the fix the parser discarded bytes for as long as they came.
        let body = Array("data: \(Faults.delta("Hello"))\n\ndata: ".utf8)
            + [UInt8](repeating: UInt8(ascii: "y"), count: Self.overLimit)
        try await withTestServer({ _ in .stallAfter(bytes: body) }) { server in
            let model = try Faults.openAI(server, retry: .none, readTimeout: .seconds(120), totalTimeout: .seconds(120))
            let error = try await Faults.failure(within: .seconds(60)) {
                _ = try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions()))
            }
            guard case .stream(let message, _, let partial) = error else { Issue.record("got \(error)"); return }
            #expect(partial == "Hello")
            #expect(message.contains("line limit"), "\(message)")
        }
    }

    @Test("an NDJSON line that never ends is a stream error once over the limit, with the lines before it delivered")
    func endlessNDJSONLineKeepsTheEarlierLines() async throws {
        let first = #"{"model":"llama3.2","message":{"role":"assistant","content":"Hel"},"done":false}"# + "\n"
            + #"{"model":"llama3.2","message":{"role":"assistant","content":"lo"},"done":false}"# + "\n"
        // Both lines and the start of the endless one arrive in one chunk: the deltas must not be lost
        // with the error (before the fix the parser threw before returning them).
        let body = Array(first.utf8) + [UInt8](repeating: UInt8(ascii: " "), count: Self.overLimit)
        try await withTestServer({ _ in .stallAfter(headers: [("content-type", "application/x-ndjson")], bytes: body) }) { server in
            let model = try LiteLLMModel(modelID: "ollama_chat/llama3.2", apiBase: server.baseURL, retry: .none,
                                         http: HTTPConfiguration(readTimeout: .seconds(120), totalTimeout: .seconds(120)),
                                         environment: [:])
            let error = try await Faults.failure(within: .seconds(60)) {
                _ = try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions()))
            }
            guard case .stream(let message, _, let partial) = error else { Issue.record("got \(error)"); return }
            #expect(partial == "Hello")
            #expect(message.contains("NDJSON") && message.contains("16 MiB"), "\(message)")
        }
    }

    @Test("an error event in the same chunk as earlier deltas still delivers them and keeps them as partial text")
    func errorAfterDeltasInOneChunk() async throws {
        let failure = #"{"error":{"message":"The server is overloaded"}}"#
        let body = Array("data: \(Faults.delta("Hel"))\n\ndata: \(Faults.delta("lo"))\n\ndata: \(failure)\n\n".utf8)
        try await withTestServer({ _ in .full(headers: TestResponse.sseHeaders, body: body) }) { server in
            let model = try Faults.openAI(server)
            let received = ReceivedText()
            let error = try await Faults.failure {
                for try await delta in model.generateStream(Faults.ask, options: GenerateOptions()) {
                    received.append(delta.content ?? "")
                }
            }
            guard case .stream(let message, _, let partial) = error else { Issue.record("got \(error)"); return }
            #expect(message == "The server is overloaded")
            #expect(partial == "Hello")
            #expect(received.text == "Hello")
        }
    }

    @Test("a chunk that does not decode after text is a .stream error that keeps the text and the payload")
    func undecodableChunkAfterTextKeepsPartial() async throws {
        let body = Array("data: \(Faults.delta("Hello"))\n\ndata: not json\n\n".utf8)
        try await withTestServer({ _ in .full(headers: TestResponse.sseHeaders, body: body) }) { server in
            let model = try Faults.openAI(server)
            let error = try await Faults.failure {
                _ = try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions()))
            }
            guard case .stream(let message, let payload, let partial) = error else { Issue.record("got \(error)"); return }
            #expect(partial == "Hello")
            #expect(payload == "not json")
            #expect(message.contains("could not decode"), "\(message)")
        }
    }

    @Test("the Ollama and SSE framings hand over an error that follows deltas only after those deltas")
    func framingsDeferErrorsAfterDeltas() throws {
        var sse = ChatCompletionsFraming()
        let events = "data: \(Faults.delta("a"))\n\ndata: {\"error\":{\"message\":\"boom\"}}\n\n"
        let deltas = try sse.push(ByteBuffer(string: events).readableBytesView)
        #expect(deltas.map(\.content) == ["a"])
        #expect(sse.takeFailure() == .stream(message: "boom", payload: #"{"error":{"message":"boom"}}"#))
        #expect(sse.takeFailure() == nil)

        var ndjson = NDJSONParser(lineLimit: 16)
        let lines = try ndjson.push(ByteBuffer(string: "{\"a\":1}\n{\"b\":2}\n" + String(repeating: "z", count: 17)).readableBytesView)
        #expect(lines == [#"{"a":1}"#, #"{"b":2}"#])
        #expect(ndjson.pendingFailure != nil)
        #expect(throws: ModelError.self) { try ndjson.push(ByteBuffer(string: "\n").readableBytesView) }
        #expect(throws: ModelError.self) { try ndjson.finish() }
    }
}

/// Text collected by a stream's consumer, readable after it ends.
private final class ReceivedText: Sendable {
    private let collected = Mutex("")
    var text: String { collected.withLock { $0 } }
    func append(_ piece: String) { collected.withLock { $0 += piece } }
}
