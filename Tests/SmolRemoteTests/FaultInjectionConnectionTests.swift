import SmolCore
import Testing

@testable import SmolRemote

@Suite("Fault injection: redirects, cancellation, connection reuse, secrets", .timeLimit(.minutes(2)))
struct FaultInjectionConnectionTests {
    // MARK: Redirects

    @Test("a 307 to another port drops authorization; the body and method follow")
    func crossOriginRedirectByPort() async throws {
        try await withTestServer({ _ in .json(Faults.completion("from B")) }) { target in
            let location = target.baseURL + "/v1/chat/completions"
            try await withTestServer({ _ in .redirect(status: 307, location: location) }) { origin in
                let model = try Faults.openAI(origin, apiKey: "sk-redirect-secret")
                let message = try await withWatchdog { try await model.generate(Faults.ask, options: GenerateOptions()) }
                #expect(message.text == "from B")
                let first = try #require(origin.requests.first)
                let second = try #require(target.requests.first)
                #expect(first.headers["authorization"] == "Bearer sk-redirect-secret")
                #expect(second.headers["authorization"] == nil)
                #expect(second.method == "POST")
                #expect(second.body == first.body)
                #expect(!second.headers.values.contains { $0.contains("sk-redirect-secret") })
            }
        }
    }

    @Test("a 307 to another host (127.0.0.1 → localhost) drops Azure's api-key")
    func crossOriginRedirectByHost() async throws {
        let calls = Counter()
        try await withTestServer({ request in
            calls.next() == 1
                ? TestResponse.redirect(status: 307, location: "http://localhost:\(request.headers["host"]?.split(separator: ":").last ?? "")\(request.uri)")
                : TestResponse.json(Faults.completion("moved"))
        }) { server in
            let model = try AzureOpenAIServerModel(modelID: "deploy", azureEndpoint: server.baseURL, apiKey: "azure-secret-key",
                                                   apiVersion: "2024-10-21", environment: [:])
            let message = try await withWatchdog { try await model.generate(Faults.ask, options: GenerateOptions()) }
            #expect(message.text == "moved")
            let requests = server.requests
            try #require(requests.count == 2)
            #expect(requests[0].headers["api-key"] == "azure-secret-key")
            #expect(requests[1].headers["api-key"] == nil)
            #expect(requests[1].headers["host"]?.hasPrefix("localhost") == true)
            #expect(requests[1].query == ["api-version": "2024-10-21"])
        }
    }

    @Test("a same-origin 307 keeps authorization")
    func sameOriginRedirect() async throws {
        try await withTestServer({ request in
            request.path == "/v1/chat/completions"
                ? TestResponse.redirect(status: 307, location: "/v2/chat/completions")
                : TestResponse.json(Faults.completion("same"))
        }) { server in
            let model = try Faults.openAI(server, apiKey: "sk-same-origin")
            let message = try await withWatchdog { try await model.generate(Faults.ask, options: GenerateOptions()) }
            #expect(message.text == "same")
            let requests = server.requests
            try #require(requests.count == 2)
            #expect(requests[1].path == "/v2/chat/completions")
            #expect(requests[1].headers["authorization"] == "Bearer sk-same-origin")
            #expect(requests[1].body == requests[0].body)
        }
    }

    // MARK: Cancellation

    /// A stream that would last ~20 s: a first delta at once, then one every 200 ms.
    private static let slowStream = TestResponse.sse(
        [Faults.delta("Hello")] + Array(repeating: Faults.delta(" more"), count: 100) + ["[DONE]"],
        delayBetween: .milliseconds(200))

    @Test("breaking out of a stream after the first delta closes the connection promptly")
    func breakClosesConnection() async throws {
        try await withTestServer({ _ in Self.slowStream }) { server in
            let model = try Faults.openAI(server)
            let start = ContinuousClock.now
            let first = try await withWatchdog(.seconds(10)) { () async throws -> String? in
                for try await delta in model.generateStream(Faults.ask, options: GenerateOptions()) {
                    return delta.content
                }
                return nil
            }
            #expect(first == "Hello")
            #expect(await server.waitForClosedConnections(1, within: .seconds(10)), "the server still has the connection open")
            #expect(ContinuousClock.now - start < .seconds(15))  // the stream would last 20 s
        }
    }

    @Test("cancelling the consuming task after the first delta ends the stream and closes the connection")
    func cancelClosesConnection() async throws {
        try await withTestServer({ _ in Self.slowStream }) { server in
            let model = try Faults.openAI(server)
            let (firstDelta, signal) = AsyncStream<Void>.makeStream()
            let consumer = Task { () -> Int in
                var count = 0
                do {
                    for try await _ in model.generateStream(Faults.ask, options: GenerateOptions()) {
                        count += 1
                        if count == 1 { signal.yield() }
                    }
                } catch {
                    // Cancellation may surface as an error or as the end of the stream: both are fine.
                }
                return count
            }
            for await _ in firstDelta { break }
            consumer.cancel()
            let received = try await withWatchdog(.seconds(15)) { await consumer.value }
            #expect(received < 10, "the stream kept going after cancellation")
            #expect(await server.waitForClosedConnections(1, within: .seconds(10)), "the server still has the connection open")
        }
    }

    @Test("[DONE] completes the stream even when the server keeps the body open afterwards")
    func doneWithoutEndOfBody() async throws {
        let bytes = TestResponse.sseEvents([Faults.delta("All"), Faults.delta(" here"), "[DONE]"]).flatMap { $0 }
        try await withTestServer({ _ in .stallAfter(bytes: bytes) }) { server in
            let model = try Faults.openAI(server, retry: .none, readTimeout: .seconds(30))
            let start = ContinuousClock.now
            let outcome: Result<String, any Error> = try await withWatchdog {
                do { return .success(try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions()))) }
                catch { return .failure(error) }
            }
            let elapsed = ContinuousClock.now - start
            switch outcome {
            case .success(let text):
                #expect(text == "All here")
                #expect(elapsed < .seconds(15), "the caller waited \(elapsed) after [DONE]")
            case .failure(let error):
                Issue.record("the stream failed after [DONE], \(elapsed) in: \(error)")
            }
        }
    }

    // MARK: Connection reuse

    @Test("consecutive calls, streamed or not, reuse one keep-alive connection")
    func keepAlive() async throws {
        try await withTestServer({ request in
            request.json?["stream"] == .bool(true)
                ? TestResponse.sse([Faults.delta("streamed"), "[DONE]"])
                : TestResponse.json(Faults.completion("whole"))
        }) { server in
            let model = try Faults.openAI(server)
            try await withWatchdog {
                _ = try await model.generate(Faults.ask, options: GenerateOptions())
                #expect(try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions())) == "streamed")
                // The stream ends at [DONE]; the end of its chunked body is read in the background and
                // only then is the connection free. Wait for that rather than race it.
                // The model's configuration: `environment: [:]` is part of it (no proxy, the system roots).
                let transport = HTTPTransport.transport(for: HTTPConfiguration(readTimeout: .seconds(30), totalTimeout: .seconds(30),
                                                                               environment: [:]))
                let deadline = ContinuousClock.now + .seconds(5)
                while transport.idleConnections(to: server.baseURL) == 0, ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                _ = try await model.generate(Faults.ask, options: GenerateOptions())
            }
            #expect(server.requests.count == 3)
            #expect(server.connectionCount == 1)
        }
    }

    // MARK: Secrets

    private static let secret = "sk-secret-123"

    /// Every rendering of `value` a log or crash report could show.
    private static func renderings(_ value: Any) -> [String] {
        [String(describing: value), String(reflecting: value), Faults.dumped(value)]
    }

    @Test("an API key the server echoes in a 401 never appears in the error")
    func keyEchoedInHTTPError() async throws {
        let echo: JSONValue = ["error": ["message": .string("Incorrect API key provided: \(Self.secret)"), "type": "invalid_request_error",
                                         "code": "invalid_api_key"]]
        try await withTestServer({ _ in .json(echo, status: 401) }) { server in
            let model = try Faults.openAI(server, apiKey: Self.secret)
            let error = try await Faults.failure { _ = try await model.generate(Faults.ask, options: GenerateOptions()) }
            #expect(server.requests.first?.headers["authorization"] == "Bearer \(Self.secret)")
            guard case .http(401, let message, _, let body) = error else { Issue.record("got \(error)"); return }
            #expect(message == "Incorrect API key provided: [REDACTED]")
            for text in Self.renderings(error) + [message, body ?? ""] {
                #expect(!text.contains(Self.secret), "leaked in: \(text)")
            }
        }
    }

    @Test("an API key the server echoes JSON-escaped never appears in the error, before or after decoding",
          arguments: [#"\u0073k-secret-123"#, #"\u0073\u006B\u002dsecret-123"#, #"sk-secret\u002D123"#])
    func keyEchoedEscaped(spelling: String) async throws {
        // The raw body never holds the key verbatim, so only redaction after decoding (or of every
        // spelling) keeps the decoded provider message clean.
        let body = #"{"error":{"message":"Incorrect API key provided: "# + spelling + #"","type":"invalid_request_error"}}"#
        try await withTestServer({ _ in .json(text: body, status: 401) }) { server in
            let model = try Faults.openAI(server, apiKey: Self.secret)
            let error = try await Faults.failure { _ = try await model.generate(Faults.ask, options: GenerateOptions()) }
            guard case .http(401, let message, _, let echoed) = error else { Issue.record("got \(error)"); return }
            #expect(message == "Incorrect API key provided: [REDACTED]")
            for text in Self.renderings(error) + [message, echoed ?? ""] {
                #expect(!text.contains(Self.secret) && !text.contains("secret-123"), "leaked in: \(text)")
            }
        }
    }

    @Test("models never print their credentials")
    func modelsDoNotPrintKeys() throws {
        let models: [any Model] = [
            try OpenAIServerModel(modelID: "m", apiBase: "http://127.0.0.1:9/v1", apiKey: Self.secret, environment: [:]),
            try AzureOpenAIServerModel(modelID: "d", azureEndpoint: "http://127.0.0.1:9", apiKey: Self.secret,
                                       apiVersion: "2024-10-21", environment: [:]),
            try AzureOpenAIServerModel(modelID: "d", azureEndpoint: "http://127.0.0.1:9", apiKey: Self.secret, apiVersion: "v1",
                                       environment: [:]),
            try InferenceClientModel(modelID: "m", token: Self.secret, environment: [:]),
            try InferenceClientModel(modelID: "m", token: Self.secret, baseURL: "http://127.0.0.1:9", environment: [:]),
        ]
        for model in models {
            for text in Self.renderings(model) { #expect(!text.contains(Self.secret), "leaked in: \(text)") }
        }
    }

    @Test("an API key echoed inside a 200 answer never appears in the error", arguments: [
        "stream error event", "error object in a 200 body", "undecodable 200 body",
    ])
    func keyEchoedInPayload(_ kind: String) async throws {
        let echo = #"{"error":{"message":"Incorrect API key provided: \#(Self.secret)"}}"#
        let reply: TestResponse = switch kind {
        case "stream error event": .sse([Faults.delta("Hello"), echo, "[DONE]"])
        case "error object in a 200 body": .json(text: echo)
        default: .json(text: "not json, key \(Self.secret)")
        }
        try await withTestServer({ _ in reply }) { server in
            let model = try Faults.openAI(server, apiKey: Self.secret)
            let error = try await Faults.failure {
                if kind == "stream error event" {
                    _ = try await Faults.drain(model.generateStream(Faults.ask, options: GenerateOptions()))
                } else {
                    _ = try await model.generate(Faults.ask, options: GenerateOptions())
                }
            }
            let leaks = Self.renderings(error).filter { $0.contains(Self.secret) }
            #expect(leaks.isEmpty, "leaked in: \(leaks.first ?? "")")
        }
    }

    @Test("an API key with a line break is refused before sending: a typed error naming the header, not the key",
          arguments: ["CRLF and an injected header", "trailing LF", "NUL"])
    func headerInjectionRefused(_ kind: String) async throws {
        // The keys are built here, not passed as arguments, so that they never appear in the test output.
        let key = switch kind {
        case "CRLF and an injected header": "sk-secret-123\r\nX-Injected: 1"
        case "trailing LF": "sk-secret-123\n"
        default: "sk-secret\u{0}123"
        }
        try await withTestServer({ _ in .json(Faults.completion("unreachable")) }) { server in
            let model = try Faults.openAI(server, apiKey: key)
            let error = try await Faults.failure { _ = try await model.generate(Faults.ask, options: GenerateOptions()) }
            guard case .invalidInput(let message, let location) = error else { Issue.record("got \(error)"); return }
            #expect(location == "headers")
            #expect(message.contains("'Authorization'"))
            #expect(server.requests.isEmpty)
            for text in Self.renderings(error) { #expect(!text.contains("secret"), "leaked in: \(text)") }
        }
    }

    @Test("a header name that is not an HTTP token is refused before sending")
    func badHeaderNameRefused() async throws {
        try await withTestServer({ _ in .json(Faults.completion("unreachable")) }) { server in
            let engine = HTTPEngine(configuration: HTTPConfiguration(readTimeout: .seconds(30), totalTimeout: .seconds(30)))
            let request = HTTPEngine.Request(url: server.baseURL + "/v1/chat/completions", headers: [("X Bad", "1")], body: [])
            let error = try await Faults.failure { _ = try await engine.send(request) }
            guard case .invalidInput(let message, "headers") = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("'X Bad'"))
            #expect(server.requests.isEmpty)
        }
    }
}
