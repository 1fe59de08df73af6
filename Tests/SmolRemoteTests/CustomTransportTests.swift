import Foundation
import NIOCore
import SmolAsyncHTTPClient
import SmolCore
import Synchronization
import Testing

@testable import SmolRemote

/// An application's transport that answers from a script and records what the engine asked of it.
private final class ScriptedTransport: HTTPClientTransport {
    typealias Answer = @Sendable (TransportRequest) async throws -> TransportResponse
    private let answers: Mutex<[Answer]>
    let sent = Mutex<[TransportRequest]>([])

    init(_ answers: [Answer]) { self.answers = Mutex(answers) }

    func send(_ request: TransportRequest) async throws -> TransportResponse {
        sent.withLock { $0.append(request) }
        let answer = answers.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        guard let answer else { throw ModelError.connection(message: "the script has no more answers") }
        return try await answer(request)
    }
}

private func json(_ text: String, status: Int = 200, headers: [(String, String)] = []) -> ScriptedTransport.Answer {
    { _ in TransportResponse(status: status, headers: [("content-type", "application/json")] + headers, body: Array(text.utf8)) }
}

private let completion = #"{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1,"total_tokens":4}}"#

private let quickRetries = RetryPolicy(maxAttempts: 3, backoff: .exponential(initial: .milliseconds(1), multiplier: 1,
                                                                            maximum: .milliseconds(1), jitter: 0))

private func engine(_ transport: any HTTPClientTransport, totalTimeout: Duration? = .seconds(30)) -> HTTPEngine {
    var configuration = HTTPConfiguration(totalTimeout: totalTimeout, retry: quickRetries)
    configuration.transport = transport
    return HTTPEngine(configuration: configuration)
}

private func post(_ url: String = "https://api.example.test/v1/chat/completions") -> HTTPEngine.Request {
    HTTPEngine.Request(url: url, headers: [("Authorization", "Bearer sk-secret-123"), ("Content-Type", "application/json")],
                       body: Array(#"{"model":"m"}"#.utf8))
}

@Suite("An application's own transport (HTTPConfiguration.transport): the engine keeps its policy", .timeLimit(.minutes(2)))
struct CustomTransportTests {
    @Test("the engine retries a 503 from a custom transport, then returns the 200, and asks for no compression")
    func retriesStayInTheEngine() async throws {
        let transport = ScriptedTransport([json(#"{"error":{"message":"busy"}}"#, status: 503), json(completion)])
        let response = try await engine(transport).send(post())
        #expect(response.status == 200)
        let sent = transport.sent.withLock { $0 }
        #expect(sent.count == 2)
        #expect(sent.allSatisfy { request in !request.headers.contains { $0.0.lowercased() == "accept-encoding" } })
        #expect(sent.first?.headers.contains { $0.0 == "content-length" && $0.1 == "13" } == true)
        #expect(sent.first?.connectTimeout == .seconds(10))
        #expect((sent.first?.timeout ?? .zero) > .seconds(29))
    }

    @Test("a redirect is followed by the engine, and credentials do not follow it to another host")
    func redirectsStayInTheEngine() async throws {
        let transport = ScriptedTransport([
            { _ in TransportResponse(status: 307, headers: [("location", "https://elsewhere.test/v1/x")], body: [UInt8]()) },
            json(completion),
        ])
        _ = try await engine(transport).send(post())
        let sent = transport.sent.withLock { $0 }
        #expect(sent.map(\.url) == ["https://api.example.test/v1/chat/completions", "https://elsewhere.test/v1/x"])
        #expect(sent.last?.headers.contains { $0.0.lowercased() == "authorization" } == false)
        #expect(sent.last?.method == "POST")
    }

    @Test("an error status from a custom transport is a typed HTTP error with the key redacted")
    func errorsAreTypedAndRedacted() async throws {
        let transport = ScriptedTransport([json(#"{"error":{"message":"bad key sk-secret-123"}}"#, status: 401)])
        let error = await modelError { _ = try await engine(transport).send(post(), secrets: [Secret("sk-secret-123")]) }
        #expect(error?.status == 401)
        #expect(error.map { !"\($0)".contains("sk-secret-123") } == true)
    }

    @Test("a ModelError thrown by a custom transport keeps its kind and loses the key")
    func thrownModelErrorsAreRedacted() async throws {
        let transport = ScriptedTransport([{ _ in throw ModelError.authentication(message: "bad key sk-secret-123") }])
        let error = await modelError { _ = try await engine(transport).send(post(), secrets: [Secret("sk-secret-123")]) }
        guard case .authentication(let message)? = error else {
            Issue.record("expected an authentication error, got \(String(describing: error))")
            return
        }
        #expect(!message.contains("sk-secret-123") && message.contains("bad key"))
    }

    @Test("a foreign error from a custom transport becomes a retried connection error naming the host")
    func foreignErrorsAreConnectionErrors() async throws {
        struct SocketGone: Error {}
        let transport = ScriptedTransport(Array(repeating: { _ in throw SocketGone() }, count: 3))
        let error = await modelError { _ = try await engine(transport).send(post()) }
        guard case .connection(let message)? = error else {
            Issue.record("expected a connection error, got \(String(describing: error))")
            return
        }
        #expect(message.contains("api.example.test"))
        #expect(transport.sent.withLock { $0.count } == 3)
    }

    @Test("a custom transport that never answers is cut by the engine's total timeout")
    func totalTimeoutHoldsOverACustomTransport() async throws {
        let transport = ScriptedTransport([{ _ in
            try await Task.sleep(for: .seconds(60))
            throw CancellationError()
        }])
        let started = ContinuousClock.now
        let error = await modelError { _ = try await engine(transport, totalTimeout: .milliseconds(300)).send(post()) }
        guard case .timeout? = error else {
            Issue.record("expected a timeout, got \(String(describing: error))")
            return
        }
        #expect(ContinuousClock.now - started < .seconds(20))
    }

    @Test("a body over the size limit from a custom transport is a decoding error, not an unbounded read")
    func bodyLimitHolds() async throws {
        let big = [UInt8](repeating: 0x61, count: HTTPEngine.maximumBodySize + 1)
        let transport = ScriptedTransport([{ _ in TransportResponse(status: 200, headers: [], body: big) }])
        let error = await modelError { _ = try await engine(transport).send(post()) }
        guard case .decoding? = error else {
            Issue.record("expected a decoding error, got \(String(describing: error))")
            return
        }
    }

    @Test("OpenAIServerModel generates and streams through AsyncHTTPClient against a real loopback server")
    func asyncHTTPClientTransportEndToEnd() async throws {
        let events = [
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"}}]}"#,
            #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"lo"},"finish_reason":"stop"}]}"#,
            "[DONE]",
        ]
        try await withTestServer({ request in
            request.json?["stream"]?.boolValue == true ? .sse(events) : .json(text: completion)
        }) { server in
            var http = HTTPConfiguration()
            http.transport = AsyncHTTPClientTransport()
            let model = try OpenAIServerModel(modelID: "m", apiBase: server.baseURL + "/v1", apiKey: "sk-test", http: http,
                                              environment: [:])
            let message = try await model.generate([ChatMessage(role: .user, text: "hi")])
            #expect(message.content?.text == "hi")
            #expect(message.tokenUsage?.outputTokens == 1)
            var text = ""
            for try await delta in model.generateStream([ChatMessage(role: .user, text: "hi")]) { text += delta.content ?? "" }
            #expect(text == "Hello")
            #expect(server.requests.first?.headers["authorization"] == "Bearer sk-test")
        }
    }

    @Test("AsyncHTTPClientTransport returns a redirect to the engine instead of following it")
    func asyncHTTPClientLeavesRedirectsToTheEngine() async throws {
        try await withTestServer({ request in
            request.path == "/old" ? .redirect(status: 302, location: "/new") : .json(text: completion)
        }) { server in
            var configuration = HTTPConfiguration(retry: quickRetries)
            configuration.transport = AsyncHTTPClientTransport()
            let response = try await HTTPEngine(configuration: configuration)
                .send(HTTPEngine.Request(method: "GET", url: server.baseURL + "/old"))
            #expect(response.status == 200)
            #expect(server.requests.map(\.path) == ["/old", "/new"])
        }
    }
}
