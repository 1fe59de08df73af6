import NIOCore
import NIOHTTP1
import Synchronization

/// HTTP/1.1 over SwiftNIO: one connection pool per origin and proxy, for one ``HTTPConfiguration``.
///
/// Transports are shared process-wide, one per distinct configuration, and never shut down (like
/// `HTTPClient.shared`), so that connections are pooled across models and calls.
final class HTTPTransport: Sendable {
    /// What a pool is for: the origin, and the proxy its connections go through (a connection to a proxy
    /// is no connection to the origin, and credentials differ per proxy).
    struct PoolKey: Hashable, Sendable {
        var origin: Origin
        var proxy: ProxyServer?
    }

    let settings: TransportSettings
    private let pools = Mutex<[PoolKey: HTTP1ConnectionPool]>([:])

    private static let shared = Mutex<[HTTPConfiguration.PoolKey: HTTPTransport]>([:])

    private init(settings: TransportSettings) {
        self.settings = settings
    }

    /// The transport for `configuration`.
    static func transport(for configuration: HTTPConfiguration) -> HTTPTransport {
        shared.withLock { transports in
            let key = configuration.poolKey
            if let transport = transports[key] { return transport }
            let transport = HTTPTransport(settings: TransportSettings(configuration))
            transports[key] = transport
            return transport
        }
    }

    private func pool(for key: PoolKey) -> HTTP1ConnectionPool {
        pools.withLock { pools in
            if let pool = pools[key] { return pool }
            let pool = HTTP1ConnectionPool(origin: key.origin, proxy: key.proxy, settings: settings)
            pools[key] = pool
            return pool
        }
    }

    /// Idle pooled connections to the origin of `url`, direct or through a proxy (0 for a URL never used).
    func idleConnections(to url: String) -> Int {
        guard let origin = Origin(url) else { return 0 }
        return pools.withLock { pools in pools.filter { $0.key.origin == origin }.reduce(0) { $0 + $1.value.idleCount } }
    }

    /// The `host:port` of the proxy requests to `origin` go through, for error messages; `nil` when direct.
    func proxyAddress(for origin: Origin) -> String? {
        (try? settings.proxies.server(for: origin))?.address
    }

    /// Sends a request and reads the whole response before `deadline`.
    func collect(_ request: OutgoingRequest, origin: Origin, limit: Int, deadline: NIODeadline) async throws -> CollectedResponse {
        let readTimeout = TimeAmount(settings.readTimeout)
        let (key, routed) = try route(request, to: origin)
        let response = try await withConnection(to: key) { connection, finish in
            try await connection.collect(routed, limit: limit, readTimeout: readTimeout, deadline: deadline, finish: finish)
        }
        try Self.checkProxyAnswer(response.head, key: key)
        return response
    }

    /// Sends a request and returns at the response head. `firstByteDeadline` bounds the wait for the
    /// head and the first byte of the body; after that only the read timeout applies.
    func stream(_ request: OutgoingRequest, origin: Origin, firstByteDeadline: NIODeadline) async throws -> StreamedResponse {
        let readTimeout = TimeAmount(settings.readTimeout)
        let (key, routed) = try route(request, to: origin)
        let response = try await withConnection(to: key) { connection, finish in
            try await connection.stream(routed, readTimeout: readTimeout, firstByteDeadline: firstByteDeadline, finish: finish)
        }
        // Dropping the body of a refused request closes its connection.
        try Self.checkProxyAnswer(response.head, key: key)
        return response
    }

    /// The pool for a request to `origin` and the request as that pool sends it: through a proxy, an
    /// `http` request carries an absolute-form target and the proxy's credentials (an `https` one is
    /// tunnelled unchanged: the proxy sees only `CONNECT`).
    private func route(_ original: OutgoingRequest, to origin: Origin) throws -> (PoolKey, OutgoingRequest) {
        let proxy = try settings.proxies.server(for: origin)
        var request = original
        if let proxy, !origin.isSecure {
            request.head.uri = "http://" + origin.hostHeader + request.head.uri
            if let authorization = proxy.authorization {
                request.head.headers.replaceOrAdd(name: "Proxy-Authorization", value: authorization)
            }
        }
        return (PoolKey(origin: origin, proxy: proxy), request)
    }

    /// A 407 on a plain-`http` request through a proxy is the proxy's answer, not the origin's.
    private static func checkProxyAnswer(_ head: HTTPResponseHead, key: PoolKey) throws {
        if let proxy = key.proxy, !key.origin.isSecure, head.status.code == 407 {
            throw TransportError.proxyRefused(proxy: proxy.address, status: 407, reason: head.status.reasonPhrase)
        }
    }

    /// Runs one exchange on a pooled connection. A reused connection that turns out to have been closed
    /// by the server before it answered (an idle keep-alive timeout racing the request) is replaced by
    /// a new one, once; any other failure is the caller's.
    private func withConnection<T>(
        to key: PoolKey,
        _ exchange: (HTTP1Connection, @escaping @Sendable (Bool) -> Void) async throws -> T
    ) async throws -> T {
        let pool = pool(for: key)
        var replacedStaleConnection = false
        while true {
            let (connection, reused) = try await pool.lease()
            do {
                return try await exchange(connection) { [pool] reusable in pool.release(connection, reusable: reusable) }
            } catch TransportError.closedBeforeResponse where reused && !replacedStaleConnection {
                replacedStaleConnection = true
            }
        }
    }
}

extension OutgoingRequest {
    /// The wire form of a request: request line, `Host`, the caller's headers in order, the body.
    init(method: String, target: RequestTarget, headers: [(String, String)], body: [UInt8]?) {
        var fields = HTTPHeaders()
        fields.reserveCapacity(headers.count + 2)
        var keepAlive = true
        if !headers.contains(where: { asciiCaseInsensitiveEquals($0.0, "host") }) {
            fields.add(name: "Host", value: target.origin.hostHeader)
        }
        for (name, value) in headers {
            if asciiCaseInsensitiveEquals(name, "connection"), connectionValueHasClose(value) {
                keepAlive = false
            }
            fields.add(name: name, value: value)
        }
        let head = HTTPRequestHead(version: .http1_1, method: HTTPMethod(rawValue: method), uri: target.pathAndQuery,
                                   headers: fields)
        self.init(head: head, body: body.map { ByteBuffer(bytes: $0) }, keepAlive: keepAlive)
    }
}

/// Header-name comparison without allocating: `lowercase` must already be lower-case ASCII.
func asciiCaseInsensitiveEquals(_ name: String, _ lowercase: StaticString) -> Bool {
    var name = name
    return name.withUTF8 { bytes in
        guard bytes.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        for index in 0..<bytes.count {
            let byte = bytes[index]
            let folded = (65...90).contains(byte) ? byte | 0x20 : byte
            if folded != expected[index] { return false }
        }
        return true
    }
}

/// Whether a `Connection` header value lists the `close` option (comma-separated, case-insensitive),
/// without Foundation's locale-aware search.
func connectionValueHasClose(_ value: String) -> Bool {
    value.utf8.split(separator: UInt8(ascii: ",")).contains { option in
        let trimmed = option.drop { $0 == 0x20 || $0 == 0x09 }.reversed().drop { $0 == 0x20 || $0 == 0x09 }
        guard trimmed.count == 5 else { return false }
        return zip(trimmed.reversed(), "close".utf8).allSatisfy { ($0 | 0x20) == $1 }
    }
}
