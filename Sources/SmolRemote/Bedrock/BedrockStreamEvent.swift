import SmolCore

/// One ConverseStream event, read from a decoded event-stream message the way botocore reads it.
///
/// The `type` is the `:event-type` header (the member of the `ConverseStreamOutput` union):
/// `messageStart`, `contentBlockStart`, `contentBlockDelta`, `contentBlockStop`, `messageStop` or
/// `metadata`; `payload` is that member's JSON, with unknown keys (such as the random `"p"` padding
/// Bedrock adds) left in place for the caller to ignore. Event types this code does not know are passed
/// through too, as botocore would pass them to a newer service model.
public enum BedrockStreamEvent: Sendable, Hashable {
    /// An event (`:message-type` = `event`) with its JSON payload (`{}` when the payload is empty).
    case event(type: String, payload: JSONValue)

    /// The `:event-type` of this event.
    public var type: String {
        switch self {
        case .event(let type, _): return type
        }
    }

    /// The JSON payload of this event.
    public var payload: JSONValue {
        switch self {
        case .event(_, let payload): return payload
        }
    }

    /// Interprets one decoded event-stream message from a ConverseStream response.
    ///
    /// - `:message-type` = `event` (or missing, as botocore treats it): returns ``event(type:payload:)``.
    /// - `:message-type` = `exception`: throws the error the `:exception-type` stands for, with the payload's
    ///   `message` (see ``error(exceptionType:payload:)``).
    /// - `:message-type` = `error`: throws ``/SmolCore/ModelError/stream(message:payload:partial:)`` built from the
    ///   `:error-code` and `:error-message` headers.
    ///
    /// - Throws: the errors above; ``/SmolCore/ModelError/decoding(message:payload:)`` for an event without
    ///   `:event-type`, an unknown `:message-type`, or a payload that is not JSON (with the payload's text).
    public static func interpret(_ message: EventStreamMessage) throws(ModelError) -> BedrockStreamEvent {
        let messageType: String
        switch message.header(":message-type") {
        case nil: messageType = "event"
        case .string(let value)?: messageType = value
        case let other?: throw .decoding(message: "event-stream :message-type header is not a string: \(other)", payload: text(message.payload))
        }
        switch messageType {
        case "event":
            guard let type = message.stringHeader(":event-type") else {
                throw .decoding(message: "event-stream event has no :event-type string header", payload: text(message.payload))
            }
            if message.payload.isEmpty { return .event(type: type, payload: .object([:])) }
            do {
                return .event(type: type, payload: try JSONValue(parsing: message.payload))
            } catch {
                throw .decoding(message: "the payload of the Bedrock \(type) event is not valid JSON: \(error)",
                                payload: text(message.payload))
            }
        case "exception":
            let type = message.stringHeader(":exception-type") ?? message.stringHeader(":error-code") ?? "unknownException"
            throw error(exceptionType: type, payload: message.payload)
        case "error":
            let code = message.stringHeader(":error-code") ?? ""
            let detail = message.stringHeader(":error-message") ?? ""
            let text = message.payload.isEmpty ? nil : text(message.payload)
            throw .stream(message: joined(code.isEmpty ? "event-stream error" : code, detail), payload: text)
        default:
            throw .decoding(message: "unknown event-stream :message-type \"\(messageType)\"", payload: text(message.payload))
        }
    }

    /// The ``/SmolCore/ModelError`` for a modelled in-stream exception (`:exception-type`), as Bedrock documents
    /// their HTTP equivalents:
    ///
    /// | exception type | error |
    /// |---|---|
    /// | `throttlingException` | `.http(status: 429)`: retryable |
    /// | `validationException` | `.http(status: 400)` |
    /// | `modelTimeoutException` | `.http(status: 408)`: retryable |
    /// | `internalServerException` | `.http(status: 500)`: retryable |
    /// | `serviceUnavailableException` | `.http(status: 503)`: retryable |
    /// | `modelStreamErrorException` and any other | `.stream` |
    ///
    /// The message is `"<exceptionType>: <message>"`, the message read from the JSON payload's `message`
    /// (or `Message`) member, or the raw payload text when it is not JSON (as botocore does); the full
    /// payload text is kept as the body (or stream payload).
    public static func error(exceptionType: String, payload: [UInt8]) -> ModelError {
        let body = text(payload)
        var detail = body
        if let json = try? JSONValue(parsing: payload) {
            detail = json["message"]?.stringValue ?? json["Message"]?.stringValue ?? ""
        }
        let message = joined(exceptionType, ModelError.excerptForMessage(detail))
        let status: Int
        switch exceptionType {
        case "throttlingException": status = 429
        case "validationException": status = 400
        case "modelTimeoutException": status = 408
        case "internalServerException": status = 500
        case "serviceUnavailableException": status = 503
        default: return .stream(message: message, payload: body.isEmpty ? nil : body)
        }
        return .http(status: status, message: message, body: body.isEmpty ? nil : body)
    }

    private static func text(_ payload: [UInt8]) -> String {
        String(decoding: payload, as: UTF8.self)
    }

    private static func joined(_ kind: String, _ detail: String) -> String {
        detail.isEmpty ? kind : "\(kind): \(detail)"
    }
}
