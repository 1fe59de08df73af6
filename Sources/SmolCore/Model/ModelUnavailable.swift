/// Why a model could not take a request although the request was valid and the network worked: the
/// payload of ``ModelError/unavailable(_:)``.
///
/// One generic shape serves every backend that can be "unavailable" (a router whose deployments are all
/// cooling down, a replayed model whose cassette lacks the request, …) so that ``ModelError`` keeps a small
/// set of cases; ``reason`` tells them apart and is open for new reasons.
public struct ModelUnavailable: Sendable, Equatable, CustomStringConvertible {
    /// A machine-readable reason, open for backends to add their own.
    public struct Reason: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        /// The reason's identifier (LiteLLM's spelling where LiteLLM has one).
        public let rawValue: String

        /// Creates a reason.
        public init(rawValue: String) { self.rawValue = rawValue }

        /// Every deployment of a router's model group is cooling down after failures (LiteLLM's
        /// `all_deployments_in_cooldown`, which its proxy answers with HTTP 429).
        public static let allDeploymentsInCooldown = Reason(rawValue: "all_deployments_in_cooldown")
        /// Every deployment not cooling down has reached its `rpm` or `tpm` limit for this minute (LiteLLM's
        /// `no_deployments_available`).
        public static let rateLimitsReached = Reason(rawValue: "no_deployments_available")
        /// A ``ReplayModel``'s cassette holds no request matching the one asked for.
        public static let notInCassette = Reason(rawValue: "not_in_cassette")

        /// The raw value.
        public var description: String { rawValue }
    }

    /// Why nothing could take the request.
    public var reason: Reason
    /// A sentence for people.
    public var message: String
    /// What was unavailable: a router's model group, a cassette file, …
    public var subject: String?
    /// More detail for diagnosis (for a cassette miss: the nearest recorded request and where it differs).
    public var detail: String?
    /// Whether trying again later can succeed (true for cooldowns and rate limits, false for a cassette miss).
    public var isRetryable: Bool
    /// How long to wait before that, when known (the end of the soonest cooldown, the next rate window).
    public var retryAfter: Duration?

    /// Creates the payload.
    public init(reason: Reason, message: String, subject: String? = nil, detail: String? = nil,
                isRetryable: Bool, retryAfter: Duration? = nil) {
        self.reason = reason
        self.message = message
        self.subject = subject
        self.detail = detail
        self.isRetryable = isRetryable
        self.retryAfter = retryAfter
    }

    /// The message, then the detail on the next line when there is one.
    public var description: String {
        guard let detail else { return message }
        return message + "\n" + detail
    }
}
