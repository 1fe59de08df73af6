import Logging
import NIOSSL
import SmolCore
import Tracing

/// How an ``HTTPEngine`` talks to a provider: timeouts, retries, redirects, compression, hooks, proxy and TLS trust.
public struct HTTPConfiguration: Sendable {
    /// The longest wait for a TCP (and TLS) connection.
    public var connectTimeout: Duration
    /// The longest silence while reading a response, between any two bytes (a stalled stream fails).
    public var readTimeout: Duration
    /// The longest a whole non-streamed request may take, retries and the waits between them included
    /// (one deadline for all attempts); for a stream, the longest wait for its first body byte, also
    /// across attempts. `nil` for no limit.
    ///
    /// Once a stream's bytes flow it is bounded by ``readTimeout`` only (the silence between two
    /// bytes), as a long generation is not a fault. The time spent connecting counts toward the
    /// deadline, but a connection attempt itself is ended by ``connectTimeout`` (keep it no longer
    /// than this, as `smol` does). A retry whose back-off would end past the deadline is not
    /// attempted: the last failure is thrown.
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
    /// Extra PEM root certificates to trust, e.g. a corporate CA or a test server's self-signed
    /// certificate, on top of the system's roots. One or more `-----BEGIN CERTIFICATE-----` blocks.
    ///
    /// Text that holds no valid certificate fails closed: no root at all is then trusted, so every HTTPS
    /// request fails certificate verification with a ``/SmolCore/ModelError/connection(message:)`` (never a crash,
    /// never a silent fall-back to the system roots). Call ``validateTrustedRootCertificates()`` to get a
    /// precise ``/SmolCore/ModelError/invalidInput(message:location:)`` up front.
    public var trustedRootCertificatesPEM: String?
    /// Where the engine logs (swift-log): one `debug` line per HTTP exchange (method, host, path without the
    /// query, status, latency, attempt) and a `warning` per retry (why, and the wait, e.g. a 429's
    /// `Retry-After`). Keys, tokens and bodies are never logged; query strings neither (some APIs put keys there).
    public var logger = Logger(label: "swift-smolagents.http")
    /// Also log each request body at `trace` level, with the request's secrets redacted (off by default:
    /// prompts are private).
    public var logsBodies = false
    /// Where each `generate` / `generateStream` span goes (OpenTelemetry GenAI conventions, `chat {model}`);
    /// `nil` for the tracer the application bootstrapped with `InstrumentationSystem.bootstrap` (none: no spans).
    public var tracer: (any Tracer)?
    /// The forward proxy to use, overriding the environment; ``ProxyConfiguration/none`` for none at all.
    /// `nil` (the default) reads `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY` and `NO_PROXY` (either case)
    /// from ``environment``, as curl and the Python SDKs do.
    ///
    /// `https` origins are reached through a `CONNECT` tunnel (TLS runs end to end, with the origin's
    /// name), `http` origins with absolute-form requests; both send `Proxy-Authorization: Basic` when the
    /// proxy has credentials. A proxy's own refusal (407, a failed tunnel, a refused connection) is an
    /// error that names the proxy's `host:port`, never its credentials.
    public var proxy: ProxyConfiguration?
    /// A PEM bundle of the root certificates to trust *instead of* the system's (curl's `--cacert`,
    /// requests' `verify=path`). `nil`: `SSL_CERT_FILE` / `SSL_CERT_DIR` from ``environment``, else the
    /// system roots. ``trustedRootCertificatesPEM`` is added on top of either.
    public var caBundlePath: String?
    /// A PEM file holding the client certificate (chain, leaf first) presented to servers that ask for
    /// one (mutual TLS, as enterprise gateways require). It may also hold the private key.
    public var clientCertificatePath: String?
    /// The PEM file of the client certificate's private key; `nil`: it is in ``clientCertificatePath``.
    public var clientPrivateKeyPath: String?
    /// Where the proxy and TLS variables are read (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`,
    /// `SSL_CERT_FILE`, `SSL_CERT_DIR`, either case where curl reads either). Only those variables are
    /// kept. `nil`: models set it from their own `environment:` argument, and an ``HTTPEngine`` created
    /// without one reads the process environment; `[:]` means no proxy and the system roots.
    public var environment: [String: String]? {
        get { networkVariables?.values }
        set { networkVariables = newValue.map(NetworkVariables.init) }
    }
    /// The application's own HTTP stack (URLSession, AsyncHTTPClient, …) instead of the built-in HTTP/1.1
    /// transport over SwiftNIO; `nil` (the default) for the built-in one. The engine keeps retries, redirects,
    /// timeouts across attempts, redaction, logging and spans; ``HTTPClientTransport`` says what a transport does.
    /// The proxy, TLS, compression and connection-pool options then configure nothing: the transport brings its own.
    public var transport: (any HTTPClientTransport)?
    /// The kept variables, hidden from `dump` (a proxy URL may hold a password).
    var networkVariables: NetworkVariables?

    /// Creates a configuration; the defaults follow the official OpenAI SDK (10 min timeout, 3 attempts).
    public init(
        connectTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(600),
        totalTimeout: Duration? = .seconds(600), retry: RetryPolicy = .default, maximumRedirects: Int = 5,
        decompression: Bool = true, maximumConnectionsPerHost: Int = 64,
        onRequest: (@Sendable (inout HTTPEngine.Request) async throws -> Void)? = nil,
        onResponse: (@Sendable (_ status: Int, _ headers: [(String, String)]) -> Void)? = nil,
        trustedRootCertificatesPEM: String? = nil, proxy: ProxyConfiguration? = nil, caBundlePath: String? = nil,
        clientCertificatePath: String? = nil, clientPrivateKeyPath: String? = nil,
        environment: [String: String]? = nil
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
        self.trustedRootCertificatesPEM = trustedRootCertificatesPEM
        self.proxy = proxy
        self.caBundlePath = caBundlePath
        self.clientCertificatePath = clientCertificatePath
        self.clientPrivateKeyPath = clientPrivateKeyPath
        self.environment = environment
    }

    /// This configuration reading `environment` when it has no environment of its own: how models hand
    /// their `environment:` argument down, so that `environment: [:]` also means no proxy.
    func inheriting(environment: [String: String]) -> HTTPConfiguration {
        guard networkVariables == nil else { return self }
        var copy = self
        copy.environment = environment
        return copy
    }

    /// Throws ``/SmolCore/ModelError/invalidInput(message:location:)`` when ``trustedRootCertificatesPEM`` is set
    /// but holds no valid PEM certificate.
    public func validateTrustedRootCertificates() throws(ModelError) {
        guard let pem = trustedRootCertificatesPEM else { return }
        if Self.certificates(fromPEM: pem) == nil {
            throw .invalidInput(message: "trustedRootCertificatesPEM holds no valid PEM certificate",
                                location: "trustedRootCertificatesPEM")
        }
    }

    /// The certificates in `pem`, or `nil` when it holds none or is malformed.
    static func certificates(fromPEM pem: String) -> [NIOSSLCertificate]? {
        guard let certificates = try? NIOSSLCertificate.fromPEMBytes(Array(pem.utf8)), !certificates.isEmpty else {
            return nil
        }
        return certificates
    }

    /// What identifies the underlying connection pool: requests with the same key share connections.
    var poolKey: PoolKey {
        PoolKey(connect: connectTimeout, read: readTimeout, decompression: decompression,
                connections: maximumConnectionsPerHost, trustedRoots: trustedRootCertificatesPEM, proxy: proxy,
                caBundlePath: caBundlePath, clientCertificatePath: clientCertificatePath,
                clientPrivateKeyPath: clientPrivateKeyPath, environment: networkVariables)
    }

    struct PoolKey: Hashable, Sendable {
        var connect: Duration
        var read: Duration
        var decompression: Bool
        var connections: Int
        var trustedRoots: String?
        var proxy: ProxyConfiguration?
        var caBundlePath: String?
        var clientCertificatePath: String?
        var clientPrivateKeyPath: String?
        var environment: NetworkVariables?
    }
}

/// The proxy and TLS variables of an environment, and nothing else from it (it holds API keys).
struct NetworkVariables: Sendable, Hashable, CustomStringConvertible, CustomReflectable {
    /// The variables read.
    static let names = Set(ProxyResolver.variables + ["SSL_CERT_FILE", "SSL_CERT_DIR"])

    let values: [String: String]

    init(_ environment: [String: String]) {
        values = environment.filter { Self.names.contains($0.key) }
    }

    /// The names only: a proxy URL may hold a password.
    var description: String { "NetworkVariables(\(values.keys.sorted()))" }
    var customMirror: Mirror { Mirror(self, children: ["names": values.keys.sorted()], displayStyle: .struct) }
}
