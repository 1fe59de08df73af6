import SmolCore

/// How an ``HTTPEngine`` talks to a provider: timeouts, retries, redirects, compression, hooks.
public struct HTTPConfiguration: Sendable {
    /// The longest wait for a TCP (and TLS) connection.
    public var connectTimeout: Duration
    /// The longest silence while reading a response, between any two bytes (a stalled stream fails).
    public var readTimeout: Duration
    /// The longest a whole non-streamed request may take, retries excluded; `nil` for no limit.
    /// Streams are bounded by ``readTimeout`` only, as a long generation is not a fault.
    public var totalTimeout: Duration?
    /// Retries on 408/409/429/5xx and connection errors, before the first byte of a response body.
    public var retry: RetryPolicy
    /// How many redirects to follow. Credentials are never forwarded to another host.
    public var maximumRedirects: Int
    /// Ask for gzip/deflate and decompress transparently.
    public var decompression: Bool
    /// Connections kept per host: requests beyond it wait for a free connection.
    public var maximumConnectionsPerHost: Int
    /// Called with every request just before it is sent (after retries and redirects are decided), e.g.
    /// to add tracing headers. It may change headers.
    public var onRequest: (@Sendable (inout HTTPEngine.Request) async throws -> Void)?
    /// Called with the status and headers of every response, e.g. to read rate-limit headers.
    public var onResponse: (@Sendable (_ status: Int, _ headers: [(String, String)]) -> Void)?

    /// Creates a configuration; the defaults follow the official OpenAI SDK (10 min timeout, 3 attempts).
    public init(
        connectTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(600),
        totalTimeout: Duration? = .seconds(600), retry: RetryPolicy = .default, maximumRedirects: Int = 5,
        decompression: Bool = true, maximumConnectionsPerHost: Int = 64,
        onRequest: (@Sendable (inout HTTPEngine.Request) async throws -> Void)? = nil,
        onResponse: (@Sendable (_ status: Int, _ headers: [(String, String)]) -> Void)? = nil
    ) {
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.totalTimeout = totalTimeout
        self.retry = retry
        self.maximumRedirects = maximumRedirects
        self.decompression = decompression
        self.maximumConnectionsPerHost = maximumConnectionsPerHost
        self.onRequest = onRequest
        self.onResponse = onResponse
    }

    /// What identifies the underlying connection pool: requests with the same key share connections.
    var poolKey: PoolKey {
        PoolKey(connect: connectTimeout, read: readTimeout, decompression: decompression,
                connections: maximumConnectionsPerHost)
    }

    struct PoolKey: Hashable, Sendable {
        var connect: Duration
        var read: Duration
        var decompression: Bool
        var connections: Int
    }
}
