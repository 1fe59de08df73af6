import Foundation
import SmolCore

/// What the credential providers share: the shared config as botocore sees it, endpoints, HTTP and parsing.
struct AWSCredentialContext: Sendable {
    /// The environment, home and file paths.
    var resolver: AWSCredentialResolver
    /// The config file's profiles with the credentials file's profiles merged in (botocore's `full_config`).
    var profiles: [String: [String: String]]
    /// The credentials file's profiles (botocore's `SharedCredentialProvider` reads only that file).
    var credentialsFileProfiles: [String: [String: String]]
    /// The config file's profiles (botocore's `ConfigProvider` reads only that file).
    var configFileProfiles: [String: [String: String]]
    /// The config file's `[sso-session NAME]` sections.
    var ssoSessions: [String: [String: String]]
    /// The profile the chain was asked for.
    var profile: String
    /// The region STS is called in when neither `AWS_DEFAULT_REGION` nor the profile sets one.
    var fallbackRegion: String?
    /// The clock refresh decisions and signatures use.
    var now: @Sendable () -> Date
    /// Where the container endpoint's relative URI is resolved (``AWSCredentialResolver``'s `containerHost`).
    var containerHost: String

    init(resolver: AWSCredentialResolver, profile: String, fallbackRegion: String?, now: @escaping @Sendable () -> Date) {
        self.resolver = resolver
        self.profile = profile
        self.fallbackRegion = fallbackRegion
        self.now = now
        containerHost = resolver.containerHost
        let config = resolver.parse(resolver.configFilePath)
        let credentials = resolver.parse(resolver.credentialsFilePath)
        configFileProfiles = AWSCredentialResolver.configProfiles(config)
        credentialsFileProfiles = AWSCredentialResolver.credentialsProfiles(credentials)
        var merged = configFileProfiles
        for (name, settings) in credentialsFileProfiles { merged[name, default: [:]].merge(settings) { $1 } }
        profiles = merged
        var sessions: [String: [String: String]] = [:]
        for (section, settings) in config?.sections ?? [] where section.hasPrefix("sso-session") {
            let words = AWSINIFile.shellWords(section)
            if words.count == 2 { sessions[words[1], default: [:]].merge(settings) { $1 } }
        }
        ssoSessions = sessions
    }

    /// A non-empty environment variable.
    func env(_ name: String) -> String? {
        guard let value = resolver.environment[name], !value.isEmpty else { return nil }
        return value
    }

    /// A setting of the chain's profile: the environment variable first, then the profile (botocore's config chain).
    func setting(_ key: String, env name: String) -> String? {
        env(name) ?? profiles[profile]?[key].flatMap { $0.isEmpty ? nil : $0 }
    }

    /// The region of STS calls: `AWS_DEFAULT_REGION`, the profile's `region` (botocore's session region), else
    /// the caller's region (where botocore would fail with "You must specify a region").
    var stsRegion: String { setting("region", env: "AWS_DEFAULT_REGION") ?? fallbackRegion ?? "us-east-1" }

    /// A service's endpoint as botocore configures it: `AWS_ENDPOINT_URL_<SERVICE>`, `AWS_ENDPOINT_URL`, the
    /// profile's `endpoint_url` (unless `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS` is true), else `defaultURL`.
    func endpoint(service: String, default defaultURL: String) -> String {
        let ignore = setting("ignore_configured_endpoint_urls", env: "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?
            .lowercased() == "true"
        var url = defaultURL
        if !ignore, let configured = env("AWS_ENDPOINT_URL_\(service.uppercased())") ?? env("AWS_ENDPOINT_URL")
            ?? profiles[profile]?["endpoint_url"].flatMap({ $0.isEmpty ? nil : $0 }) {
            url = configured
        }
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    /// The DNS suffix of a region's partition.
    static func dnsSuffix(_ region: String) -> String { region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com" }

    /// An engine for a credential endpoint: short timeouts, no redirects, and `attempts` tries in all with
    /// `pause` between them (connection errors, 408, 429 and 5xx are retried).
    static func engine(timeout: Duration, attempts: Int = 1, pause: Duration = .zero) -> HTTPEngine {
        let retry = RetryPolicy(maxAttempts: attempts, backoff: .exponential(initial: pause, multiplier: 1, maximum: pause, jitter: 0))
        return HTTPEngine(configuration: HTTPConfiguration(
            connectTimeout: timeout, readTimeout: timeout, totalTimeout: (timeout + pause) * max(attempts, 1) * 2,
            retry: retry, maximumRedirects: 0, decompression: false))
    }
}

/// Parsing shared by the providers.
enum AWSCredentialParsing {
    /// An ISO 8601 time (`2026-12-07T21:00:00Z`, with or without fractional seconds or an offset).
    static func date(_ text: String) -> Date? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds]] {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            if let date = formatter.date(from: trimmed) { return date }
        }
        return nil
    }

    /// The text of the first `<tag>…</tag>` in `xml`, entities decoded; STS answers nest no markup in values.
    static func xmlValue(_ tag: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(tag)>"), let close = xml.range(of: "</\(tag)>", range: open.upperBound..<xml.endIndex)
        else { return nil }
        return String(xml[open.upperBound..<close.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&#xD;", with: "\r").replacingOccurrences(of: "&amp;", with: "&")
    }

    /// Credentials from a JSON object's fields (`AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration`), or
    /// an error naming the missing field and `origin`, never a value.
    static func credentials(
        _ json: JSONValue, origin: String, keys: (id: String, secret: String, token: String, expiration: String),
        tokenRequired: Bool = true, expirationRequired: Bool = true
    ) throws(ModelError) -> AWSCredentials {
        func field(_ name: String, required: Bool) throws(ModelError) -> String? {
            guard let value = json[name]?.stringValue, !value.isEmpty else {
                if required { throw .authentication(message: "\(origin) answered without \(name)") }
                return nil
            }
            return value
        }
        let id = try field(keys.id, required: true) ?? ""
        let secret = try field(keys.secret, required: true) ?? ""
        let token = try field(keys.token, required: tokenRequired)
        var expiration: Date?
        if let text = try field(keys.expiration, required: expirationRequired) {
            guard let date = date(text) else {
                throw .authentication(message: "\(origin) answered with an unreadable \(keys.expiration) '\(text)'")
            }
            expiration = date
        }
        return AWSCredentials(accessKeyID: id, secretAccessKey: Secret(secret), sessionToken: token.map { Secret($0) },
                              expiration: expiration)
    }

    /// `body` parsed as a JSON object, or an error naming `origin` (the body is not quoted: it may hold secrets).
    static func json(_ body: [UInt8], origin: String) throws(ModelError) -> JSONValue {
        guard let value = try? JSONValue(parsing: body), value.objectValue != nil else {
            throw .authentication(message: "\(origin) answered with something that is not a JSON object (\(body.count) bytes)")
        }
        return value
    }

    /// An HTTP failure as an authentication error that says which call failed; the provider's message is kept
    /// (the engine already removed the secrets it was given).
    static func failure(_ error: any Error, call: String) -> ModelError {
        guard let error = error as? ModelError else { return .authentication(message: "\(call) failed: \(type(of: error))") }
        switch error {
        case .http(let status, let message, _, let body):
            let code = body.flatMap { xmlValue("Code", in: $0) }
            let text = body.flatMap { xmlValue("Message", in: $0) } ?? message
            return .authentication(message: "\(call) failed with HTTP \(status)\(code.map { " \($0)" } ?? ""): \(text)")
        case .connection(let message), .timeout(let message):
            return .authentication(message: "\(call) failed: \(message)")
        case .cancelled:
            return .cancelled
        default:
            return error
        }
    }
}
