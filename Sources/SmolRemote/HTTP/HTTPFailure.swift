import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import SmolCore

/// Turns what can go wrong on the wire into ``/SmolCore/ModelError``s.
enum HTTPFailure {
    /// A non-2xx response, before it becomes a ``/SmolCore/ModelError``: it remembers `x-should-retry`.
    struct Status: Error {
        var error: ModelError
        var shouldRetry: Bool?
    }

    /// The error for a non-2xx response: the provider's own message, `Retry-After`, the body; redacted.
    static func error(status: Int, headers: HTTPHeaders, body: [UInt8], secrets: [Secret]) -> Status {
        let text = Secret.redact(String(decoding: body, as: UTF8.self), secrets: secrets)
        // Redacted again after JSON decoding: the raw pass catches escaped spellings it knows, this one
        // catches whatever the decoder turned back into the key.
        var message = providerMessage(in: text).map { Secret.redact($0, secrets: secrets) }
            ?? (text.isEmpty ? HTTPResponseStatus(statusCode: status).reasonPhrase : text)
        // AWS names the error in a header (`ThrottlingException:http://internal.amazon.com/…`); botocore
        // reports the part before the colon as the code.
        if let type = headers.first(name: "x-amzn-errortype")?.split(separator: ":").first, !type.isEmpty {
            message = "\(Secret.redact(String(type), secrets: secrets)): \(message)"
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

    /// Any error from the transport as a ``/SmolCore/ModelError`` (already-typed errors pass through).
    ///
    /// Messages say what happened and to which server (`host`, the `Host` header form, when known, and
    /// the `proxy` the request went through), in words: never a NIO function name or errno dump.
    static func modelError(from error: any Error, secrets: [Secret], partial: [UInt8] = [], host: String? = nil,
                           proxy: String? = nil) -> ModelError {
        // Through a proxy a reset or a silence may be the proxy's doing: name both.
        let named = host.map { name in proxy.map { "\(name) (through the proxy \($0))" } ?? name }
        let server = named ?? "the server"
        let to = named.map { " to \($0)" } ?? ""
        switch error {
        case let error as ModelError:
            // An application's transport may throw one with a key in it: redacted like every other message.
            return secrets.isEmpty ? error : error.redacted(secrets)
        case let status as Status:
            return status.error
        case is CancellationError:
            return .cancelled
        case let error as TransportError:
            switch error {
            case .readTimeout: return .timeout(message: "no data from \(server) within the read timeout")
            case .connectTimeout: return .timeout(message: "could not connect\(to) within the connect timeout")
            case .deadlineExceeded: return .timeout(message: "the request\(to) did not complete within the total timeout")
            case .firstByteDeadlineExceeded:
                return .timeout(message: "\(server) did not start answering the stream within the total timeout")
            case .closedBeforeResponse: return .connection(message: "\(server) closed the connection before responding")
            case .closedMidBody(let received):
                let count = max(received, partial.count)
                return .connection(message: "\(server) closed the connection"
                                   + (count == 0 ? " in the middle of the response" : " after \(count) bytes of the body"))
            case .bodyTooLarge(let limit, let prefix):
                return .decoding(message: "the response body exceeds \(limit) bytes",
                                 payload: Secret.redact(String(decoding: prefix, as: UTF8.self), secrets: secrets))
            case .invalidURL(let url):
                return .invalidInput(message: "not an absolute http(s) URL: \(Secret.redact(url, secrets: secrets))",
                                     location: "url")
            case .malformedResponse(let detail):
                return .connection(message: "the response from \(server) is not valid HTTP/1.1 (\(detail))")
            case .decompressionLimit(let ratio):
                // A response fault, not a network one: sending the request again would fetch the same bomb.
                return .decoding(message: "the compressed response from \(server) expands to more than \(ratio) times its size "
                                 + "(the decompression limit), so it was refused as a likely decompression bomb",
                                 payload: "")
            case .decompressionFailed(let detail):
                return .decoding(message: "the compressed response from \(server) could not be decompressed (\(detail))",
                                 payload: "")
            case .proxyUnreachable, .proxyRefused, .proxyClosed, .proxyTimeout:
                return proxyError(error, origin: host)
            }
        case ChannelError.connectTimeout:
            return .timeout(message: "could not connect\(to) within the connect timeout")
        case let error as NIOSSLError:
            return .connection(message: Secret.redact("TLS with \(server) failed: \(error)", secrets: secrets))
        case let error as BoringSSLError:
            return .connection(message: Secret.redact("TLS with \(server) failed: \(error)", secrets: secrets))
        case let error as IOError:
            return networkError(errno: error.errnoCode, server: server)
        case let error as NIOConnectionError:
            // Happy eyeballs tried every address: report the first socket error, or the failed lookup.
            if let first = error.connectionErrors.first?.error as? IOError {
                return networkError(errno: first.errnoCode, server: server)
            }
            if error.connectionErrors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
                return .connection(message: "could not resolve the host name of \(server)")
            }
            return .connection(message: "could not connect\(to)")
        case is SocketAddressError:
            return .connection(message: "could not resolve the host name of \(server)")
        default:
            let text = Secret.redact(String(describing: error), secrets: secrets)
            if text.lowercased().contains("timeout") || text.lowercased().contains("timed out") {
                return .timeout(message: "the connection\(to) timed out (\(text))")
            }
            return .connection(message: "the connection\(to) failed (\(text))")
        }
    }

    /// A proxy's own failure, naming the proxy (`host:port`, never its credentials) and the origin it was
    /// asked for. A 407 is an authentication error (sending the request again cannot help); the rest are
    /// connection errors, retried like any other, as the OpenAI SDK retries httpx's `ProxyError`.
    static func proxyError(_ error: TransportError, origin: String?) -> ModelError {
        let target = origin.map { " to \($0)" } ?? ""
        switch error {
        case .proxyUnreachable(let proxy, let underlying):
            let failure = modelError(from: underlying, secrets: [], host: "the proxy \(proxy)")
            if case .timeout = failure { return .timeout(message: "could not connect to the proxy \(proxy) within the connect timeout") }
            return failure
        case .proxyRefused(let proxy, let status, let reason) where status == 407 || status == 401:
            return .authentication(message: "proxy authentication required: the proxy \(proxy) answered HTTP \(status) \(reason); "
                                   + "check the user name and password in the proxy URL (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY) "
                                   + "or HTTPConfiguration.proxy")
        case .proxyRefused(let proxy, let status, let reason):
            return .connection(message: "the proxy \(proxy) could not open a tunnel\(target): HTTP \(status) \(reason)")
        case .proxyClosed(let proxy):
            return .connection(message: "the proxy \(proxy) closed the connection before opening a tunnel\(target)")
        case .proxyTimeout(let proxy):
            return .timeout(message: "the proxy \(proxy) did not open a tunnel\(target) within the connect timeout")
        default:
            return modelError(from: error, secrets: [], host: origin)
        }
    }

    /// A socket error in words: what happened, and with which server.
    static func networkError(errno code: CInt, server: String) -> ModelError {
        switch code {
        case ECONNRESET: return .connection(message: "the connection to \(server) was reset by the server")
        case ECONNREFUSED: return .connection(message: "\(server) refused the connection (is the server running on that port?)")
        case EPIPE: return .connection(message: "the connection to \(server) broke while the request was being sent")
        case ETIMEDOUT: return .timeout(message: "the connection to \(server) timed out")
        case EHOSTUNREACH, ENETUNREACH: return .connection(message: "\(server) is unreachable from this machine")
        default:
            let reason = String(cString: strerror(code)).lowercased()
            return .connection(message: "the connection to \(server) failed: \(reason)")
        }
    }
}

extension ModelError {
    /// Provider messages can be whole HTML pages; keep the first 1,000 characters in the message.
    static func excerptForMessage(_ text: String) -> String {
        text.count > 1_000 ? String(text.prefix(1_000)) + "…" : text
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
