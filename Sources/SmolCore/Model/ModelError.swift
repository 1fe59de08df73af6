/// The one error type that models, and the helpers they are built on, throw.
///
/// Each case carries what a caller needs to decide what to do next: the HTTP status and the
/// provider's own message, how long the provider asked us to wait, the payload that could not be
/// decoded, or the input that was rejected. No case ever carries a secret: transports redact API
/// keys and tokens (see ``Secret`` and ``Secret/redact(_:secrets:)``) before an error is built.
public enum ModelError: Error, Sendable, Equatable {
    /// The provider answered with a non-success HTTP status.
    ///
    /// - Parameters:
    ///   - status: The HTTP status code.
    ///   - message: The provider's error message (from its JSON error body when it has one).
    ///   - retryAfter: How long the provider asked us to wait (`Retry-After` / `retry-after-ms`), if it did.
    ///   - body: The response body as received (redacted), for diagnostics.
    case http(status: Int, message: String, retryAfter: Duration? = nil, body: String? = nil)

    /// The request could not reach the provider, or the connection broke before a response began.
    case connection(message: String)

    /// A connect, read or total timeout expired.
    case timeout(message: String)

    /// The provider's response (or one streamed chunk of it) could not be decoded.
    ///
    /// `payload` holds the offending bytes as text, so nothing is silently dropped.
    case decoding(message: String, payload: String)

    /// The provider reported an error inside a stream, or a stream ended before it was complete.
    ///
    /// `payload` is the raw event when there was one; `partial` is the text received before the failure.
    case stream(message: String, payload: String? = nil, partial: String? = nil)

    /// The caller's input was rejected before anything was sent: a bad message list, an invalid tool
    /// spec, an option the model cannot honour. `location` says where (e.g. `messages[2].content[0]`).
    case invalidInput(message: String, location: String? = nil)

    /// The model does not support what was asked of it (a response format, images, streaming...).
    case unsupported(message: String)

    /// Text that should contain a tool call could not be parsed into one (smolagents' `ValueError`s
    /// from `parse_json_blob` and `get_tool_call_from_text`, with the same messages).
    case toolCallParsing(message: String)

    /// Credentials are missing or were rejected before a request was made.
    case authentication(message: String)

    /// Nothing was wrong with the request or the network, but no model could take it: a router had no
    /// deployment out of cooldown, a replayed model's cassette holds no matching request, …
    ///
    /// The payload says why (``ModelUnavailable/reason``), what was unavailable, whether waiting helps, and
    /// for how long.
    case unavailable(ModelUnavailable)

    /// The operation was cancelled by the caller.
    case cancelled
}

extension ModelError {
    /// Whether a retry can be expected to succeed: HTTP 408, 409, 429 and 5xx, connection errors and
    /// timeouts. Errors inside a stream are never retryable here: by then bytes have been delivered.
    public var isRetryable: Bool {
        switch self {
        case .http(let status, _, _, _):
            return status == 408 || status == 409 || status == 429 || (500...599).contains(status)
        case .connection, .timeout:
            return true
        case .unavailable(let unavailable):
            return unavailable.isRetryable
        default:
            return false
        }
    }

    /// How long the provider (or a router) asked us to wait before retrying, if it said.
    public var retryAfter: Duration? {
        switch self {
        case .http(_, _, let retryAfter, _): return retryAfter
        case .unavailable(let unavailable): return unavailable.retryAfter
        default: return nil
        }
    }

    /// The HTTP status, for HTTP errors.
    public var status: Int? {
        if case .http(let status, _, _, _) = self { return status }
        return nil
    }

    /// The human-readable message of this error, without its kind prefix.
    public var message: String {
        switch self {
        case .http(_, let message, _, _), .connection(let message), .timeout(let message),
            .decoding(let message, _), .stream(let message, _, _), .invalidInput(let message, _),
            .unsupported(let message), .toolCallParsing(let message), .authentication(let message):
            return message
        case .unavailable(let unavailable):
            return unavailable.message
        case .cancelled:
            return "The operation was cancelled."
        }
    }
}

extension ModelError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .http(let status, let message, let retryAfter, _):
            var text = "HTTP \(status): \(message)"
            if let retryAfter { text += " (retry after \(retryAfter))" }
            return text
        case .connection(let message):
            return "Connection error: \(message)"
        case .timeout(let message):
            return "Timeout: \(message)"
        case .decoding(let message, let payload):
            return "Could not decode the response: \(message)\nPayload: \(Self.excerpt(payload))"
        case .stream(let message, let payload, _):
            if let payload { return "Stream error: \(message)\nPayload: \(Self.excerpt(payload))" }
            return "Stream error: \(message)"
        case .invalidInput(let message, let location):
            if let location { return "Invalid input at \(location): \(message)" }
            return "Invalid input: \(message)"
        case .unsupported(let message):
            return "Unsupported: \(message)"
        case .toolCallParsing(let message):
            return message
        case .authentication(let message):
            return "Authentication error: \(message)"
        case .unavailable(let unavailable):
            return unavailable.description
        case .cancelled:
            return message
        }
    }

    /// Long payloads are shortened in descriptions; the full text stays in the associated value.
    static func excerpt(_ text: String, limit: Int = 2_000) -> String {
        guard text.count > limit else { return text }
        return String(text.prefix(limit)) + "… (\(text.count) characters)"
    }
}

extension ModelError {
    /// This error with every occurrence of `secrets` removed from the text it carries.
    ///
    /// Transports apply it to errors built from provider payloads: a provider may echo the key it
    /// received, even inside an otherwise successful response.
    public func redacted(_ secrets: [Secret]) -> ModelError {
        guard !secrets.isEmpty else { return self }
        func clean(_ text: String) -> String { Secret.redact(text, secrets: secrets) }
        switch self {
        case .http(let status, let message, let retryAfter, let body):
            return .http(status: status, message: clean(message), retryAfter: retryAfter, body: body.map(clean))
        case .connection(let message): return .connection(message: clean(message))
        case .timeout(let message): return .timeout(message: clean(message))
        case .decoding(let message, let payload): return .decoding(message: clean(message), payload: clean(payload))
        case .stream(let message, let payload, let partial):
            return .stream(message: clean(message), payload: payload.map(clean), partial: partial)
        case .invalidInput(let message, let location): return .invalidInput(message: clean(message), location: location)
        case .unsupported(let message): return .unsupported(message: clean(message))
        case .toolCallParsing(let message): return .toolCallParsing(message: clean(message))
        case .authentication(let message): return .authentication(message: clean(message))
        case .unavailable(var unavailable):
            unavailable.message = clean(unavailable.message)
            unavailable.detail = unavailable.detail.map(clean)
            return .unavailable(unavailable)
        case .cancelled: return self
        }
    }
}
