import Foundation
import SmolCore
import Testing

@testable import SmolRemote

private let question = [ChatMessage(role: .user, content: "Hi")]

/// Asks the upstream once with `environment` and `http`; returns the answer's text or the error.
private func ask(_ upstream: TestTLSServer, environment: [String: String], http: HTTPConfiguration = HTTPConfiguration())
    async throws -> Result<String?, ModelError>
{
    var http = http
    http.connectTimeout = .seconds(5)
    http.totalTimeout = .seconds(20)
    let model = try OpenAIServerModel(modelID: "m", apiBase: upstream.baseURL + "/v1", apiKey: "sk-test-key", retry: .none,
                                      http: http, environment: environment)
    do {
        return .success(try await withWatchdog { try await model.generate(question, options: GenerateOptions()) }.content?.text)
    } catch let error as ModelError {
        return .failure(error)
    }
}

/// A fresh temporary directory, removed by the caller.
private func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("smol-tls-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

@Suite("TLS trust and client certificates: SSL_CERT_FILE, SSL_CERT_DIR, caBundlePath, mutual TLS", .timeLimit(.minutes(2)))
struct TLSTrustTests {
    @Test("SSL_CERT_FILE naming the test CA makes its server trusted; without it the handshake is refused")
    func sslCertFile() async throws {
        try await ProxyTLS.withUpstream { upstream in
            let trusted = try await ask(upstream, environment: ["SSL_CERT_FILE": try ProxyTLS.path("ca.pem")])
            #expect(try trusted.get() == "hello through TLS")
            let untrusted = try await ask(upstream, environment: [:])
            guard case .failure(.connection(let message)) = untrusted else {
                Issue.record("expected a connection error, got \(untrusted)")
                return
            }
            #expect(message.contains("TLS"), "\(message)")
        }
    }

    @Test("caBundlePath replaces the roots and wins over SSL_CERT_FILE")
    func caBundlePath() async throws {
        try await ProxyTLS.withUpstream { upstream in
            let http = HTTPConfiguration(caBundlePath: try ProxyTLS.path("ca.pem"))
            let answer = try await ask(upstream, environment: ["SSL_CERT_FILE": "/nonexistent/bundle.pem"], http: http)
            #expect(try answer.get() == "hello through TLS")
        }
    }

    @Test("SSL_CERT_DIR: an OpenSSL hashed directory holding the test CA", .enabled(if: Self.openssl != nil))
    func sslCertDir() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: try ProxyTLS.path("ca.pem"), toPath: directory + "/test-ca.pem")
        let rehash = Process()
        rehash.executableURL = URL(fileURLWithPath: try #require(Self.openssl))
        rehash.arguments = ["rehash", directory]
        try rehash.run()
        rehash.waitUntilExit()
        try await ProxyTLS.withUpstream { upstream in
            let answer = try await ask(upstream, environment: ["SSL_CERT_DIR": directory])
            #expect(try answer.get() == "hello through TLS")
        }
    }

    static var openssl: String? {
        ["/usr/bin/openssl", "/usr/local/bin/openssl"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    @Test("mutual TLS: the client certificate and key are presented; without them the server refuses")
    func clientCertificate() async throws {
        try await ProxyTLS.withUpstream(requireClientCertificate: true) { upstream in
            let ca = try ProxyTLS.path("ca.pem")
            let withCertificate = HTTPConfiguration(caBundlePath: ca, clientCertificatePath: try ProxyTLS.path("client.pem"),
                                                    clientPrivateKeyPath: try ProxyTLS.path("client.key"))
            #expect(try await ask(upstream, environment: [:], http: withCertificate).get() == "hello through TLS")

            // One file holding certificate and key, as requests' `cert=` and curl's `--cert` accept.
            let directory = try temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let combined = directory + "/client-with-key.pem"
            try (try ProxyTLS.text("client.pem") + ProxyTLS.text("client.key")).write(toFile: combined, atomically: true, encoding: .utf8)
            let oneFile = HTTPConfiguration(caBundlePath: ca, clientCertificatePath: combined)
            #expect(try await ask(upstream, environment: [:], http: oneFile).get() == "hello through TLS")

            let before = upstream.requests.count
            let without = try await ask(upstream, environment: [:], http: HTTPConfiguration(caBundlePath: ca))
            #expect(throws: ModelError.self) { try without.get() }
            #expect(upstream.requests.count == before)
        }
    }

    @Test("an unreadable or malformed CA or key file is an invalidInput naming the variable or setting and the file")
    func badFiles() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let garbage = directory + "/garbage.pem"
        try "not a certificate -----BEGIN PRIVATE KEY----- c2VjcmV0LWtleS1ieXRlcw==".write(toFile: garbage, atomically: true, encoding: .utf8)
        try await ProxyTLS.withUpstream { upstream in
            let cases: [(environment: [String: String], http: HTTPConfiguration, location: String, file: String)] = [
                (["SSL_CERT_FILE": "/nonexistent/ca.pem"], HTTPConfiguration(), "SSL_CERT_FILE", "/nonexistent/ca.pem"),
                (["SSL_CERT_FILE": garbage], HTTPConfiguration(), "SSL_CERT_FILE", garbage),
                (["SSL_CERT_DIR": garbage], HTTPConfiguration(), "SSL_CERT_DIR", garbage),
                ([:], HTTPConfiguration(caBundlePath: directory + "/missing.pem"), "caBundlePath", directory + "/missing.pem"),
                ([:], HTTPConfiguration(clientCertificatePath: garbage), "clientCertificatePath", garbage),
                ([:], HTTPConfiguration(clientCertificatePath: try ProxyTLS.path("client.pem"), clientPrivateKeyPath: garbage),
                 "clientPrivateKeyPath", garbage),
            ]
            for item in cases {
                let result = try await ask(upstream, environment: item.environment, http: item.http)
                guard case .failure(.invalidInput(let message, let location)) = result else {
                    Issue.record("\(item.location): expected invalidInput, got \(result)")
                    continue
                }
                #expect(location == item.location)
                #expect(message.contains(item.location) && message.contains(item.file), "\(message)")
                #expect(!message.contains("c2VjcmV0"), "never the file's contents")
            }
            #expect(upstream.requests.isEmpty)
        }
    }
}
