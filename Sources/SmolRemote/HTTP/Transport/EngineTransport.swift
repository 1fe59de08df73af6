import NIOCore
import NIOHTTP1
import SmolCore

/// What carries the engine's exchanges: the built-in HTTP/1.1 transport, or the application's
/// ``HTTPClientTransport``. Either way the engine sees the same `CollectedResponse` / `StreamedResponse`.
enum EngineTransport: Sendable {
    case builtin(HTTPTransport)
    case custom(any HTTPClientTransport)

    /// One request as the engine prepared it (hook run, headers validated), for either transport.
    struct Prepared: Sendable {
        var method: String
        var url: String
        var target: RequestTarget
        var headers: [(String, String)]
        var body: [UInt8]?
    }

    /// Whether the engine should ask for compressed bodies: only the built-in transport decompresses for it.
    var decompresses: Bool {
        if case .builtin = self { return true }
        return false
    }

    /// The `host:port` of the proxy requests to `origin` go through, for error messages (built-in only).
    func proxyAddress(for origin: Origin) -> String? {
        if case .builtin(let transport) = self { return transport.proxyAddress(for: origin) }
        return nil
    }

    /// Sends a request and reads the whole response (at most `limit` bytes) before `deadline`; a custom transport's
    /// failures are redacted with `secrets`.
    func collect(_ request: Prepared, limit: Int, deadline: NIODeadline, configuration: HTTPConfiguration,
                 secrets: [Secret]) async throws -> CollectedResponse
    {
        switch self {
        case .builtin(let transport):
            return try await transport.collect(request.outgoing, origin: request.target.origin, limit: limit, deadline: deadline)
        case .custom(let transport):
            let response = try await Self.send(request, through: transport, deadline: deadline, configuration: configuration)
            let body = try await HTTPEngine.collect(response.body.redacting(secrets, host: request.target.origin.hostHeader),
                                                    limit: limit, deadline: deadline, secrets: secrets)
            return CollectedResponse(head: response.head, body: ByteBuffer(bytes: body))
        }
    }

    /// Sends a request and returns at the response head; `firstByteDeadline` bounds the wait for it.
    func stream(_ request: Prepared, firstByteDeadline: NIODeadline, configuration: HTTPConfiguration) async throws
        -> StreamedResponse
    {
        switch self {
        case .builtin(let transport):
            return try await transport.stream(request.outgoing, origin: request.target.origin, firstByteDeadline: firstByteDeadline)
        case .custom(let transport):
            let response = try await Self.send(request, through: transport, deadline: firstByteDeadline, configuration: configuration)
            return StreamedResponse(head: response.head, body: response.body)
        }
    }

    /// One exchange through an application's transport. The engine keeps its own deadline even when the
    /// transport ignores the timeout it is given: past it the transport's call is cancelled, and the request fails as
    /// soon as that call returns (a transport must stop when cancelled, see ``HTTPClientTransport``).
    private static func send(_ request: Prepared, through transport: any HTTPClientTransport, deadline: NIODeadline,
                             configuration: HTTPConfiguration) async throws -> (head: HTTPResponseHead, body: ResponseBody) {
        let remaining = deadline == .distantFuture ? nil : Duration.nanoseconds(max(0, (deadline - .now()).nanoseconds))
        let outgoing = TransportRequest(method: request.method, url: request.url, headers: request.headers, body: request.body,
                                        connectTimeout: configuration.connectTimeout, readTimeout: configuration.readTimeout,
                                        timeout: remaining)
        let response: TransportResponse
        if let remaining {
            response = try await withThrowingTaskGroup(of: TransportResponse?.self) { group in
                group.addTask { try await transport.send(outgoing) }
                group.addTask {
                    try await Task.sleep(for: remaining)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let response = first else { throw TransportError.deadlineExceeded }
                return response
            }
        } else {
            response = try await transport.send(outgoing)
        }
        var headers = HTTPHeaders()
        for (name, value) in response.headers { headers.add(name: name, value: value) }
        let head = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        return (head, response.body)
    }
}

extension EngineTransport.Prepared {
    /// The built-in transport's wire form.
    var outgoing: OutgoingRequest { OutgoingRequest(method: method, target: target, headers: headers, body: body) }
}
