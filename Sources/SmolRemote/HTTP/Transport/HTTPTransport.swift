import NIOCore
import NIOHTTP1
import NIOSSL
import Synchronization

/// What a transport's connections share: timeouts, limits, compression and TLS trust.
struct TransportSettings: Sendable {
    var connectTimeout: Duration
    var readTimeout: Duration
    var decompression: Bool
    var maximumConnectionsPerHost: Int
    var trustedRootCertificatesPEM: String?
    private let tls: TLSContextCache

    init(_ configuration: HTTPConfiguration) {
        connectTimeout = configuration.connectTimeout
        readTimeout = configuration.readTimeout
        decompression = configuration.decompression
        maximumConnectionsPerHost = max(1, configuration.maximumConnectionsPerHost)
        trustedRootCertificatesPEM = configuration.trustedRootCertificatesPEM
        tls = TLSContextCache()
    }

    /// The TLS client context (built once: loading the system roots is expensive).
    func tlsContext() throws -> NIOSSLContext {
        try tls.context(trustedRootCertificatesPEM: trustedRootCertificatesPEM)
    }
}

private final class TLSContextCache: Sendable {
    private let cached = Mutex<NIOSSLContext?>(nil)

    func context(trustedRootCertificatesPEM pem: String?) throws -> NIOSSLContext {
        try cached.withLock { cached in
            if let cached { return cached }
            var tls = TLSConfiguration.makeClientConfiguration()
            if let pem {
                if let certificates = HTTPConfiguration.certificates(fromPEM: pem) {
                    tls.additionalTrustRoots = [.certificates(certificates)]
                } else {
                    // Malformed PEM: fail closed (trust nothing) rather than crash or silently ignore it.
                    tls.trustRoots = .certificates([])
                }
            }
            let context = try NIOSSLContext(configuration: tls)
            cached = context
            return context
        }
    }
}

/// HTTP/1.1 over SwiftNIO: one connection pool per origin, for one ``HTTPConfiguration``.
///
/// Transports are shared process-wide, one per distinct configuration, and never shut down (like
/// `HTTPClient.shared`), so that connections are pooled across models and calls.
final class HTTPTransport: Sendable {
    let settings: TransportSettings
    private let pools = Mutex<[Origin: HTTP1ConnectionPool]>([:])

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

    private func pool(for origin: Origin) -> HTTP1ConnectionPool {
        pools.withLock { pools in
            if let pool = pools[origin] { return pool }
            let pool = HTTP1ConnectionPool(origin: origin, settings: settings)
            pools[origin] = pool
            return pool
        }
    }

    /// Idle pooled connections to the origin of `url` (0 for a URL never used).
    func idleConnections(to url: String) -> Int {
        guard let origin = Origin(url) else { return 0 }
        return pools.withLock { $0[origin]?.idleCount ?? 0 }
    }

    /// Sends a request and reads the whole response before `deadline`.
    func collect(_ request: OutgoingRequest, origin: Origin, limit: Int, deadline: NIODeadline) async throws -> CollectedResponse {
        let readTimeout = TimeAmount(settings.readTimeout)
        return try await withConnection(to: origin) { connection, finish in
            try await connection.collect(request, limit: limit, readTimeout: readTimeout, deadline: deadline, finish: finish)
        }
    }

    /// Sends a request and returns at the response head. `firstByteDeadline` bounds the wait for the
    /// head and the first byte of the body; after that only the read timeout applies.
    func stream(_ request: OutgoingRequest, origin: Origin, firstByteDeadline: NIODeadline) async throws -> StreamedResponse {
        let readTimeout = TimeAmount(settings.readTimeout)
        return try await withConnection(to: origin) { connection, finish in
            try await connection.stream(request, readTimeout: readTimeout, firstByteDeadline: firstByteDeadline, finish: finish)
        }
    }

    /// Runs one exchange on a pooled connection. A reused connection that turns out to have been closed
    /// by the server before it answered (an idle keep-alive timeout racing the request) is replaced by
    /// a new one, once; any other failure is the caller's.
    private func withConnection<T>(
        to origin: Origin,
        _ exchange: (HTTP1Connection, @escaping @Sendable (Bool) -> Void) async throws -> T
    ) async throws -> T {
        let pool = pool(for: origin)
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
