import SmolCore

/// An error answered to a client in OpenAI's shape: `{"error": {"message", "type", "param", "code"}}`.
public struct ServeError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The HTTP status.
    public var status: Int
    /// A sentence for the client (never a secret).
    public var message: String
    /// OpenAI's error type (`invalid_request_error`, `authentication_error`, …).
    public var type: String
    /// The request field at fault, if any.
    public var param: String?
    /// A machine-readable code (`model_not_found`, `invalid_api_key`, …).
    public var code: String?
    /// Seconds the client should wait before retrying (for 429 and 503).
    public var retryAfterSeconds: Int?

    /// Creates an error answer.
    public init(status: Int, message: String, type: String = "invalid_request_error", param: String? = nil,
                code: String? = nil, retryAfterSeconds: Int? = nil) {
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code
        self.retryAfterSeconds = retryAfterSeconds
    }

    /// A 400 naming the field at fault.
    static func badRequest(_ message: String, param: String? = nil) -> ServeError {
        ServeError(status: 400, message: message, param: param)
    }

    /// The body OpenAI's clients parse.
    public var json: JSONValue {
        ["error": ["message": .string(message), "type": .string(type), "param": param.map(JSONValue.string) ?? .null,
                   "code": code.map(JSONValue.string) ?? .null]]
    }

    /// `status: message`.
    public var description: String { "\(status): \(message)" }

    /// What a model's error becomes for the client: a rate limit stays 429 with its wait, a provider's 5xx
    /// or an unreachable provider is a 502, a rejected input is a 400. Model errors never carry secrets
    /// (transports redact them), so their messages are passed on.
    public init(modelError error: ModelError) {
        let wait = error.retryAfter.map { Int(($0.components.seconds) + ($0.components.attoseconds > 0 ? 1 : 0)) }
        switch error {
        case .http(let status, let message, _, _) where status == 429:
            self.init(status: 429, message: message, type: "rate_limit_error", code: "rate_limit_exceeded", retryAfterSeconds: wait ?? 1)
        case .http(let status, let message, _, _) where (400..<500).contains(status):
            self.init(status: status == 401 || status == 403 ? 502 : status, message: "upstream: \(message)",
                      type: status == 401 || status == 403 ? "upstream_error" : "invalid_request_error")
        case .http(_, let message, _, _), .connection(let message), .timeout(let message):
            self.init(status: 502, message: "upstream: \(message)", type: "upstream_error")
        case .unavailable(let unavailable):
            self.init(status: 429, message: unavailable.message, type: "rate_limit_error", code: unavailable.reason.rawValue,
                      retryAfterSeconds: wait ?? 1)
        case .invalidInput(let message, let location):
            self.init(status: 400, message: message, param: location)
        case .unsupported(let message):
            self.init(status: 400, message: message)
        case .authentication(let message):
            self.init(status: 502, message: "upstream: \(message)", type: "upstream_error")
        case .cancelled:
            self.init(status: 499, message: "the request was cancelled", type: "cancelled")
        default:
            self.init(status: 500, message: error.message, type: "server_error")
        }
    }
}
