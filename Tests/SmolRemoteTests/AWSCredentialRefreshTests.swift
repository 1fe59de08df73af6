import Foundation
import SmolCore
import Synchronization
import Testing

@testable import SmolRemote

/// A fetch that counts its calls and hands out `ASIAREFRESH<n>` valid for `lifetime` seconds from `clock`.
private final class CountingFetch: Sendable {
    let calls = Mutex(0)
    let failing = Mutex(false)
    let clock: TestDateClock
    let lifetime: TimeInterval
    let delay: Duration

    init(clock: TestDateClock, lifetime: TimeInterval = 3600, delay: Duration = .zero) {
        (self.clock, self.lifetime, self.delay) = (clock, lifetime, delay)
    }

    var fetch: AWSCredentialsProvider.Fetch {
        { () throws(ModelError) in
            let number = self.calls.withLock { count in count += 1; return count }
            if self.delay > .zero { try? await Task.sleep(for: self.delay) }
            if self.failing.withLock({ $0 }) { throw .authentication(message: "the source is down") }
            return AWSCredentials(accessKeyID: "ASIAREFRESH\(number)", secretAccessKey: Secret("s\(number)"), sessionToken: Secret("t\(number)"),
                                  expiration: self.clock.now.addingTimeInterval(self.lifetime))
        }
    }
}

@Suite("AWS credential refresh and failures")
struct AWSCredentialRefreshTests {
    @Test("credentials are reused until 15 minutes before expiry, then refreshed")
    func advisoryRefresh() async throws {
        let clock = TestDateClock()
        let source = CountingFetch(clock: clock)
        let provider = AWSCredentialsProvider(method: "test", now: clock.function, fetch: source.fetch)
        #expect(try await provider.credentials().accessKeyID == "ASIAREFRESH1")
        clock.advance(44 * 60)
        #expect(try await provider.credentials().accessKeyID == "ASIAREFRESH1")
        clock.advance(2 * 60)  // 14 minutes left: inside the advisory window
        #expect(try await provider.credentials().accessKeyID == "ASIAREFRESH2")
        #expect(source.calls.withLock { $0 } == 2)
    }

    @Test("a failed refresh in the advisory window keeps the current credentials; in the mandatory window it is thrown")
    func failedRefresh() async throws {
        let clock = TestDateClock()
        let source = CountingFetch(clock: clock)
        let provider = AWSCredentialsProvider(method: "test", now: clock.function, fetch: source.fetch)
        _ = try await provider.credentials()
        source.failing.withLock { $0 = true }
        clock.advance(48 * 60)  // 12 minutes left
        #expect(try await provider.credentials().accessKeyID == "ASIAREFRESH1")
        clock.advance(4 * 60)  // 8 minutes left
        await #expect(throws: ModelError.self) { _ = try await provider.credentials() }
        source.failing.withLock { $0 = false }
        #expect(try await provider.credentials().accessKeyID == "ASIAREFRESH4")
    }

    @Test("concurrent requests share one refresh (single flight)")
    func singleFlight() async throws {
        let clock = TestDateClock()
        let source = CountingFetch(clock: clock, delay: .milliseconds(200))
        let provider = AWSCredentialsProvider(method: "test", now: clock.function, fetch: source.fetch)
        let keys = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<16 { group.addTask { try await provider.credentials().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(keys == ["ASIAREFRESH1"])
        #expect(source.calls.withLock { $0 } == 1)
    }

    @Test("a caller cancelled while it waits for a refresh stops waiting at once; the others still get the credentials")
    func cancelledWaiter() async throws {
        try await withTestGate { gate in
            let clock = TestDateClock()
            let source = CountingFetch(clock: clock)
            let provider = AWSCredentialsProvider(method: "test", now: clock.function) { () throws(ModelError) in
                await gate.wait()
                return try await source.fetch()
            }
            let patient = Task { try await provider.credentials().accessKeyID }
            let error = try await errorWhenCancelledWhileWaiting { _ = try await provider.credentials() }
            #expect(!gate.isOpen, "the cancelled caller waited for the refresh")
            guard case .cancelled? = error as? ModelError else {
                Issue.record("expected ModelError.cancelled, got \(String(describing: error))")
                return
            }
            gate.open()
            #expect(try await patient.value == "ASIAREFRESH1")
            #expect(source.calls.withLock { $0 } == 1)
            #expect(try await provider.credentials().accessKeyID == "ASIAREFRESH1")  // the refresh's result was kept
        }
    }

    @Test("credentials that are already expired when fetched are an error, not used")
    func expiredOnArrival() async throws {
        let clock = TestDateClock()
        let source = CountingFetch(clock: clock, lifetime: -60)
        let provider = AWSCredentialsProvider(method: "test", now: clock.function, fetch: source.fetch)
        await #expect(throws: ModelError.self) { _ = try await provider.credentials() }
    }

    @Test("fixed credentials with an expiration are used until the mandatory window, then are an error")
    func fixedCredentialsExpire() async throws {
        let soon = AWSCredentials(accessKeyID: "ASIAFIXED", secretAccessKey: "s", sessionToken: "t",
                                  expiration: Date().addingTimeInterval(12 * 60))
        #expect(try await AWSCredentialsProvider(credentials: soon).credentials().accessKeyID == "ASIAFIXED")
        var expiring = soon
        expiring.expiration = Date().addingTimeInterval(5 * 60)
        await #expect(throws: ModelError.self) { _ = try await AWSCredentialsProvider(credentials: expiring).credentials() }
    }

    @Test("an STS role is assumed again before it expires, and concurrent callers cause one AssumeRole call")
    func stsRefreshThroughEmulator() async throws {
        let emulator = try await AWSEmulator.shared.value
        let role = "arn:aws:iam::123456789012:role/rotating-\(UUID().uuidString.prefix(8))"
        let home = try AWSScenarioHome(files: [
            ".aws/config": "[default]\nrole_arn = \(role)\nsource_profile = base\nregion = us-east-1\n",
            ".aws/credentials": AWSChainScenario.baseProfile,
        ])
        defer { home.remove() }
        let clock = TestDateClock()
        let resolver = AWSCredentialResolver(environment: ["AWS_ENDPOINT_URL_STS": emulator.base], homeDirectory: home.path)
        let provider = try resolver.provider(now: clock.function)
        #expect(provider.method == "assume-role")
        let first = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<8 { group.addTask { try await provider.credentials().accessKeyID } }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(first.count == 1 && first.first?.hasSuffix("N1") == true, "\(first)")
        #expect(try await emulator.calls(role) == 1)
        clock.advance(50 * 60)
        let second = try await provider.credentials()
        #expect(second.accessKeyID.hasSuffix("N2"))
        #expect(second.sessionToken?.revealed == AWSEmulator.token(second.accessKeyID))
        #expect(try await emulator.calls(role) == 2)
    }

    @Test("off EC2, instance metadata fails fast and the missing-credentials error arrives within seconds")
    func instanceMetadataFailsFast() async throws {
        let home = try AWSScenarioHome(files: [:])
        defer { home.remove() }
        // The real link-local address: nothing answers here, as on any machine that is not an EC2 instance.
        let model = try AmazonBedrockServerModel(modelID: "m", region: "us-east-1", endpointURL: "http://127.0.0.1:9",
                                                 retry: .none, environment: ["HOME": home.path], homeDirectory: home.path)
        let start = ContinuousClock.now
        do {
            _ = try await model.generate([ChatMessage(role: .user, text: "hi")], options: GenerateOptions())
            Issue.record("expected no credentials")
        } catch {
            guard case .authentication(let message)? = error as? ModelError else { Issue.record("got \(error)"); return }
            #expect(message.contains("EC2 instance metadata at http://169.254.169.254"), "\(message)")
        }
        #expect(ContinuousClock.now - start < .seconds(4))
    }

    @Test("AWS_EC2_METADATA_DISABLED=true makes a missing credential an error at once, naming every place searched")
    func metadataDisabled() throws {
        let home = try AWSScenarioHome(files: [:])
        defer { home.remove() }
        do {
            _ = try AmazonBedrockServerModel(modelID: "m", region: "us-east-1",
                                             environment: ["AWS_EC2_METADATA_DISABLED": "true"], homeDirectory: home.path)
            Issue.record("expected an authentication error")
        } catch {
            guard case .authentication(let message) = error else { Issue.record("got \(error)"); return }
            #expect(message.contains("disabled by AWS_EC2_METADATA_DISABLED"), "\(message)")
        }
    }

    @Test("bad credential sources are typed errors that name the variable or file and show no secret",
          arguments: [
            ("env", ["AWS_ACCESS_KEY_ID": "AKIDOLD", "AWS_SECRET_ACCESS_KEY": "old-secret-value", "AWS_CREDENTIAL_EXPIRATION": "2020-01-01T00:00:00Z"],
             [String: String](), "AWS_CREDENTIAL_EXPIRATION"),
            ("web", ["AWS_WEB_IDENTITY_TOKEN_FILE": "$HOME/missing-token", "AWS_ROLE_ARN": "arn:aws:iam::1:role/r"],
             [:], "$HOME/missing-token"),
            ("sso", ["AWS_PROFILE": "sso"],
             [".aws/config": "[profile sso]\nsso_start_url = https://x.awsapps.com/start\nsso_region = us-east-1\nsso_account_id = 1\nsso_role_name = R\n",
              ".aws/sso/cache/\(AWSSSOCredentials.cacheKey("https://x.awsapps.com/start")).json": #"{"accessToken": "sso-secret-token-value", "expiresAt": "2020-01-01T00:00:00Z"}"#],
             "aws sso login"),
            ("container", ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://127.0.0.1:9/x", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE": "$HOME/nope"],
             [:], "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
            ("process", ["AWS_PROFILE": "p"], [".aws/config": "[profile p]\ncredential_process = /bin/sh -c 'echo oops-secret-value >&2; exit 3'\n"],
             "credential_process of profile p exited with status 3"),
            ("source", ["AWS_PROFILE": "r"], [".aws/config": "[profile r]\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = ghost\n"],
             "source_profile \"ghost\""),
          ] as [(String, [String: String], [String: String], String)])
    func badSources(_ name: String, _ environment: [String: String], _ files: [String: String], _ mention: String) async throws {
        let home = try AWSScenarioHome(files: files)
        defer { home.remove() }
        var env = environment.mapValues { $0.replacingOccurrences(of: "$HOME", with: home.path) }
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        let resolver = AWSCredentialResolver(environment: env, homeDirectory: home.path)
        var message = ""
        do {
            _ = try await resolver.provider().credentials()
            Issue.record("\(name): expected an error")
        } catch {
            guard case .authentication(let text) = error else { Issue.record("\(name): got \(error)"); return }
            message = text
        }
        #expect(message.contains(mention.replacingOccurrences(of: "$HOME", with: home.path)), "\(name): \(message)")
        for secret in ["old-secret-value", "sso-secret-token-value", "oops-secret-value"] { #expect(!message.contains(secret)) }
    }

    @Test("RELATIVE_URI is resolved on the container host, FULL_URI on plain http must be loopback or a container host")
    func containerURLs() throws {
        #expect(AWSContainerCredentials.allowed("http://127.0.0.1:8080/creds"))
        #expect(AWSContainerCredentials.allowed("http://169.254.170.23/v1/credentials"))
        #expect(AWSContainerCredentials.allowed("http://[::1]:80/x"))
        #expect(AWSContainerCredentials.allowed("https://anything.example/x"))
        #expect(!AWSContainerCredentials.allowed("http://example.com/x"))
        #expect(!AWSContainerCredentials.allowed("http://10.0.0.1/x"))
        let context = AWSCredentialContext(
            resolver: AWSCredentialResolver(environment: ["AWS_CONTAINER_CREDENTIALS_FULL_URI": "http://10.0.0.1/x"], homeDirectory: "/nonexistent"),
            profile: "default", fallbackRegion: nil, now: { Date() })
        #expect(throws: ModelError.self) { _ = try AWSContainerCredentials.provider(context: context) }
    }
}
