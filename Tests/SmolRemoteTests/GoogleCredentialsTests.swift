import CryptoExtras
import Foundation
import SmolCore
import Synchronization
import Testing

@testable import SmolRemote

/// Google service-account credentials → signed JWT → OAuth token, against what google-auth did for the same test
/// key (`Fixtures/litellm-vertex`, recorded by scripts/oracles/record_litellm_vertex.py) and a loopback token
/// endpoint.
enum VertexFixtures {
    static let folder = GoldenFixtureFolder(path: "Fixtures/litellm-vertex")

    /// The test service account's JSON with `token_uri` pointing at `tokenURI`.
    static func serviceAccountJSON(tokenURI: String) throws -> String {
        var object = try #require(try folder.load("service-account").objectValue)
        object["token_uri"] = .string(tokenURI)
        return JSONEmitter().string(from: .object(object))
    }

    static func serviceAccount(tokenURI: String = "http://127.0.0.1:1/token") throws -> GoogleServiceAccount {
        guard case .serviceAccount(let account) = try GoogleCredentials(json: try serviceAccountJSON(tokenURI: tokenURI),
                                                                         source: "test") else {
            throw GoldenError("the fixture is not a service account")
        }
        return account
    }

    static var privateKeyPEM: String { get throws { try #require(try folder.load("service-account")["private_key"]?.stringValue) } }

    /// The token endpoint's canned answer.
    static func tokenReply() throws -> JSONValue { try #require(try folder.load("token-exchange")["reply"]) }

    /// The form fields of a token request, in order.
    static func form(_ request: RecordedRequest) -> [(String, String)] {
        request.bodyText.split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }

    /// The JSON in one base64url segment of a JWT.
    static func jwtSegment(_ segment: Substring) throws -> JSONValue {
        var text = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return try JSONValue(parsing: Array(try #require(Data(base64Encoded: text))))
    }
}

/// A clock tests move by hand.
final class TestTime: Sendable {
    private let value = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var now: Date { value.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { value.withLock { $0 += seconds } }
}

@Suite("Google credentials: service-account JWT and OAuth token exchange")
struct GoogleCredentialsTests {
    @Test("the signed JWT is byte for byte the one google-auth made from the same key and time")
    func assertionEqualsGoogleAuth() throws {
        let exchange = try VertexFixtures.folder.load("token-exchange")
        let issuedAt = try #require(exchange["jwt_claims"]?["iat"]?.intValue)
        let assertion = try GoogleJWT.assertion(for: try VertexFixtures.serviceAccount(), issuedAt: issuedAt)
        #expect(assertion == exchange["assertion"]?.stringValue)
    }

    @Test("a token request is google-auth's: form fields in order, a JWT whose signature the account's public key verifies")
    func tokenRequest() async throws {
        let reply = try VertexFixtures.tokenReply()
        let exchange = try VertexFixtures.folder.load("token-exchange")
        try await withTestServer({ _ in .json(reply) }) { server in
            let account = try VertexFixtures.serviceAccount(tokenURI: server.baseURL + "/token")
            let time = Date(timeIntervalSince1970: 1_800_000_000)
            let token = try await GoogleTokenExchange.token(for: .serviceAccount(account), scope: GoogleJWT.cloudPlatformScope,
                                                            http: HTTPEngine(configuration: HTTPConfiguration(environment: [:])), now: time)
            #expect(token.value.revealed == reply["access_token"]?.stringValue)
            #expect(token.expiry == time.addingTimeInterval(3599))
            let request = try #require(server.requests.first)
            #expect(request.method == "POST" && request.path == exchange["path"]?.stringValue)
            #expect(request.headers["content-type"] == exchange["content_type"]?.stringValue)
            let form = VertexFixtures.form(request)
            #expect(form.map(\.0) == exchange["form_order"]?.arrayValue?.compactMap(\.stringValue))
            #expect(form.first { $0.0 == "grant_type" }?.1 == exchange["grant_type"]?.stringValue)
            let jwt = try #require(form.first { $0.0 == "assertion" }?.1).split(separator: ".")
            try #require(jwt.count == 3)
            #expect(try VertexFixtures.jwtSegment(jwt[0]) == exchange["jwt_header"])
            var claims = try #require(try VertexFixtures.jwtSegment(jwt[1]).objectValue)
            #expect(claims["iat"] == .int(1_800_000_000) && claims["exp"] == .int(1_800_003_600))
            var expectedClaims = try #require(exchange["jwt_claims"]?.objectValue)
            for key in ["iat", "exp"] { claims[key] = nil; expectedClaims[key] = nil }
            #expect(claims == expectedClaims)
            // The signature: RSASSA-PKCS1-v1_5 over "header.claims" with SHA-256, checked with the public key.
            let publicKey = try _RSA.Signing.PrivateKey(pemRepresentation: try VertexFixtures.privateKeyPEM).publicKey
            var signature = String(jwt[2]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while signature.count % 4 != 0 { signature += "=" }
            let valid = publicKey.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: try #require(Data(base64Encoded: signature))),
                for: Data("\(jwt[0]).\(jwt[1])".utf8), padding: .insecurePKCS1v1_5)
            #expect(valid)
        }
    }

    @Test("google-auth itself verifies a JWT signed now (signature, issuer, audience, expiry) and rejects a tampered one")
    func googleAuthVerifies() async throws {
        let cache = ProcessInfo.processInfo.environment["SMOL_CACHE"]
            ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/swift-smolagents"
        let python = cache + "/venv-sdk/bin/python"  // google-genai's venv holds google-auth
        try #require(FileManager.default.isExecutableFile(atPath: python), "run `bash scripts/oracles/setup.sh sdk`")
        let account = try VertexFixtures.serviceAccount()
        let assertion = try GoogleJWT.assertion(for: account, issuedAt: Int(Date().timeIntervalSince1970))
        var tampered = Array(assertion)
        tampered[tampered.count - 10] = tampered[tampered.count - 10] == "A" ? "B" : "A"
        let script = """
            import json, sys
            from google.auth import jwt
            data = json.load(sys.stdin)
            out = []
            for token in data["tokens"]:
                try:
                    out.append({"claims": jwt.decode(token, certs=data["key"], audience=data["audience"]),
                                "header": jwt.decode_header(token)})
                except ValueError as error:
                    out.append({"error": str(error)})
            json.dump(out, sys.stdout)
            """
        let publicKey = try _RSA.Signing.PrivateKey(pemRepresentation: try VertexFixtures.privateKeyPEM).publicKey.pemRepresentation
        let input: JSONValue = ["tokens": [.string(assertion), .string(String(tampered))], "key": .string(publicKey),
                                "audience": .string(GoogleJWT.audience)]
        let process = Process(), stdin = Pipe(), stdout = Pipe()
        (process.executableURL, process.arguments) = (URL(fileURLWithPath: python), ["-c", script])
        process.environment = ["HOME": NSTemporaryDirectory()]
        (process.standardInput, process.standardOutput, process.standardError) = (stdin, stdout, FileHandle.nullDevice)
        try process.run()
        stdin.fileHandleForWriting.write(Data(JSONEmitter().string(from: input).utf8))
        try stdin.fileHandleForWriting.close()
        let data: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: stdout.fileHandleForReading.readDataToEndOfFile()) }
        }
        let answers = try #require(try JSONValue(parsing: [UInt8](data)).arrayValue)
        try #require(answers.count == 2)
        #expect(answers[0]["error"] == nil, "\(answers[0])")
        #expect(answers[0]["claims"]?["iss"]?.stringValue == account.clientEmail)
        #expect(answers[0]["claims"]?["scope"]?.stringValue == GoogleJWT.cloudPlatformScope)
        #expect(answers[0]["header"]?["kid"]?.stringValue == account.privateKeyID)
        #expect(answers[1]["error"]?.stringValue?.contains("signature") == true, "\(answers[1])")
    }

    @Test("concurrent callers share one token exchange; the token is reused until 225 s before it expires")
    func cachedUntilExpiry() async throws {
        let reply = try VertexFixtures.tokenReply()
        try await withTestServer({ _ in
            try? await Task.sleep(for: .milliseconds(50))  // keeps the first exchange in flight while others ask
            return .json(reply)
        }) { server in
            let credentials = GoogleCredentials.serviceAccount(try VertexFixtures.serviceAccount(tokenURI: server.baseURL + "/token"))
            let time = TestTime()
            let http = HTTPEngine(configuration: HTTPConfiguration(environment: [:]))
            let provider = GoogleAccessTokenProvider(description: credentials.description, now: { time.now }) {
                () throws(GoogleCredentialsError) in
                try await GoogleTokenExchange.token(for: credentials, scope: GoogleJWT.cloudPlatformScope, http: http, now: time.now)
            }
            let tokens = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<16 { group.addTask { try await provider.token().revealed } }
                return try await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(Set(tokens) == [reply["access_token"]?.stringValue ?? "?"])
            #expect(server.requests.count == 1)
            time.advance(3599 - 226)
            _ = try await provider.token()
            #expect(server.requests.count == 1, "still more than the margin left: no new exchange")
            time.advance(2)
            _ = try await provider.token()
            #expect(server.requests.count == 2, "inside the margin: a new exchange")
        }
    }

    @Test("a caller cancelled while the token exchange runs stops waiting at once; the others still get the token")
    func cancelledWaiter() async throws {
        try await withTestGate { gate in
            let provider = GoogleAccessTokenProvider(description: "a test account", now: { Date() }) {
                () throws(GoogleCredentialsError) in
                await gate.wait()
                return .init(value: Secret("ya29.token"), expiry: Date().addingTimeInterval(3600))
            }
            let patient = Task { try await provider.token().revealed }
            let error = try await errorWhenCancelledWhileWaiting { _ = try await provider.token() }
            #expect(!gate.isOpen, "the cancelled caller waited for the exchange")
            #expect("\(String(describing: error))".contains("cancelled"))
            gate.open()
            #expect(try await patient.value == "ya29.token")
        }
    }

    @Test("a refused exchange names the endpoint and OAuth's reason, never the assertion or the key")
    func refusedExchange() async throws {
        let refusal: JSONValue = ["error": "invalid_grant", "error_description": "Invalid JWT Signature."]
        try await withTestServer({ _ in .json(refusal, status: 400) }) { server in
            let account = try VertexFixtures.serviceAccount(tokenURI: server.baseURL + "/token")
            let provider = GoogleAccessTokenProvider(credentials: .serviceAccount(account),
                                                     http: HTTPEngine(configuration: HTTPConfiguration(retry: .none, environment: [:])))
            let error = try await #require(throws: GoogleCredentialsError.self) { try await provider.token() }
            let text = "\(error)"
            #expect(text.contains(server.baseURL + "/token") && text.contains("HTTP 400"))
            #expect(text.contains("invalid_grant") && text.contains("Invalid JWT Signature."))
            let tokenRequest = try #require(server.requests.first)
            let assertion = try #require(VertexFixtures.form(tokenRequest).first { $0.0 == "assertion" }?.1)
            #expect(!text.contains(assertion) && !text.contains(String(assertion.split(separator: ".")[2])))
            #expect(!text.contains("PRIVATE KEY"))
        }
    }

    @Test("an authorized user (gcloud's ADC) exchanges its refresh token as google-auth does")
    func authorizedUser() async throws {
        try await withTestServer({ _ in .json(["access_token": "user-token", "expires_in": 3600]) }) { server in
            let json = #"{"type": "authorized_user", "client_id": "cid.apps.googleusercontent.com", "client_secret": "shh-secret", "refresh_token": "1//refresh-secret", "quota_project_id": "quota-p", "token_uri": "\#(server.baseURL)/token"}"#
            let credentials = try GoogleCredentials(json: json, source: "test")
            #expect(credentials.projectID == "quota-p")
            #expect(!"\(credentials)".contains("secret"))
            let token = try await GoogleAccessTokenProvider(credentials: credentials,
                                                            http: HTTPEngine(configuration: HTTPConfiguration(environment: [:]))).token()
            #expect(token.revealed == "user-token")
            let form = VertexFixtures.form(try #require(server.requests.first))
            #expect(form.map(\.0) == ["grant_type", "client_id", "client_secret", "refresh_token"])
            #expect(form.map(\.1) == ["refresh_token", "cid.apps.googleusercontent.com", "shh-secret", "1//refresh-secret"])
        }
    }

    @Test("missing, unreadable and broken credentials are errors that name the setting or file and hold no secret")
    func credentialErrors() throws {
        let missing = try #require(throws: ModelError.self) {
            try VertexSettings.resolve(parameters: [:], apiBase: nil, environment: [:])
        }
        #expect(missing.message.contains("vertex_credentials") && missing.message.contains("GOOGLE_APPLICATION_CREDENTIALS"))

        let path = "/nonexistent/smol-\(UUID().uuidString).json"
        let unreadable = try #require(throws: ModelError.self) {
            try VertexSettings.resolve(parameters: [:], apiBase: nil, environment: ["GOOGLE_APPLICATION_CREDENTIALS": path])
        }
        #expect(unreadable.message.contains(path) && unreadable.message.contains("GOOGLE_APPLICATION_CREDENTIALS"))

        // A key that is there but truncated: the message says what is wrong, not what the file holds.
        let pem = try VertexFixtures.privateKeyPEM
        let broken = #"{"type": "service_account", "client_email": "a@b.iam.gserviceaccount.com", "private_key": "\#(pem.prefix(120))"#
        let invalid = try #require(throws: ModelError.self) {
            try VertexSettings.resolve(parameters: ["vertex_credentials": .value(.string(broken))], apiBase: nil, environment: [:])
        }
        #expect(invalid.message.contains("vertex_credentials") && !invalid.message.contains("PRIVATE KEY"))
        #expect(!invalid.message.contains(String(pem.dropFirst(40).prefix(40))))

        // A value that is neither JSON nor a file (here base64 of the key) is never echoed; a byte-order mark is no content.
        let encoded = Data(pem.utf8).base64EncodedString()
        let unrecognised = try #require(throws: GoogleCredentialsError.self) { try GoogleCredentials.load(encoded, from: "VERTEXAI_CREDENTIALS") }
        #expect("\(unrecognised)".contains("VERTEXAI_CREDENTIALS") && !"\(unrecognised)".contains(String(encoded.prefix(24))))
        let withMark = "\u{FEFF}" + (try VertexFixtures.serviceAccountJSON(tokenURI: "http://127.0.0.1:1/token"))
        guard case .serviceAccount = try GoogleCredentials.load(withMark, from: "vertex_credentials") else {
            throw GoldenError("a byte-order mark before inline JSON was not skipped")
        }

        let badKey = try VertexFixtures.serviceAccountJSON(tokenURI: "http://127.0.0.1:1/token")
            .replacingOccurrences(of: "MII", with: "XII")
        let credentials = try GoogleCredentials.load(badKey, from: "vertex_credentials")
        guard case .serviceAccount(let account) = credentials else { throw GoldenError("not a service account") }
        let signing = try #require(throws: GoogleCredentialsError.self) { try GoogleJWT.assertion(for: account, issuedAt: 0) }
        #expect("\(signing)".contains("private_key") && !"\(signing)".contains("XII"))
        #expect(!"\(credentials)".contains("PRIVATE") && !"\(account)".contains("PRIVATE"))

        let external = try #require(throws: GoogleCredentialsError.self) {
            try GoogleCredentials(json: #"{"type": "external_account", "audience": "x"}"#, source: "f.json")
        }
        #expect("\(external)".contains("external_account") && "\(external)".contains("f.json"))
    }
}
