import NIOCore

/// A way to carry one HTTP exchange, for applications that bring their own HTTP stack (URLSession on Apple
/// platforms, AsyncHTTPClient, a test double) instead of the engine's built-in HTTP/1.1 transport over SwiftNIO.
///
/// Set it as ``HTTPConfiguration/transport``. The ``HTTPEngine`` keeps its policy — retries with back-off and
/// `Retry-After`, redirects (credentials never follow one to another host), the total timeout across attempts,
/// secret redaction, typed errors, logging and spans — and asks the transport only to send one request and hand
/// back the response head with its body still streaming. So a transport must:
/// - send the request as given, and **not** follow redirects or retry (the engine does both, with its rules);
/// - return as soon as the response head arrives, whatever its status, with the body to stream;
/// - deliver the body decoded (the engine asks for no compression itself when a transport is set: a client that
///   adds `Accept-Encoding` must decompress, as URLSession and AsyncHTTPClient do);
/// - honour ``TransportRequest/connectTimeout``, ``TransportRequest/readTimeout`` and
///   ``TransportRequest/timeout`` as well as it can, and stop when the calling task is cancelled or the body's
///   consumer stops iterating (that is how a cancelled stream frees its connection).
///
/// Errors may be anything: a ``/SmolCore/ModelError`` keeps its kind (throw `.timeout` or `.connection` to
/// choose how it is retried), a `CancellationError` means the call was cancelled, and any other error becomes a
/// ``/SmolCore/ModelError/connection(message:)`` naming the server (retried like a dropped connection), or a
/// ``/SmolCore/ModelError/timeout(message:)`` when its description says it timed out. Secrets are redacted from the
/// messages either way.
///
/// The engine's own proxy and TLS options (``HTTPConfiguration/proxy``, ``HTTPConfiguration/caBundlePath``, …)
/// configure the built-in transport only: a transport of your own brings its own.
public protocol HTTPClientTransport: Sendable {
    /// Sends `request` and returns at the response head, the body still arriving.
    func send(_ request: TransportRequest) async throws -> TransportResponse
}

/// One request as the engine hands it to an ``HTTPClientTransport``: after the request hook, with the
/// `Content-Length` set, before any redirect.
public struct TransportRequest: Sendable {
    /// `GET`, `POST`, …
    public var method: String
    /// The absolute `http` or `https` URL.
    public var url: String
    /// Header fields, in order (no `Host`: the transport derives it from ``url``).
    public var headers: [(String, String)]
    /// The body, if any.
    public var body: [UInt8]?
    /// The longest wait for a connection (``HTTPConfiguration/connectTimeout``).
    public var connectTimeout: Duration
    /// The longest silence between two bytes of the response (``HTTPConfiguration/readTimeout``).
    public var readTimeout: Duration
    /// How long, from now, the response head may take to arrive: what is left of
    /// ``HTTPConfiguration/totalTimeout`` across attempts; `nil` for no limit. For a non-streamed request the
    /// engine also bounds reading the body by it.
    public var timeout: Duration?

    /// Creates a request.
    public init(method: String, url: String, headers: [(String, String)] = [], body: [UInt8]? = nil,
                connectTimeout: Duration = .seconds(10), readTimeout: Duration = .seconds(600), timeout: Duration? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.connectTimeout = connectTimeout
        self.readTimeout = readTimeout
        self.timeout = timeout
    }
}

/// What an ``HTTPClientTransport`` returns: the status and headers, and the body still arriving.
public struct TransportResponse: Sendable {
    /// The HTTP status, as the server sent it (redirects and errors included).
    public var status: Int
    /// Header fields, in order.
    public var headers: [(String, String)]
    /// The body, chunk by chunk.
    public var body: ResponseBody

    /// Creates a response whose body is `chunks`; iterating it stops (and should free the connection) when
    /// its consumer stops.
    public init<Chunks: AsyncSequence & Sendable>(status: Int, headers: [(String, String)], body chunks: Chunks)
    where Chunks.Element == ByteBuffer {
        self.status = status
        self.headers = headers
        body = ResponseBody(chunks: chunks)
    }

    /// Creates a response with a body already complete.
    public init(status: Int, headers: [(String, String)], body bytes: [UInt8]) {
        self.init(status: status, headers: headers, body: ResponseBody.Complete(bytes: bytes))
    }
}

extension ResponseBody {
    /// A body held in memory, delivered as one chunk.
    struct Complete: AsyncSequence, Sendable {
        typealias Element = ByteBuffer
        let bytes: [UInt8]

        struct AsyncIterator: AsyncIteratorProtocol {
            var bytes: [UInt8]?
            mutating func next() async throws -> ByteBuffer? {
                defer { bytes = nil }
                guard let bytes, !bytes.isEmpty else { return nil }
                return ByteBuffer(bytes: bytes)
            }
        }

        func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
    }
}
