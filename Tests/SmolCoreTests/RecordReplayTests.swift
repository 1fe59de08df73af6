import Foundation
import Testing

@testable import SmolCore

@Suite("Recording and replaying models")
struct RecordReplayTests {
    private func temporaryCassette() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("cassette-\(UUID().uuidString).jsonl")
    }

    /// A model whose answers change on every call, so replay has to reproduce them from the cassette.
    private func countingModel() -> CustomModel {
        let counter = Counter()
        return CustomModel(modelID: "counting") { messages, _ in
            let n = counter.next()
            return ChatMessage(role: .assistant, content: .text("answer \(n) to \(messages.last?.text ?? "")"),
                               tokenUsage: TokenUsage(inputTokens: n, outputTokens: 1))
        }
    }

    @Test("a recorded conversation replays offline with identical answers, in order")
    func recordThenReplay() async throws {
        let url = temporaryCassette()
        defer { try? FileManager.default.removeItem(at: url) }
        let recorder = try RecordingModel(wrapping: countingModel(), cassette: url)
        let question = [ChatMessage(role: .user, text: "hi")]
        let first = try await recorder.generate(question)
        let second = try await recorder.generate(question)
        let other = try await recorder.generate([ChatMessage(role: .user, text: "bye")], stopSequences: ["x"])

        let replay = try ReplayModel(cassette: url)
        #expect(replay.modelID == "counting")
        #expect(try await replay.generate(question) == first)
        #expect(try await replay.generate(question) == second)
        #expect(try await replay.generate(question) == second)  // used up: the last answer repeats
        #expect(try await replay.generate([ChatMessage(role: .user, text: "bye")], stopSequences: ["x"]) == other)
    }

    @Test("streams are recorded delta by delta and replay the same deltas")
    func streamsReplay() async throws {
        let url = temporaryCassette()
        defer { try? FileManager.default.removeItem(at: url) }
        let recorder = try RecordingModel(wrapping: countingModel(), cassette: url, truncate: true)
        var recorded: [ChatMessageStreamDelta] = []
        for try await delta in recorder.generateStream([ChatMessage(role: .user, text: "s")]) { recorded.append(delta) }
        let replay = try ReplayModel(cassette: url)
        var replayed: [ChatMessageStreamDelta] = []
        for try await delta in replay.generateStream([ChatMessage(role: .user, text: "s")]) { replayed.append(delta) }
        #expect(replayed == recorded)
        #expect(try await replay.generate([ChatMessage(role: .user, text: "s")]).text == "answer 1 to s")
    }

    @Test("an unknown request fails with the nearest recorded request and where it differs")
    func missShowsNearest() async throws {
        let url = temporaryCassette()
        defer { try? FileManager.default.removeItem(at: url) }
        let recorder = try RecordingModel(wrapping: countingModel(), cassette: url)
        _ = try await recorder.generate([ChatMessage(role: .system, text: "sys"), ChatMessage(role: .user, text: "What is 2+2?")])
        _ = try await recorder.generate([ChatMessage(role: .user, text: "unrelated")], stopSequences: ["a", "b"])
        let replay = try ReplayModel(cassette: url)
        do {
            _ = try await replay.generate([ChatMessage(role: .system, text: "sys"), ChatMessage(role: .user, text: "What is 3+3?")])
            Issue.record("the request is not in the cassette")
        } catch let error as ModelError {
            guard case .unavailable(let unavailable) = error, unavailable.reason == .notInCassette,
                  !unavailable.isRetryable, let nearest = unavailable.detail else {
                Issue.record("unexpected error \(error)")
                return
            }
            #expect(nearest.contains("entry 1"))
            #expect(nearest.contains("$.messages[1].content[0].text"))
            #expect(nearest.contains(#""What is 2+2?""#))
            #expect(nearest.contains(#""What is 3+3?""#))
        }
    }

    @Test("a malformed cassette line is an error naming the file and line")
    func malformedCassette() throws {
        let url = temporaryCassette()
        defer { try? FileManager.default.removeItem(at: url) }
        try Data("{\"request\": {}, \"response\": {\"role\": \"assistant\"}}\n\n{oops\n".utf8).write(to: url)
        #expect(throws: ModelError.self) { try ReplayModel(cassette: url) }
        do {
            _ = try ReplayModel(cassette: url)
        } catch {
            guard case .invalidInput(_, let location) = error else {
                Issue.record("\(error)")
                return
            }
            #expect(location == "\(url.lastPathComponent):3")
        }
    }
}

@Suite("Secrets and errors")
struct SecretTests {
    @Test("a secret never prints, interpolates or dumps its value")
    func secretIsRedacted() {
        let key = Secret("sk-live-1234567890abcdef")
        var dumped = ""
        dump(key, to: &dumped)
        for text in [key.description, "\(key)", String(reflecting: key), dumped] {
            #expect(!text.contains("1234567890"), "\(text)")
        }
        #expect(key.revealed == "sk-live-1234567890abcdef")
    }

    @Test("redact removes every secret from provider text, longest first")
    func redactText() {
        let text = "Incorrect API key provided: sk-live-1234567890abcdef. Token hf_abc123xyz rejected."
        let clean = Secret.redact(text, secrets: [Secret("hf_abc123xyz"), Secret("sk-live-1234567890abcdef")])
        #expect(clean == "Incorrect API key provided: [REDACTED]. Token [REDACTED] rejected.")
    }

    @Test("retryability follows the HTTP status and the kind of failure")
    func retryability() {
        for status in [408, 409, 429, 500, 503] { #expect(ModelError.http(status: status, message: "").isRetryable) }
        for status in [400, 401, 403, 404, 422] { #expect(!ModelError.http(status: status, message: "").isRetryable) }
        #expect(ModelError.connection(message: "reset").isRetryable)
        #expect(!ModelError.stream(message: "broken").isRetryable)
        #expect(ModelError.http(status: 429, message: "slow down", retryAfter: .seconds(2)).retryAfter == .seconds(2))
    }

    @Test("error descriptions say what went wrong and where, and shorten huge payloads")
    func descriptions() {
        #expect("\(ModelError.invalidInput(message: "bad", location: "messages[0]"))" == "Invalid input at messages[0]: bad")
        #expect("\(ModelError.http(status: 401, message: "Unauthorized"))" == "HTTP 401: Unauthorized")
        let huge = String(repeating: "x", count: 10_000)
        #expect("\(ModelError.decoding(message: "bad chunk", payload: huge))".count < 2_200)
    }
}

/// A thread-safe counter for closures that must be `Sendable`.
final class Counter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

import Synchronization
