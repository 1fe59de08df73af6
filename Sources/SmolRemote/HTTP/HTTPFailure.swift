import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL
import SmolCore
import Synchronization

/// Turns what can go wrong on the wire into ``ModelError``s.
enum HTTPFailure {
    /// A non-2xx response, before it becomes a ``ModelError``: it remembers `x-should-retry`.
    struct Status: Error {
        var error: ModelError
        var shouldRetry: Bool?
    }

    /// The error for a non-2xx response: the provider's own message, `Retry-After`, the body; redacted.
    static func error(status: Int, headers: HTTPHeaders, body: [UInt8], secrets: [Secret]) -> Status {
        let text = Secret.redact(String(decoding: body, as: UTF8.self), secrets: secrets)
        var message = providerMessage(in: text) ?? (text.isEmpty ? HTTPResponseStatus(statusCode: status).reasonPhrase : text)
        // AWS names the error in a header (`ThrottlingException:http://internal.amazon.com/…`); botocore
        // reports the part before the colon as the code.
        if let type = headers.first(name: "x-amzn-errortype")?.split(separator: ":").first, !type.isEmpty {
            message = "\(type): \(message)"
        }
        let shouldRetry = headers.first(name: "x-should-retry").map { $0.lowercased() == "true" }
        return Status(
            error: .http(status: status, message: ModelError.excerptForMessage(message), retryAfter: retryAfter(headers),
                         body: text.isEmpty ? nil : text),
            shouldRetry: shouldRetry)
    }

    /// Whether the server said `x-should-retry: false`.
    static func serverForbidsRetry(_ error: any Error) -> Bool {
        (error as? Status)?.shouldRetry == false
    }

    /// The message inside an error body: OpenAI's `{"error": {"message"}}`, `{"error": "…"}`,
    /// `{"message"}` or `{"detail"}` (FastAPI servers such as llama-cpp-python and vLLM).
    static func providerMessage(in body: String) -> String? {
        guard let json = try? JSONValue(parsing: body) else { return nil }
        if let message = json["error"]?["message"]?.stringValue { return message }
        if let message = json["error"]?.stringValue { return message }
        if let message = json["message"]?.stringValue { return message }
        if let detail = json["detail"] { return detail.stringValue ?? detail.description }
        return nil
    }

    /// `retry-after-ms` (milliseconds), then `retry-after` (seconds or an HTTP date).
    static func retryAfter(_ headers: HTTPHeaders, now: Date = Date()) -> Duration? {
        if let value = headers.first(name: "retry-after-ms"), let ms = Double(value.trimmingCharacters(in: .whitespaces)),
           ms.isFinite, ms >= 0 {
            return .milliseconds(Int64(ms.rounded()))
        }
        guard let value = headers.first(name: "retry-after")?.trimmingCharacters(in: .whitespaces) else { return nil }
        if let seconds = Double(value), seconds.isFinite, seconds >= 0 {
            return .milliseconds(Int64((seconds * 1000).rounded()))
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: value) else { return nil }
        return .milliseconds(Int64(max(0, date.timeIntervalSince(now)) * 1000))
    }

    /// Any error from the transport as a ``ModelError`` (already-typed errors pass through).
    static func modelError(from error: any Error, secrets: [Secret], partial: [UInt8] = []) -> ModelError {
        switch error {
        case let error as ModelError:
            return error
        case let status as Status:
            return status.error
        case is CancellationError:
            return .cancelled
        case let error as HTTPClientError:
            switch error {
            case .readTimeout: return .timeout(message: "no data from the server within the read timeout")
            case .connectTimeout: return .timeout(message: "could not connect within the connect timeout")
            case .deadlineExceeded: return .timeout(message: "the request did not complete within the total timeout")
            case .cancelled, .requestStreamCancelled: return .cancelled
            case .remoteConnectionClosed:
                return .connection(message: "the server closed the connection"
                                   + (partial.isEmpty ? "" : " after \(partial.count) bytes of the body"))
            default:
                return .connection(message: Secret.redact("\(error)", secrets: secrets))
            }
        default:
            let text = Secret.redact(String(describing: error), secrets: secrets)
            if text.lowercased().contains("timeout") || text.lowercased().contains("timed out") {
                return .timeout(message: text)
            }
            return .connection(message: text)
        }
    }
}

extension ModelError {
    /// Provider messages can be whole HTML pages; keep the first 1,000 characters in the message.
    static func excerptForMessage(_ text: String) -> String {
        text.count > 1_000 ? String(text.prefix(1_000)) + "…" : text
    }
}

/// The AsyncHTTPClient instances, one per distinct configuration, shared process-wide and never shut
/// down (as `HTTPClient.shared` is), so that connections are pooled across models and calls.
enum HTTPClientPool {
    private static let clients = Mutex<[HTTPConfiguration.PoolKey: HTTPClient]>([:])

    static func client(for configuration: HTTPConfiguration) -> HTTPClient {
        clients.withLock { clients in
            let key = configuration.poolKey
            if let client = clients[key] { return client }
            var config = HTTPClient.Configuration(
                redirectConfiguration: .disallow,
                timeout: .init(connect: TimeAmount(configuration.connectTimeout), read: TimeAmount(configuration.readTimeout)),
                decompression: configuration.decompression ? .enabled(limit: .ratio(100)) : .disabled)
            config.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = configuration.maximumConnectionsPerHost
            if let pem = configuration.trustedRootCertificatesPEM {
                var tls = TLSConfiguration.makeClientConfiguration()
                if let certificates = HTTPConfiguration.certificates(fromPEM: pem) {
                    tls.additionalTrustRoots = [.certificates(certificates)]
                } else {
                    // Malformed PEM: fail closed (trust nothing) rather than crash or silently ignore it.
                    tls.trustRoots = .certificates([])
                }
                config.tlsConfiguration = tls
            }
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: config)
            clients[key] = client
            return client
        }
    }
}

extension TimeAmount {
    /// A NIO time amount from a Swift `Duration`, saturating instead of overflowing.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        let (nanos, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        self = overflow ? .nanoseconds(.max) : .nanoseconds(nanos &+ attoseconds / 1_000_000_000)
    }
}
