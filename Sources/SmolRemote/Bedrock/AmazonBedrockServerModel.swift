import Foundation
import SmolCore

/// smolagents' `AmazonBedrockServerModel` (alias `AmazonBedrockModel`), on Bedrock's Converse and
/// ConverseStream APIs, without the AWS SDK.
///
/// Requests are signed with SigV4 (service `bedrock`) from credentials resolved as botocore resolves
/// them: explicit keys, else botocore's default chain (environment, assume-role, web identity, IAM Identity
/// Center, the shared credentials and config files, `credential_process`, the container endpoint, EC2
/// instance metadata; see ``AWSCredentialResolver``), refreshed before they expire by one
/// ``AWSCredentialsProvider`` shared by every request. Or they carry a Bedrock API key as a bearer token
/// (`apiKey` or `AWS_BEARER_TOKEN_BEDROCK`; HTTPS only, as botocore insists). The region comes from
/// `region`, `AWS_REGION`, `AWS_DEFAULT_REGION` or the profile. Conversations are sent as real Converse
/// turns (see ``ConverseCodec``); pass smolagents' mapping (every role → user) as `roleConversions` to
/// get its behaviour. Throttling and 5xx are retried with ``/SmolCore/RetryPolicy``.
public struct AmazonBedrockServerModel: Model {
    public let modelID: String?
    /// The runtime endpoint, `https://bedrock-runtime.{region}.amazonaws.com` unless overridden.
    public let endpoint: String
    /// The region requests are signed for.
    public let region: String
    public var streamsIncrementally: Bool { true }

    private enum Authentication: Sendable {
        case sigV4(AWSCredentialsProvider)
        case bearer(Secret)
    }

    private let authentication: Authentication
    private let http: HTTPEngine
    private let parameters: ModelParameters
    private let roleConversions: [MessageRole: MessageRole]
    private let clock: @Sendable () -> Date

    /// smolagents' default role mapping for Bedrock: every message becomes a user message.
    public static let smolagentsRoleConversions: [MessageRole: MessageRole] = [
        .system: .user, .assistant: .user, .toolCall: .user, .toolResponse: .user,
    ]

    /// Creates a model.
    ///
    /// - Parameters:
    ///   - modelID: A model or inference-profile id (`us.anthropic.claude-3-5-haiku-20241022-v1:0`) or ARN.
    ///   - region: The AWS region; default from the environment or the profile.
    ///   - credentials: Explicit credentials; default resolved as botocore does.
    ///   - credentialsProvider: A provider to share with other models (it refreshes once for all of them);
    ///     used when `credentials` is `nil`. Default: a new one from the chain.
    ///   - profile: The shared-config profile; default `AWS_DEFAULT_PROFILE`, then `AWS_PROFILE`, then `default`.
    ///   - apiKey: A Bedrock API key (bearer); default `AWS_BEARER_TOKEN_BEDROCK`. Used instead of SigV4.
    ///   - endpointURL: Overrides the endpoint (VPC endpoints, tests).
    ///   - roleConversions: Role mapping applied before building turns.
    ///   - retry: Retry policy (`RetryPolicy.none` is smolagents' `retry=False`).
    ///   - parameters: Model-level parameters: `inferenceConfig`, `guardrailConfig`,
    ///     `additionalModelRequestFields`, or plain `max_tokens`/`temperature`/`top_p`.
    ///   - http: Timeouts, redirects, hooks.
    ///   - environment: Where credentials, region and profile variables are read (the process environment by default).
    ///   - homeDirectory: Where `~/.aws` is looked for (default: the user's home).
    ///   - clock: The time used to sign requests (tests pass a fixed date).
    public init(
        modelID: String, region: String? = nil, credentials: AWSCredentials? = nil,
        credentialsProvider: AWSCredentialsProvider? = nil, profile: String? = nil,
        apiKey: String? = nil, endpointURL: String? = nil, roleConversions: [MessageRole: MessageRole] = [:],
        retry: RetryPolicy = .default, parameters: ModelParameters = [:], http: HTTPConfiguration = HTTPConfiguration(),
        environment: [String: String] = ProcessInfo.processInfo.environment, homeDirectory: String? = nil,
        clock: @escaping @Sendable () -> Date = { Date() }
    ) throws(ModelError) {
        let resolver = AWSCredentialResolver(environment: environment, homeDirectory: homeDirectory)
        guard let resolvedRegion = try resolver.region(region, profile: profile) else {
            throw .invalidInput(message: "No AWS region: pass region, set AWS_REGION or AWS_DEFAULT_REGION, or set region in the profile '\(resolver.profileName(profile))' of \(resolver.configFilePath)", location: "region")
        }
        var base = endpointURL ?? "https://bedrock-runtime.\(resolvedRegion).amazonaws.com"
        while base.hasSuffix("/") { base.removeLast() }
        if let key = apiKey ?? environment["AWS_BEARER_TOKEN_BEDROCK"], !key.isEmpty {
            guard base.lowercased().hasPrefix("https://") else {
                throw .invalidInput(message: "Bearer authorization requires an HTTPS endpoint", location: "endpointURL")
            }
            authentication = .bearer(Secret(key))
        } else {
            if let credentials {
                authentication = .sigV4(AWSCredentialsProvider(credentials: credentials))
            } else if let credentialsProvider {
                authentication = .sigV4(credentialsProvider)
            } else {
                authentication = .sigV4(try resolver.provider(profile: profile, region: resolvedRegion))
            }
        }
        // The proxy and TLS variables come from the same environment as the keys.
        var configuration = http.inheriting(environment: environment)
        configuration.retry = retry
        self.modelID = modelID
        self.region = resolvedRegion
        self.endpoint = base
        self.http = HTTPEngine(configuration: configuration)
        self.parameters = parameters
        self.roleConversions = roleConversions
        self.clock = clock
    }

    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await GenAITracing.traced(provider: "aws.bedrock", model: modelID, options: options, modelParameters: parameters,
                                      tracer: http.configuration.tracer) {
            let (request, secrets) = try await request(messages, options: options, operation: "converse")
            let response = try await http.send(request, secrets: secrets)
            do {
                return try ConverseCodec.decodeResponse(response.body)
            } catch let error as ModelError {
                throw error.redacted(secrets)
            }
        }
    }

    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let model = self
        let stream = ConverseStreamSource(open: {
            let (request, secrets) = try await model.request(messages, options: options, operation: "converse-stream")
            return (try await model.http.stream(request, secrets: secrets), secrets)
        }).stream
        return GenAITracing.traced(provider: "aws.bedrock", model: modelID, options: options, modelParameters: parameters,
                                   tracer: http.configuration.tracer, stream: stream)
    }

    /// The signed request for one operation (signed with fresh credentials when they are about to expire).
    func request(_ messages: [ChatMessage], options: GenerateOptions, operation: String) async throws
        -> (HTTPEngine.Request, [Secret])
    {
        let body = try ConverseCodec.requestBody(messages: messages, options: options, modelParameters: parameters,
                                                 roleConversions: roleConversions)
        let bytes = JSONEmitter().bytes(from: .object(body))
        let id = (modelID ?? "").addingPercentEncoding(withAllowedCharacters: Self.pathSegmentAllowed) ?? ""
        let url = "\(endpoint)/model/\(id)/\(operation)"
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        var secrets: [Secret] = []
        switch authentication {
        case .bearer(let key):
            headers.append(("Authorization", "Bearer \(key.revealed)"))
            secrets.append(key)
        case .sigV4(let provider):
            let credentials = try await provider.credentials()
            let signer = SigV4Signer(credentials: credentials, region: region, service: "bedrock")
            headers = signer.sign(method: "POST", url: url, headers: headers, body: bytes, date: clock())
            secrets.append(credentials.secretAccessKey)
            if let token = credentials.sessionToken { secrets.append(token) }
        }
        headers.append(("User-Agent", "swift-smolagents/\(SmolVersion.current)"))
        return (HTTPEngine.Request(method: "POST", url: url, headers: headers, body: bytes), secrets)
    }

    /// RFC 3986 unreserved characters: everything else in a model id (`:`, `/`) is percent-encoded.
    static let pathSegmentAllowed = CharacterSet(charactersIn:
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}
