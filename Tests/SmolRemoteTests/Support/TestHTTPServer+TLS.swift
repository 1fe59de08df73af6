import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// An HTTPS twin of ``TestHTTPServer`` on 127.0.0.1, for tests only: the same recording and the same
/// ``TestResponse``s (it reuses ``TestHTTPServer/serve(_:id:handler:state:)``), behind a TLS handshake
/// with the given certificate and key (NIOSSL).
final class TestTLSServer: Sendable {
    /// The port the server listens on.
    let port: Int
    private let state: ServerState
    private let listener: any Channel
    private let acceptLoop: Task<Void, Never>

    /// `https://127.0.0.1:<port>`.
    var baseURL: String { "https://127.0.0.1:\(port)" }

    /// Every request received so far (after a successful handshake), in arrival order.
    var requests: [RecordedRequest] { state.locked { $0.requests } }

    /// How many TCP connections the server has accepted, handshake or not.
    var connectionCount: Int { state.locked { $0.accepted } }

    private init(port: Int, state: ServerState, listener: any Channel, acceptLoop: Task<Void, Never>) {
        self.port = port
        self.state = state
        self.listener = listener
        self.acceptLoop = acceptLoop
    }

    /// Starts a server on an ephemeral port of 127.0.0.1 that presents `certificatePEM` (a chain, leaf first).
    /// With `clientCAPEM`, the handshake requires a client certificate signed by that CA (mutual TLS).
    static func start(certificatePEM: String, privateKeyPEM: String, clientCAPEM: String? = nil,
                      handler: @escaping TestHTTPServer.Handler) async throws -> TestTLSServer {
        let chain = try NIOSSLCertificate.fromPEMBytes(Array(certificatePEM.utf8))
        let key = try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem)
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        if let clientCAPEM {
            configuration.certificateVerification = .noHostnameVerification
            configuration.trustRoots = .certificates(try NIOSSLCertificate.fromPEMBytes(Array(clientCAPEM.utf8)))
        }
        let context = try NIOSSLContext(configuration: configuration)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try TestHTTPServer.Connection(wrappingChannelSynchronously: channel)
                }
            }
        guard let port = server.channel.localAddress?.port else {
            try? await server.channel.close()
            throw TestServerError.noPort
        }
        let state = ServerState()
        let loop = Task {
            await withDiscardingTaskGroup { group in
                do {
                    try await server.executeThenClose { inbound in
                        for try await connection in inbound {
                            let id = state.register(connection.channel)
                            group.addTask {
                                await TestHTTPServer.serve(connection, id: id, handler: handler, state: state)
                            }
                        }
                    }
                } catch {
                    // The listener was closed by `shutdown()`.
                }
                group.cancelAll()
            }
        }
        return TestTLSServer(port: port, state: state, listener: server.channel, acceptLoop: loop)
    }

    /// Closes the listener and every open connection, and waits for the accept loop to end.
    func shutdown() async {
        let open = state.locked { Array($0.open.values) }
        try? await listener.close()
        for channel in open { try? await channel.close() }
        acceptLoop.cancel()
        await acceptLoop.value
    }
}

/// Runs `body` with a fresh ``TestTLSServer`` and shuts it down afterwards, whether `body` succeeded or threw.
func withTLSTestServer<T>(
    certificatePEM: String, privateKeyPEM: String, clientCAPEM: String? = nil, _ handler: @escaping TestHTTPServer.Handler,
    _ body: (TestTLSServer) async throws -> T
) async throws -> T {
    let server = try await TestTLSServer.start(certificatePEM: certificatePEM, privateKeyPEM: privateKeyPEM,
                                               clientCAPEM: clientCAPEM, handler: handler)
    do {
        let result = try await body(server)
        await server.shutdown()
        return result
    } catch {
        await server.shutdown()
        throw error
    }
}
