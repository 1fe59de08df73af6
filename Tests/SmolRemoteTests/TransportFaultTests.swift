import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// Issue 14, items 3 and 7: the user's time limit bounds streams and retries; response faults (a gzip
/// bomb, a redirect loop) are typed and not retried; connection errors read like sentences.
@Suite("Transport faults: time limits, gzip bombs, redirect loops, connection messages", .timeLimit(.minutes(2)))
struct TransportFaultTests {
    // MARK: Time limits (item 3)

    @Test("a stream whose server sends headers and then stalls ends at the total timeout, not the read timeout")
    func streamStalledAfterHeadersEndsAtTheTotalTimeout() async throws {
        try await withTestServer({ _ in .stallAfter(bytes: []) }) { server in
            let model = try Faults.openAI(server, retry: .none, readTimeout: .seconds(60), totalTimeout: .seconds(1))
            let error = try await Faults.failure {
                _ = try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions()))
            }
            guard case .timeout(let message) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("total timeout") && message.contains("127.0.0.1"), "\(message)")
        }
    }

    @Test("a stream whose server never answers ends at the total timeout, not the read timeout")
    func silentStreamEndsAtTheTotalTimeout() async throws {
        try await withTestServer({ _ in .stall }) { server in
            let model = try Faults.openAI(server, retry: .none, readTimeout: .seconds(60), totalTimeout: .seconds(1))
            let error = try await Faults.failure {
                _ = try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions()))
            }
            guard case .timeout = error else { Issue.record("got \(error)"); return }
        }
    }

    @Test("once a stream's bytes flow, the total timeout no longer applies: only silence is bounded")
    func flowingStreamOutlivesTheTotalTimeout() async throws {
        let events = (0..<14).map { Faults.delta("t\($0) ") } + ["[DONE]"]
        try await withTestServer({ _ in .sse(events, delayBetween: .milliseconds(500)) }) { server in
            // 15 events 500 ms apart take ~7 s: well past the 4 s total timeout (which leaves a loaded machine,
            // seen stalling every test of a phase ~2 s at start-up, time for the first event), never silent for 20 s.
            let model = try Faults.openAI(server, retry: .none, readTimeout: .seconds(20), totalTimeout: .seconds(4))
            let text = try await withWatchdog { try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions())) }
            #expect(text == (0..<14).map { "t\($0) " }.joined())
        }
    }

    @Test("the total timeout of a non-streamed request covers its retries: no attempt starts after it")
    func totalTimeoutSpansRetries() async throws {
        try await withTestServer({ _ in .stall }) { server in
            // The default policy allows 3 attempts; each used to get its own 1 s deadline (3 s and 3 requests).
            let model = try Faults.openAI(server, retry: .default, readTimeout: .seconds(60), totalTimeout: .seconds(1))
            let error = try await Faults.failure { _ = try await model.generate(Faults.ask, options: GenerateOptions()) }
            guard case .timeout = error else { Issue.record("got \(error)"); return }
            try await Task.sleep(for: .seconds(2))  // a retry, had one been scheduled, would show up by now
            #expect(server.requests.count == 1)
        }
    }

    @Test("smol --timeout bounds a stream that stalls after its headers, and the timeout flags are validated")
    func commandTimeoutBoundsStalledStream() async throws {
        try await withTestServer({ _ in .stallAfter(bytes: []) }) { server in
            let start = ContinuousClock.now
            let outcome = try await SmolCommand.run([
                "generate", "--api-base", server.baseURL + "/v1", "--api-key", "k", "--model-id", "m", "--stream",
                "--timeout", "2", "hi",
            ])
            #expect(outcome.status == 1, "\(outcome.stderr)")
            #expect(outcome.stderr.contains("Timeout"), "\(outcome.stderr)")
            // Before: the 600 s read timeout held it. Generous bound for a loaded 2-core machine.
            #expect(ContinuousClock.now - start < .seconds(30))
        }
        let invalid = try await SmolCommand.run(["generate", "--read-timeout", "0", "--model-id", "m", "hi"])
        #expect(invalid.status == 2)
        #expect(invalid.stderr.contains("--read-timeout"), "\(invalid.stderr)")
        let help = try await SmolCommand.run(["generate", "--help"])
        #expect(help.stdout.contains("--connect-timeout") && help.stdout.contains("--read-timeout"))
    }

    // MARK: Response faults (item 7)

    @Test("a gzip bomb is a .decoding error naming the decompression limit, and is not retried")
    func gzipBombIsNotRetried() async throws {
        let url = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/faults/gzip-bomb-8MiB.json.gz")
        let bomb = [UInt8](try Data(contentsOf: url))
        let headers = [("content-type", "application/json"), ("content-encoding", "gzip")]
        try await withTestServer({ _ in .full(headers: headers, body: bomb) }) { server in
            let model = try Faults.openAI(server, retry: .default)
            let error = try await Faults.failure { _ = try await model.generate(Faults.ask, options: GenerateOptions()) }
            guard case .decoding(let message, _) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("decompression limit") && message.contains("100 times"), "\(message)")
            #expect(!error.isRetryable)
            try await Task.sleep(for: .milliseconds(700))  // longer than the first back-off
            #expect(server.requests.count == 1)
        }
    }

    @Test("a redirect loop is an HTTP error naming the redirect limit, and is not retried")
    func redirectLoopIsNotRetried() async throws {
        try await withTestServer({ _ in .redirect(status: 302, location: "/v1/chat/completions") }) { server in
            let model = try Faults.openAI(server, retry: .default)
            let error = try await Faults.failure { _ = try await model.generate(Faults.ask, options: GenerateOptions()) }
            guard case .http(302, let message, _, _) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("redirect limit") && message.contains("more than 5"), "\(message)")
            #expect(!error.isRetryable)
            try await Task.sleep(for: .milliseconds(700))
            #expect(server.requests.count == 6)  // the request and its 5 redirects, once
        }
    }

    @Test("a streamed request answered 503 with an error page over 1 MiB is still .http(503), retried")
    func largeErrorPageKeepsTheStatus() async throws {
        let page = Array(("<html>" + String(repeating: "overloaded ", count: 200_000) + "</html>").utf8)
        let calls = Counter()
        try await withTestServer({ _ in
            calls.next() == 1 ? .full(status: 503, headers: [("content-type", "text/html")], body: page) : .sse([Faults.delta("ok"), "[DONE]"])
        }) { server in
            // Before, the page over the 1 MiB error-body limit became an unretryable .decoding error.
            let model = try Faults.openAI(server, retry: .default)
            let text = try await withWatchdog { try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions())) }
            #expect(text == "ok")
            #expect(server.requests.count == 2)
        }
    }

    @Test("a connection reset reads as a sentence naming the server: no NIO function, balanced parentheses")
    func connectionResetMessageIsHuman() async throws {
        try await withTestServer({ _ in .resetAfter(bytes: Array("data: ".utf8)) }) { server in
            let model = try Faults.openAI(server, retry: .none)
            let error = try await Faults.failure { _ = try await model.generate(Faults.ask, options: GenerateOptions()) }
            guard case .connection(let message) = error else { Issue.record("got \(error)"); return }
            let host = server.baseURL.replacingOccurrences(of: "http://", with: "")
            #expect(message.contains(host), "\(message)")
            #expect(message.contains("reset") || message.contains("closed"), "\(message)")
            #expect(!message.contains("descriptor") && !message.contains("errno"), "\(message)")
            #expect(message.filter { $0 == "(" }.count == message.filter { $0 == ")" }.count, "\(message)")
        }
    }

    @Test("a refused connection names the server in words")
    func refusedConnectionMessageIsHuman() async throws {
        // Port 9 on loopback: nothing listens there on a test machine.
        let model = try OpenAIServerModel(modelID: "m", apiBase: "http://127.0.0.1:9/v1", apiKey: "k", retry: .none,
                                          http: HTTPConfiguration(connectTimeout: .seconds(5)), environment: [:])
        let error = try await Faults.failure { _ = try await model.generate(Faults.ask, options: GenerateOptions()) }
        guard case .connection(let message) = error else { Issue.record("got \(error)"); return }
        #expect(message == "127.0.0.1:9 refused the connection (is the server running on that port?)")
    }
}
