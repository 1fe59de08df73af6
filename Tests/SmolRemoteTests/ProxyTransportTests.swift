import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// The test CA, the loopback server certificate it signed (127.0.0.1, localhost) and a client certificate
/// (`Fixtures/proxy-tls`, made by `scripts/fixtures/make_proxy_certs.sh`).
enum ProxyTLS {
    static func path(_ name: String) throws -> String {
        try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/proxy-tls/\(name)").path
    }

    static func text(_ name: String) throws -> String {
        try String(contentsOfFile: try path(name), encoding: .utf8)
    }

    /// Runs `body` with an https upstream on loopback signed by the test CA, answering chat completions.
    static func withUpstream<T>(requireClientCertificate: Bool = false,
                                _ body: (TestTLSServer) async throws -> T) async throws -> T {
        try await withTLSTestServer(certificatePEM: try text("server.pem"), privateKeyPEM: try text("server.key"),
                                    clientCAPEM: requireClientCertificate ? try text("ca.pem") : nil,
                                    { _ in RouterFixtures.completion("hello through TLS") }, body)
    }
}

private let question = [ChatMessage(role: .user, content: "Hi")]
private let proxyPassword = "hunter22-proxy-pass"

/// An OpenAI model at `base` with only `environment` (no process variables), short timeouts, no retries.
private func model(_ base: String, environment: [String: String], http: HTTPConfiguration = HTTPConfiguration())
    throws -> OpenAIServerModel
{
    var http = http
    http.connectTimeout = .seconds(5)
    http.totalTimeout = .seconds(20)
    return try OpenAIServerModel(modelID: "m", apiBase: base + "/v1", apiKey: "sk-test-key", retry: .none, http: http,
                                 environment: environment)
}

/// The error a call throws (a test failure when it succeeds or throws something else).
private func failure(_ model: OpenAIServerModel) async -> ModelError? {
    do {
        _ = try await withWatchdog { try await model.generate(question, options: GenerateOptions()) }
        Issue.record("the call succeeded")
        return nil
    } catch let error as ModelError {
        return error
    } catch {
        Issue.record("not a ModelError: \(error)")
        return nil
    }
}

@Suite("Proxies: requests go through a real forward proxy (tinyproxy)", .serialized, .timeLimit(.minutes(3)))
struct ProxyTransportTests {
    @Test("an https origin is reached through a CONNECT tunnel; TLS runs end to end with the test CA")
    func connectTunnel() async throws {
        try await withTinyProxy { proxy in
            try await ProxyTLS.withUpstream { upstream in
                let env = ["HTTPS_PROXY": proxy.url(), "SSL_CERT_FILE": try ProxyTLS.path("ca.pem")]
                let answer = try await withWatchdog {
                    try await model(upstream.baseURL, environment: env).generate(question, options: GenerateOptions())
                }
                #expect(answer.content?.text == "hello through TLS")
                #expect(proxy.requestLines.contains("CONNECT 127.0.0.1:\(upstream.port) HTTP/1.1"), "\(proxy.requestLines)")
                #expect(upstream.requests.first?.uri == "/v1/chat/completions")
                #expect(upstream.requests.first?.headers["authorization"] == "Bearer sk-test-key")
            }
        }
    }

    @Test("an http origin gets absolute-form requests through the proxy")
    func absoluteForm() async throws {
        try await withTinyProxy { proxy in
            try await withTestServer({ _ in RouterFixtures.completion("hello plain") }) { upstream in
                let answer = try await withWatchdog {
                    try await model(upstream.baseURL, environment: ["http_proxy": proxy.url()])
                        .generate(question, options: GenerateOptions())
                }
                #expect(answer.content?.text == "hello plain")
                #expect(proxy.requestLines.contains("POST http://127.0.0.1:\(upstream.port)/v1/chat/completions HTTP/1.1"),
                        "\(proxy.requestLines)")
                #expect(upstream.requests.count == 1)
            }
        }
    }

    @Test("proxy basic auth: the right credentials work for CONNECT and for http, and never reach the origin")
    func basicAuth() async throws {
        try await withTinyProxy(basicAuth: ("alice", proxyPassword)) { proxy in
            try await ProxyTLS.withUpstream { upstream in
                let env = ["HTTPS_PROXY": proxy.url(credentials: "alice:\(proxyPassword)"),
                           "SSL_CERT_FILE": try ProxyTLS.path("ca.pem")]
                let answer = try await withWatchdog {
                    try await model(upstream.baseURL, environment: env).generate(question, options: GenerateOptions())
                }
                #expect(answer.content?.text == "hello through TLS")
                #expect(upstream.requests.first?.headers["proxy-authorization"] == nil)
            }
            try await withTestServer({ _ in RouterFixtures.completion("hello plain") }) { upstream in
                // Credentials from the configuration rather than the URL.
                let server = ProxyServer(host: "127.0.0.1", port: proxy.port, username: "alice", password: Secret(proxyPassword))
                let http = HTTPConfiguration(proxy: ProxyConfiguration(server))
                let answer = try await withWatchdog {
                    try await model(upstream.baseURL, environment: [:], http: http).generate(question, options: GenerateOptions())
                }
                #expect(answer.content?.text == "hello plain")
                #expect(upstream.requests.first?.headers["proxy-authorization"] == nil, "tinyproxy strips it")
            }
        }
    }

    @Test("wrong or missing proxy credentials: an authentication error naming the proxy, never the password")
    func wrongCredentials() async throws {
        try await withTinyProxy(basicAuth: ("alice", proxyPassword)) { proxy in
            try await ProxyTLS.withUpstream { upstream in
                let wrong = "alice:wrong-\(proxyPassword)"
                for env in [["HTTPS_PROXY": proxy.url(credentials: wrong)], ["HTTPS_PROXY": proxy.url()]] {
                    let error = await failure(try model(upstream.baseURL, environment: env))
                    guard case .authentication(let message)? = error else {
                        Issue.record("expected an authentication error, got \(String(describing: error))")
                        continue
                    }
                    #expect(message.contains("proxy authentication required"))
                    #expect(message.contains(proxy.address), "names the proxy: \(message)")
                    #expect(!message.contains("\(upstream.port)"), "not the origin: \(message)")
                    #expect(!"\(error!)".contains(proxyPassword))
                }
                #expect(upstream.requests.isEmpty)
            }
            try await withTestServer({ _ in RouterFixtures.completion("never") }) { upstream in
                // A GET: tinyproxy answers a POST's head without reading its body, and the reset that closing
                // it causes can overtake the 407. tinyproxy 1.11 also answers *wrong* credentials on a plain
                // request with 401 (407 is the proxy's status; a 401 could be the origin's), so the 407 path is
                // checked with missing credentials.
                let engine = HTTPEngine(configuration: HTTPConfiguration(connectTimeout: .seconds(5), totalTimeout: .seconds(20),
                                                                         retry: .none, environment: ["HTTP_PROXY": proxy.url()]))
                do {
                    _ = try await engine.send(HTTPEngine.Request(method: "GET", url: upstream.baseURL + "/v1/models"))
                    Issue.record("the request succeeded without proxy credentials")
                } catch let error as ModelError {
                    guard case .authentication(let message) = error else {
                        Issue.record("expected an authentication error, got \(error)")
                        return
                    }
                    #expect(message.contains("407") && message.contains(proxy.address), "\(message)")
                }
                // Wrong credentials on a POST: whatever tinyproxy answers, the password never shows.
                let wrong = await failure(try model(upstream.baseURL,
                                                    environment: ["HTTP_PROXY": proxy.url(credentials: "alice:bad-\(proxyPassword)")]))
                #expect(wrong != nil && !"\(wrong!)".contains(proxyPassword))
                if case .connection(let message)? = wrong { #expect(message.contains("through the proxy \(proxy.address)"), "\(message)") }
                #expect(upstream.requests.isEmpty)
            }
        }
    }

    @Test("NO_PROXY sends the request direct: the proxy's log shows nothing for it")
    func noProxyBypass() async throws {
        try await withTinyProxy { proxy in
            try await withTestServer({ _ in RouterFixtures.completion("direct") }) { upstream in
                for list in ["127.0.0.1", "127.0.0.0/8", "*", "127.0.0.1:\(upstream.port)"] {
                    let env = ["HTTP_PROXY": proxy.url(), "NO_PROXY": list]
                    let answer = try await withWatchdog {
                        try await model(upstream.baseURL, environment: env).generate(question, options: GenerateOptions())
                    }
                    #expect(answer.content?.text == "direct")
                }
                #expect(proxy.requestLines.isEmpty, "\(proxy.requestLines)")
                #expect(upstream.requests.count == 4)
                // A NO_PROXY for another port does not bypass.
                let env = ["HTTP_PROXY": proxy.url(), "no_proxy": "127.0.0.1:1"]
                _ = try await withWatchdog {
                    try await model(upstream.baseURL, environment: env).generate(question, options: GenerateOptions())
                }
                #expect(proxy.requestLines.count == 1)
            }
        }
    }

    @Test("a CONNECT the proxy cannot complete is a connection error naming the proxy and the status")
    func tunnelRefused() async throws {
        try await withTinyProxy { proxy in
            let closedPort = try ChildServer.freePort()
            let error = await failure(try model("https://127.0.0.1:\(closedPort)", environment: ["HTTPS_PROXY": proxy.url()]))
            guard case .connection(let message)? = error else {
                Issue.record("expected a connection error, got \(String(describing: error))")
                return
            }
            #expect(message.contains("the proxy \(proxy.address)") && message.contains("HTTP 5"), "\(message)")
        }
    }

    @Test("a proxy that refuses the connection is a connection error naming the proxy, not the origin")
    func proxyDown() async throws {
        let port = try ChildServer.freePort()
        let env = ["HTTPS_PROXY": "http://bob:\(proxyPassword)@127.0.0.1:\(port)"]
        let error = await failure(try model("https://api.example.invalid", environment: env))
        guard case .connection(let message)? = error else {
            Issue.record("expected a connection error, got \(String(describing: error))")
            return
        }
        #expect(message.contains("the proxy 127.0.0.1:\(port)") && message.contains("refused"), "\(message)")
        #expect(!message.contains("example.invalid") && !"\(error!)".contains(proxyPassword) && !message.contains("bob"))
    }

    @Test("a malformed proxy variable fails the request with an invalidInput naming the variable, no secret")
    func malformedVariable() async throws {
        let env = ["https_proxy": "socks5://carol:\(proxyPassword)@127.0.0.1:1080"]
        let error = await failure(try model("https://api.example.invalid", environment: env))
        guard case .invalidInput(let message, let location)? = error else {
            Issue.record("expected invalidInput, got \(String(describing: error))")
            return
        }
        #expect(location == "https_proxy" && message.contains("SOCKS"))
        #expect(!"\(error!)".contains(proxyPassword))
    }

    @Test("the hub downloader goes through the same proxy")
    func hubDownloader() async throws {
        try await withTinyProxy { proxy in
            try await withTestServer({ _ in .json(["sha": "0123abcd", "siblings": [["rfilename": "config.json"]]]) }) { hub in
                let downloader = HubDownloader(environment: ["HF_ENDPOINT": hub.baseURL, "HTTP_PROXY": proxy.url()])
                let cache = FileManager.default.temporaryDirectory.appendingPathComponent("smol-hub-\(UUID().uuidString)").path
                defer { try? FileManager.default.removeItem(atPath: cache) }
                _ = try? await withWatchdog { try await downloader.download(repository: "o/m", revision: "main", hubCache: cache) }
                #expect(proxy.requestLines.contains { $0.hasPrefix("GET http://127.0.0.1:\(hub.port)/api/models/o/m/revision/main") },
                        "\(proxy.requestLines)")
            }
        }
    }
}
