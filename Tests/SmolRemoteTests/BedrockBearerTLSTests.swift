import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// The boto3 bearer-over-TLS fixture (`scripts/oracles/record_bedrock_bearer_tls.py`) and its test-only
/// certificate and key.
enum BedrockBearerTLS {
    static var directory: URL? { Bundle.module.resourceURL?.appendingPathComponent("Fixtures/bedrock/golden-tls") }

    static func text(_ name: String) throws -> String {
        String(decoding: try Data(contentsOf: try #require(directory).appendingPathComponent(name)), as: UTF8.self)
    }

    static func fixture() throws -> JSONValue { try JSONValue(parsing: Array(try text("bearer.json").utf8)) }

    /// The fixture's model with its API key, aimed at `endpoint`, with no environment and an empty home;
    /// `trusting` is the extra root certificate PEM (none: the system roots only).
    static func model(_ fixture: JSONValue, endpoint: String, trusting pem: String?,
                      connectTimeout: Duration, totalTimeout: Duration) throws -> AmazonBedrockServerModel {
        let client = try #require(fixture["client"])
        return try AmazonBedrockServerModel(
            modelID: try #require(fixture["swift"]?["model_id"]?.stringValue), region: client["region"]?.stringValue,
            apiKey: try #require(client["api_key"]?.stringValue), endpointURL: endpoint, retry: .none,
            http: HTTPConfiguration(connectTimeout: connectTimeout, readTimeout: .seconds(20), totalTimeout: totalTimeout,
                                    trustedRootCertificatesPEM: pem),
            environment: [:], homeDirectory: try BedrockGolden.emptyHome())
    }

    /// Runs the fixture's call against a TLS server presenting the test certificate; returns the answer
    /// (or the error) and what the server received.
    /// A handshake that fails is retried by AsyncHTTPClient until `connectTimeout`.
    static func run(trusting pem: String?, connectTimeout: Duration = .seconds(5), totalTimeout: Duration = .seconds(30))
        async throws -> (Result<ChatMessage, any Error>, [RecordedRequest])
    {
        let fixture = try fixture()
        let swift = try #require(fixture["swift"])
        let messages = try BedrockGolden.messages(swift)
        let options = try BedrockGolden.options(swift)
        let responses = try BedrockGolden.responses()
        return try await withTLSTestServer(certificatePEM: try text("cert.pem"), privateKeyPEM: try text("key.pem"), {
            BedrockGolden.reply(to: $0, responses: responses, stream: [])
        }) { server in
            let model = try model(fixture, endpoint: server.baseURL, trusting: pem, connectTimeout: connectTimeout,
                                  totalTimeout: totalTimeout)
            let result: Result<ChatMessage, any Error>
            do {
                result = .success(try await withWatchdog(.seconds(30)) { try await model.generate(messages, options: options) })
            } catch {
                result = .failure(error)
            }
            return (result, server.requests)
        }
    }
}

@Suite("Bedrock API key over TLS: AmazonBedrockServerModel sends boto3's bearer request", .timeLimit(.minutes(2)))
struct BedrockBearerTLSTests {
    @Test("the boto3 bearer fixture and its test certificate are bundled")
    func fixtureIsPresent() throws {
        let fixture = try BedrockBearerTLS.fixture()
        #expect(fixture["sdk"]?.stringValue?.hasPrefix("boto3 ") == true)
        #expect(fixture["request"]?["headers"]?["authorization"]?.stringValue == "Bearer bedrock-api-key-golden")
        #expect(fixture["request"]?["headers"]?["x-amz-date"] == nil)
        #expect(try BedrockBearerTLS.text("cert.pem").contains("-----BEGIN CERTIFICATE-----"))
        #expect(try BedrockBearerTLS.text("key.pem").contains("PRIVATE KEY-----"))
    }

    @Test("an API key puts boto3's bearer request on the wire over TLS to a server trusted by its PEM root")
    func bearerRequestMatchesBoto3() async throws {
        let fixture = try BedrockBearerTLS.fixture()
        let (result, requests) = try await BedrockBearerTLS.run(trusting: try BedrockBearerTLS.text("cert.pem"))
        let answer = try result.get()
        let want = try #require(fixture["request"])
        try #require(requests.count == 1, "expected one request, got \(requests.map(\.uri))")
        let got = requests[0]
        #expect(got.method == want["method"]?.stringValue)
        #expect(got.path == want["path"]?.stringValue, "raw, percent-encoded path")
        #expect(got.headers["authorization"] == "Bearer bedrock-api-key-golden")
        #expect(got.headers["authorization"] == want["headers"]?["authorization"]?.stringValue)
        #expect(got.headers["content-type"] == want["headers"]?["content-type"]?.stringValue)
        #expect(got.headers["x-amz-date"] == nil, "nothing is signed with a bearer token")
        #expect(got.headers["x-amz-security-token"] == nil)
        let differences = jsonDifferences(expected: want["body"], actual: got.json, path: "body")
        #expect(differences.isEmpty, "the body differs from boto3's:\n\(differences.joined(separator: "\n"))")
        #expect(answer.text == "Let me look that up.")
        #expect(answer.finishReason == "tool_use")
    }

    @Test("without the test certificate trusted, the request fails certificate verification with a typed error")
    func untrustedCertificateFailsTyped() async throws {
        let (result, requests) = try await BedrockBearerTLS.run(trusting: nil, connectTimeout: .seconds(10), totalTimeout: .seconds(25))
        guard case .failure(let error) = result else {
            Issue.record("the request succeeded against an untrusted certificate")
            return
        }
        let modelError = try #require(error as? ModelError, "not a ModelError: \(error)")
        // The handshake fails at once; the generous timeouts only keep a loaded machine from turning that into a timeout.
        guard case .connection(let message) = modelError else {
            Issue.record("expected a connection error, got \(modelError)")
            return
        }
        #expect(message.contains("CERTIFICATE_VERIFY_FAILED"), "\(message)")
        #expect(!"\(modelError)".contains("bedrock-api-key-golden"), "the key never appears in an error")
        #expect(requests.isEmpty, "no request gets past the handshake")
    }

    @Test("a malformed trusted-root PEM is rejected by validation, and fails closed on the wire without crashing")
    func malformedPEMFailsClosed() async throws {
        let bad = "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n"
        #expect(throws: ModelError.invalidInput(message: "trustedRootCertificatesPEM holds no valid PEM certificate",
                                                location: "trustedRootCertificatesPEM")) {
            try HTTPConfiguration(trustedRootCertificatesPEM: bad).validateTrustedRootCertificates()
        }
        #expect(throws: Never.self) {
            try HTTPConfiguration(trustedRootCertificatesPEM: try BedrockBearerTLS.text("cert.pem"))
                .validateTrustedRootCertificates()
        }
        let (result, requests) = try await BedrockBearerTLS.run(trusting: bad, connectTimeout: .seconds(10), totalTimeout: .seconds(25))
        guard case .failure(let error) = result else {
            Issue.record("the request succeeded with a malformed trusted root")
            return
        }
        // Fails closed: no root is trusted at all, so even the otherwise valid test certificate is refused.
        guard case .connection(let message)? = error as? ModelError else {
            Issue.record("expected a connection error, got \(error)")
            return
        }
        #expect(message.contains("CERTIFICATE_VERIFY_FAILED"), "\(message)")
        #expect(requests.isEmpty)
    }
}
