import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SmolCore

/// The one HTTP engine every remote backend uses, over SwiftNIO (`HTTPTransport`).
///
/// It pools connections (one pool per timeout/compression configuration, kept for the life of the
/// process like `HTTPClient.shared`), applies connect/read/total timeouts, retries with the
/// configured ``/SmolCore/RetryPolicy`` on 408/409/429/5xx and connection errors (honouring `retry-after-ms` and
/// `Retry-After`, never once a streamed body has started), follows redirects without forwarding
/// credentials to another host, decompresses gzip, and turns every failure into a ``/SmolCore/ModelError`` with
/// secrets redacted. Cancelling the calling task cancels the request and frees its connection.
public struct HTTPEngine: Sendable {
    /// An HTTP request.
    public struct Request: Sendable {
        /// `GET`, `POST`, …
        public var method: String
        /// The absolute URL.
        public var url: String
        /// Header fields, in order.
        public var headers: [(String, String)]
        /// The body, if any.
        public var body: [UInt8]?

        /// Creates a request.
        public init(method: String = "POST", url: String, headers: [(String, String)] = [], body: [UInt8]? = nil) {
            self.method = method
            self.url = url
            self.headers = headers
            self.body = body
        }
    }

    /// A complete response.
    public struct Response: Sendable {
        /// The HTTP status.
        public var status: Int
        /// Header fields, in order.
        public var headers: [(String, String)]
        /// The (decompressed) body.
        public var body: [UInt8]

        /// The first value of a header, compared case-insensitively.
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// A response whose body is still arriving.
    public struct StreamingResponse: Sendable {
        /// The HTTP status (always 2xx: other statuses are thrown as errors).
        public var status: Int
        /// Header fields, in order.
        public var headers: [(String, String)]
        /// The body, chunk by chunk; errors are ``/SmolCore/ModelError``s. Iterate it in the task that should own
        /// the request: cancelling that task closes the connection.
        public var body: ResponseBody
    }

    /// The largest non-streamed body accepted (a bigger one is a ``/SmolCore/ModelError/decoding(message:payload:)``).
    public static let maximumBodySize = 64 << 20

    /// The configuration.
    public let configuration: HTTPConfiguration
    private let clock: SmolClock
    private let random: @Sendable () -> Double
    /// Looked up once: the process-wide transport for this configuration, or the application's own.
    private let transport: EngineTransport

    /// An engine with the default configuration.
    public static let shared = HTTPEngine()

    /// Creates an engine. `clock` and `random` drive retry waits (tests inject a ``/SmolCore/ManualClock``).
    /// A configuration without ``HTTPConfiguration/environment`` reads the proxy and TLS variables of the
    /// process environment.
    public init(configuration: HTTPConfiguration = HTTPConfiguration(), clock: SmolClock = .system,
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }) {
        // Without an environment of its own (a model hands down its `environment:`), the proxy and TLS
        // variables come from the process, as in curl and the Python SDKs.
        let resolved = configuration.inheriting(environment: ProcessInfo.processInfo.environment)
        self.configuration = resolved
        self.clock = clock
        self.random = random
        transport = resolved.transport.map(EngineTransport.custom) ?? .builtin(HTTPTransport.transport(for: resolved))
    }

    /// Sends a request and reads the whole response; a non-2xx status is thrown as ``/SmolCore/ModelError/http(status:message:retryAfter:body:)``.
    public func send(_ request: Request, secrets: [Secret] = []) async throws -> Response {
        // One deadline for every attempt and the waits between them: three attempts must not turn a
        // 600 s timeout into 30 minutes.
        let deadline = configuration.totalTimeout.map { NIODeadline.now() + TimeAmount($0) } ?? .distantFuture
        return try await withRetries(request, secrets: secrets, deadline: deadline) { attempt in
            let (collected, _) = try await execute(request, attempt: attempt, secrets: secrets, head: \.head, discard: { _ in }) {
                transport, prepared in
                try await transport.collect(prepared, limit: Self.maximumBodySize, deadline: deadline, configuration: configuration,
                                           secrets: secrets)
            }
            let status = Int(collected.head.status.code)
            let body = Array(collected.body.readableBytesView)
            guard (200..<300).contains(status) else {
                throw HTTPFailure.error(status: status, headers: collected.head.headers, body: body, secrets: secrets)
            }
            return Response(status: status, headers: collected.head.headers.map { ($0.name, $0.value) }, body: body)
        }
    }

    /// Sends a request and returns as soon as a 2xx response head arrives, with the body to stream.
    /// Retries happen only before that point.
    public func stream(_ request: Request, secrets: [Secret] = []) async throws -> StreamingResponse {
        // The total timeout bounds the wait for the stream's first byte, across attempts; once bytes
        // flow, only the read timeout (silence between bytes) applies.
        let deadline = configuration.totalTimeout.map { NIODeadline.now() + TimeAmount($0) } ?? .distantFuture
        return try await withRetries(request, secrets: secrets, deadline: deadline) { attempt in
            let (streamed, origin) = try await execute(request, attempt: attempt, secrets: secrets, head: \.head, discard: { streamed in
                // Read the redirect's body to its end so the connection can be reused.
                _ = try? await Self.collect(streamed.body.redacting(secrets), limit: 1 << 20,
                                            secrets: secrets)
            }) { transport, prepared in
                try await transport.stream(prepared, firstByteDeadline: deadline, configuration: configuration)
            }
            let status = Int(streamed.head.status.code)
            let body = streamed.body.redacting(secrets, host: origin.hostHeader)
            guard (200..<300).contains(status) else {
                // The status is what matters (a 503 is retried): an error page over the limit is cut, not
                // turned into an unretryable decoding error.
                let bytes = try await Self.collect(body, limit: 1 << 20, truncating: true, secrets: secrets)
                throw HTTPFailure.error(status: status, headers: streamed.head.headers, body: bytes, secrets: secrets)
            }
            return StreamingResponse(status: status, headers: streamed.head.headers.map { ($0.name, $0.value) },
                                     body: body)
        }
    }

    // MARK: - Retries

    /// Runs `operation` until it succeeds or a retry is not allowed. No retry starts (and no back-off
    /// is waited for) that would end past `deadline`: the last failure is thrown instead.
    private func withRetries<T: Sendable>(_ request: Request, secrets: [Secret], deadline: NIODeadline,
                                          _ operation: (_ attempt: Int) async throws -> T) async throws -> T {
        var retry = 0
        var previous: Duration?
        while true {
            do {
                try Task.checkCancellation()
                return try await operation(retry + 1)
            } catch {
                let failure = HTTPFailure.modelError(from: error, secrets: secrets)
                if failure == .cancelled || Task.isCancelled { throw ModelError.cancelled }
                retry += 1
                guard !HTTPFailure.serverForbidsRetry(error),
                      let delay = configuration.retry.delay(forRetry: retry, after: failure, previous: previous,
                                                            random: random)
                else { throw failure }
                if deadline != .distantFuture, NIODeadline.now() + TimeAmount(delay) >= deadline { throw failure }
                previous = delay
                logRetry(request, retry: retry, after: failure, delay: delay, secrets: secrets)
                do {
                    try await clock.sleep(delay)
                } catch {
                    throw ModelError.cancelled
                }
            }
        }
    }

    // MARK: - One exchange, redirects included

    /// Runs `exchange` for `original`, following redirects; `head` reads a response's head and `discard`
    /// finishes with a redirect response before the next hop. Returns the final response and the origin
    /// that sent it (for error messages that name the server).
    private func execute<Response>(
        _ original: Request, attempt: Int, secrets: [Secret], head: (Response) -> HTTPResponseHead,
        discard: (Response) async -> Void,
        _ exchange: (EngineTransport, EngineTransport.Prepared) async throws -> Response
    ) async throws -> (Response, Origin) {
        var request = original
        var originalOrigin: Origin?
        var redirects = 0
        while true {
            if let hook = configuration.onRequest { try await hook(&request) }
            guard let target = RequestTarget(request.url) else {
                throw ModelError.invalidInput(message: "not an absolute http(s) URL: \(Secret.redact(request.url, secrets: secrets))",
                                              location: "url")
            }
            // The origin credentials belong to: the first hop's, after the request hook ran.
            if originalOrigin == nil { originalOrigin = target.origin }
            var headers = request.headers
            if configuration.decompression, transport.decompresses, !headers.contains(where: { asciiCaseInsensitiveEquals($0.0, "accept-encoding") }) {
                headers.append(("accept-encoding", "gzip, deflate"))
            }
            if let body = request.body, !headers.contains(where: { asciiCaseInsensitiveEquals($0.0, "content-length") }) {
                headers.append(("content-length", String(body.count)))
            }
            if let problem = HeaderValidation.firstProblem(in: headers) {
                throw ModelError.invalidInput(message: problem, location: "headers")
            }
            let prepared = EngineTransport.Prepared(method: request.method, url: request.url, target: target, headers: headers,
                                                    body: request.body)
            let response: Response
            let started = NIODeadline.now()
            if configuration.logsBodies, let body = request.body {
                configuration.logger.trace("request body", metadata: [
                    "url": .string(Self.loggedURL(target, secrets: secrets)),
                    "body": .string(Secret.redact(String(decoding: body, as: UTF8.self), secrets: secrets)),
                ])
            }
            do {
                response = try await exchange(transport, prepared)
            } catch {
                // Typed here, where the server is known, so the message can say which one failed.
                let failure = HTTPFailure.modelError(from: error, secrets: secrets, host: target.origin.hostHeader,
                                                     proxy: transport.proxyAddress(for: target.origin))
                logExchange(request.method, target, status: nil, since: started, attempt: attempt, failure: failure, secrets: secrets)
                throw failure
            }
            let responseHead = head(response)
            logExchange(request.method, target, status: Int(responseHead.status.code), since: started, attempt: attempt,
                        failure: nil, secrets: secrets)
            configuration.onResponse?(Int(responseHead.status.code), responseHead.headers.map { ($0.name, $0.value) })
            let code = Int(responseHead.status.code)
            guard [301, 302, 303, 307, 308].contains(code), let location = responseHead.headers.first(name: "location") else {
                return (response, target.origin)
            }
            redirects += 1
            guard redirects <= configuration.maximumRedirects else {
                // A redirect loop answers the same way every time: an HTTP error (never retried), not a
                // connection fault.
                await discard(response)
                throw ModelError.http(
                    status: code,
                    message: "too many redirects: \(target.origin.hostHeader) redirected more than \(configuration.maximumRedirects) "
                        + "times (the redirect limit, HTTPConfiguration.maximumRedirects)")
            }
            guard let next = URL(string: location, relativeTo: URL(string: request.url))?.absoluteString,
                  let nextOrigin = Origin(next)
            else {
                throw ModelError.decoding(message: "a redirect to an invalid location",
                                          payload: Secret.redact(location, secrets: secrets))
            }
            await discard(response)
            if code == 303 || ((code == 301 || code == 302) && request.method == "POST") {
                request.method = "GET"
                request.body = nil
                request.headers.removeAll { ["content-length", "content-type"].contains($0.0.lowercased()) }
            }
            if nextOrigin != originalOrigin {
                request.headers.removeAll { name, value in
                    Self.credentialHeaders.contains(name.lowercased())
                        || secrets.contains { !$0.isEmpty && value.contains($0.revealed) }
                }
            }
            request.url = next
        }
    }

    // MARK: - Logging

    /// `host/path` without the query (some APIs put keys there), secrets redacted.
    static func loggedURL(_ target: RequestTarget, secrets: [Secret]) -> String {
        let path = target.pathAndQuery.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return Secret.redact(target.origin.hostHeader + path, secrets: secrets)
    }

    /// One debug line per exchange (response head received, or the exchange failed).
    private func logExchange(_ method: String, _ target: RequestTarget, status: Int?, since started: NIODeadline, attempt: Int,
                             failure: ModelError?, secrets: [Secret]) {
        let logger = configuration.logger
        guard logger.logLevel <= .debug else { return }
        let milliseconds = Double((NIODeadline.now() - started).nanoseconds) / 1e6
        var metadata: Logger.Metadata = [
            "method": .string(method), "url": .string(Self.loggedURL(target, secrets: secrets)),
            "latency_ms": .string(String(format: "%.1f", milliseconds)), "attempt": .stringConvertible(attempt),
        ]
        if let status { metadata["status"] = .stringConvertible(status) }
        if let failure { metadata["error"] = .string(failure.message) }
        logger.debug("HTTP exchange", metadata: metadata)
    }

    /// One warning per retry: why (status or failure kind), which attempt comes next, and the wait.
    private func logRetry(_ request: Request, retry: Int, after failure: ModelError, delay: Duration, secrets: [Secret]) {
        let logger = configuration.logger
        guard logger.logLevel <= .warning else { return }
        let url = RequestTarget(request.url).map { Self.loggedURL($0, secrets: secrets) } ?? "?"
        let reason = failure.status.map { $0 == 429 ? "rate limited (429)" : "HTTP \($0)" } ?? failure.message
        logger.warning("retrying \(request.method) \(url) after \(reason)", metadata: [
            "attempt": .stringConvertible(retry + 1),
            "wait_ms": .stringConvertible(delay.components.seconds * 1000 + delay.components.attoseconds / 1_000_000_000_000_000),
        ])
    }

    /// Headers that carry credentials and never follow a redirect to another origin.
    static let credentialHeaders: Set<String> = [
        "authorization", "proxy-authorization", "api-key", "x-api-key", "x-goog-api-key", "cookie",
        "x-amz-security-token",
    ]

    /// Reads a whole body. Past `deadline` the next chunk fails it with ``/SmolCore/ModelError/timeout(message:)``; a
    /// body that stops arriving altogether is ended by the read timeout, so no timer task is needed. Past
    /// `limit` bytes it fails with ``/SmolCore/ModelError/decoding(message:payload:)``, or, `truncating`, returns the
    /// first `limit` bytes (dropping the rest closes the connection).
    static func collect(_ body: ResponseBody, limit: Int, deadline: NIODeadline = .distantFuture,
                        truncating: Bool = false, secrets: [Secret]) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await chunk in body {
                if deadline != .distantFuture, NIODeadline.now() > deadline {
                    throw ModelError.timeout(message: "the request did not complete within the total timeout")
                }
                if truncating, bytes.count + chunk.readableBytes > limit {
                    bytes.append(contentsOf: chunk.readableBytesView.prefix(limit - bytes.count))
                    return bytes
                }
                guard bytes.count + chunk.readableBytes <= limit else {
                    throw ModelError.decoding(message: "the response body exceeds \(limit) bytes",
                                              payload: Secret.redact(String(decoding: bytes.prefix(2_000), as: UTF8.self), secrets: secrets))
                }
                bytes.append(contentsOf: chunk.readableBytesView)
            }
        } catch let error as ModelError {
            throw error
        } catch {
            throw HTTPFailure.modelError(from: error, secrets: secrets, partial: bytes)
        }
        return bytes
    }
}
