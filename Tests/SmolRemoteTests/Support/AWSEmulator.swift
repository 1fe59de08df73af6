import Foundation
import SmolCore
import Synchronization
import Testing

@testable import SmolRemote

/// `scripts/oracles/aws_emulator.py` (STS, SSO, container endpoint, IMDSv2 and a SigV4-verifying Bedrock
/// stand-in on one loopback port), started once per test process with the sdk venv's Python. It stops when
/// the test process ends: it exits when its standard input closes.
final class AWSEmulator: Sendable {
    let base: String
    /// Kept for the life of the test process: its standard input open keeps the emulator running.
    private let oracle: PythonOracle

    private init(_ oracle: PythonOracle) {
        self.oracle = oracle
        base = "http://127.0.0.1:\(oracle.port)"
    }

    static let shared = Task<AWSEmulator, any Error> {
        AWSEmulator(try await PythonOracle.start("aws_emulator.py", venv: "sdk", missing: "is botocore in the sdk venv?"))
    }

    /// How many credential requests named `key` the emulator served.
    func calls(_ key: String) async throws -> Int {
        let url = base + "/_calls?key=" + SigV4Encoding.encode(key)
        let response = try await HTTPEngine.shared.send(HTTPEngine.Request(method: "GET", url: url))
        return try #require(try JSONValue(parsing: response.body)["count"]?.intValue)
    }

    /// The secret key the emulator pairs with `accessKey` (it verifies signatures with it).
    static func secret(_ accessKey: String) -> String {
        String(SigV4Signer.hex(SigV4Signer.hmac(key: Array("secret".utf8), accessKey)).prefix(40))
    }

    /// The session token the emulator pairs with `accessKey`.
    static func token(_ accessKey: String) -> String {
        "tok" + SigV4Signer.hex(SigV4Signer.hmac(key: Array("token".utf8), accessKey))
    }

    /// What the tests compare and print instead of a secret (as the oracle script computes it).
    static func fingerprint(_ secret: String?) -> String? {
        secret.map { SigV4Signer.hex(SigV4Signer.hmac(key: Array("fingerprint".utf8), $0)) }
    }
}

/// botocore's answer for one scenario (`scripts/oracles/aws_credentials_oracle.py`).
struct BotocoreCredentials: Equatable, CustomStringConvertible {
    var method: String?
    var accessKey: String?
    var secretFingerprint: String?
    var tokenFingerprint: String?
    var error: String?
    var message: String?

    var description: String {
        error.map { "error \($0): \(message ?? "")" } ?? "\(method ?? "?") \(accessKey ?? "?")"
    }

    /// Runs the oracle with exactly `environment` (plus `ORACLE_PROFILE` for an explicit profile).
    static func resolve(_ environment: [String: String], profile: String? = nil) async throws -> BotocoreCredentials {
        var environment = environment
        if let profile { environment["ORACLE_PROFILE"] = profile }
        let (status, output, errors) = try await AWSProcessCredentials.run(
            [try PythonOracle.python(venv: "sdk"), PythonOracle.scripts + "/aws_credentials_oracle.py"], environment: environment,
            origin: "oracle")
        guard status == 0 else {
            throw ModelError.unsupported(message: "aws_credentials_oracle.py failed: " + String(decoding: errors, as: UTF8.self))
        }
        let json = try JSONValue(parsing: output)
        #expect(json["botocore_version"] == "1.43.11")
        return BotocoreCredentials(
            method: json["method"]?.stringValue, accessKey: json["access_key"]?.stringValue,
            secretFingerprint: json["secret_fingerprint"]?.stringValue, tokenFingerprint: json["token_fingerprint"]?.stringValue,
            error: json["error"]?.stringValue, message: json["message"]?.stringValue)
    }

    /// The same fields for our credentials.
    static func ours(_ credentials: AWSCredentials, method: String) -> BotocoreCredentials {
        BotocoreCredentials(method: method, accessKey: credentials.accessKeyID,
                            secretFingerprint: AWSEmulator.fingerprint(credentials.secretAccessKey.revealed),
                            tokenFingerprint: AWSEmulator.fingerprint(credentials.sessionToken?.revealed))
    }
}

/// A throwaway home with `.aws/config`, `.aws/credentials` and other files, removed by `remove()`.
struct AWSScenarioHome {
    let path: String

    init(path: String? = nil, files: [String: String]) throws {
        self.path = path ?? FileManager.default.temporaryDirectory.appendingPathComponent("aws-chain-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
        for (relative, content) in files {
            let url = URL(fileURLWithPath: self.path + "/" + relative)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(content.utf8).write(to: url)
            if relative.hasSuffix(".sh") {
                try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
            }
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }
}

/// A clock tests move by hand.
final class TestDateClock: Sendable {
    private let date: Mutex<Date>
    init(_ start: Date = Date()) { date = Mutex(start) }
    var now: Date { date.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { date.withLock { $0 += seconds } }
    var function: @Sendable () -> Date { { self.now } }
}
