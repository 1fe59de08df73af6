import AsyncHTTPClient
import NIOCore
import NIOHTTP1
import SmolRemote

/// AsyncHTTPClient as the transport of every remote model: set it as ``/SmolRemote/HTTPConfiguration/transport``.
///
/// For applications that already run an `HTTPClient` and want one connection pool, one proxy and TLS setup and
/// one event loop group for everything they do, or HTTP/2 to providers that offer it. The engine keeps its
/// policy (retries, redirects, the total timeout across attempts, redaction, logging, spans), so the client
/// should not follow redirects itself; connect and read timeouts, proxies, TLS and decompression are the client's
/// own configuration (`HTTPClient.Configuration`).
///
/// ```swift
/// var http = HTTPConfiguration()
/// http.transport = AsyncHTTPClientTransport(client: myClient)
/// let model = try OpenAIServerModel(modelID: "gpt-4o-mini", http: http)
/// ```
public struct AsyncHTTPClientTransport: HTTPClientTransport {
    /// The client requests go through.
    public let client: HTTPClient

    /// A transport over `client`; by default ``defaultClient``. A client of your own should be configured with
    /// `redirectConfiguration: .disallow`: one that follows redirects itself bypasses the engine's rule that
    /// credentials never follow a redirect to another host.
    public init(client: HTTPClient = Self.defaultClient) {
        self.client = client
    }

    /// A process-wide client on NIO's shared event loops, never shut down (like `HTTPClient.shared`), configured
    /// as the engine expects: no redirects followed (the engine follows them), gzip/deflate decompressed with a
    /// bomb limit, the engine's default timeouts (10 s to connect, 600 s of silence).
    public static let defaultClient: HTTPClient = {
        var configuration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .seconds(10), read: .seconds(600)),
            decompression: .enabled(limit: .ratio(100)))
        configuration.httpVersion = .automatic
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    /// Sends `request` and returns at the response head, the body still arriving.
    public func send(_ request: TransportRequest) async throws -> TransportResponse {
        var outgoing = HTTPClientRequest(url: request.url)
        outgoing.method = HTTPMethod(rawValue: request.method)
        outgoing.headers.reserveCapacity(request.headers.count)
        for (name, value) in request.headers { outgoing.headers.add(name: name, value: value) }
        if let body = request.body { outgoing.body = .bytes(ByteBuffer(bytes: body)) }
        // The engine bounds the wait for the head itself; AsyncHTTPClient's deadline would also cut a long
        // stream's body, so it gets none.
        let response = try await client.execute(outgoing, deadline: .distantFuture)
        return TransportResponse(status: Int(response.status.code), headers: response.headers.map { ($0.name, $0.value) },
                                 body: response.body)
    }
}
