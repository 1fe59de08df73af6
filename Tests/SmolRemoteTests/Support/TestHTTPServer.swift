import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SmolCore
import Synchronization

/// One request as the test server received it.
struct RecordedRequest: Sendable {
    /// `GET`, `POST`, …
    var method: String
    /// The request target exactly as sent (`/v1/chat/completions?api-version=…`).
    var uri: String
    /// The target's path, still percent-encoded (as Python's `urlsplit` keeps it).
    var path: String
    /// The query as name → value (percent-decoded); a repeated name keeps its last value.
    var query: [String: String]
    /// Header fields with lowercase names; repeated fields are joined with `", "` (as the Python twin does).
    var headers: [String: String]
    /// The body bytes (de-chunked).
    var body: [UInt8]
    /// Which connection carried it: 1 for the first connection the server accepted, and so on.
    var connection: Int

    /// The body as text.
    var bodyText: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as JSON, when it is JSON.
    var json: JSONValue? { body.isEmpty ? nil : try? JSONValue(parsing: body) }

    init(head: HTTPRequestHead, body: [UInt8], connection: Int) {
        method = head.method.rawValue
        uri = head.uri
        let components = URLComponents(string: head.uri)
        path = components?.percentEncodedPath ?? head.uri
        var query: [String: String] = [:]
        for item in components?.queryItems ?? [] { query[item.name] = item.value ?? "" }
        self.query = query
        var headers: [String: String] = [:]
        for (name, value) in head.headers {
            let key = name.lowercased()
            headers[key] = headers[key].map { "\($0), \(value)" } ?? value
        }
        self.headers = headers
        self.body = body
        self.connection = connection
    }
}

/// What the test server does with a request.
enum TestResponse: Sendable {
    /// A complete response with a `content-length`.
    case full(status: Int = 200, headers: [(String, String)] = [], body: [UInt8])
    /// A chunked response, each chunk written and flushed on its own, `delayBetween` apart.
    case chunks(status: Int = 200, headers: [(String, String)] = sseHeaders, [[UInt8]], delayBetween: Duration = .zero)
    /// A chunked response head and these body bytes, then the TCP connection is reset (RST, `SO_LINGER` 0).
    case resetAfter(status: Int = 200, headers: [(String, String)] = sseHeaders, bytes: [UInt8])
    /// A chunked response head and these body bytes, then a clean close (FIN): a truncated body.
    case closeAfter(status: Int = 200, headers: [(String, String)] = sseHeaders, bytes: [UInt8])
    /// A chunked response head and these body bytes, then nothing more until the client gives up.
    case stallAfter(status: Int = 200, headers: [(String, String)] = sseHeaders, bytes: [UInt8])
    /// The request is read and never answered; the connection stays open until the client closes it.
    case stall
    /// A redirect with an empty body.
    case redirect(status: Int = 307, location: String)

    /// The head of an SSE response.
    static let sseHeaders: [(String, String)] = [("content-type", "text/event-stream"), ("cache-control", "no-cache")]

    /// A JSON response.
    static func json(_ value: JSONValue, status: Int = 200, headers: [(String, String)] = []) -> TestResponse {
        .full(status: status, headers: [("content-type", "application/json")] + headers,
              body: JSONEmitter().bytes(from: value))
    }

    /// A JSON response from text (which need not be valid JSON).
    static func json(text: String, status: Int = 200, headers: [(String, String)] = []) -> TestResponse {
        .full(status: status, headers: [("content-type", "application/json")] + headers, body: Array(text.utf8))
    }

    /// An SSE response: one chunk per event, each `data: <event>\n\n`.
    static func sse(_ events: [String], delayBetween: Duration = .zero) -> TestResponse {
        .chunks(sseEvents(events), delayBetween: delayBetween)
    }

    /// `data: <event>\n\n` for each event, as byte chunks.
    static func sseEvents(_ events: [String]) -> [[UInt8]] {
        events.map { Array("data: \($0)\n\n".utf8) }
    }
}

/// An in-process HTTP/1.1 server on 127.0.0.1 (SwiftNIO), for tests only.
///
/// Every request is recorded, then answered with what the handler returns. Keep-alive is supported
/// (requests on one connection are answered in order; pipelining is not needed by any client under
/// test). Accepted and closed connections are counted, so tests can check reuse and prompt closing.
final class TestHTTPServer: Sendable {
    typealias Handler = @Sendable (RecordedRequest) async -> TestResponse
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>

    /// The port the server listens on.
    let port: Int
    private let state: ServerState
    private let listener: any Channel
    private let acceptLoop: Task<Void, Never>

    /// `http://127.0.0.1:<port>`.
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in arrival order.
    var requests: [RecordedRequest] { state.locked { $0.requests } }

    /// How many TCP connections the server has accepted.
    var connectionCount: Int { state.locked { $0.accepted } }

    /// How many of those connections are closed (by either side).
    var closedConnectionCount: Int { state.locked { $0.closed } }

    private init(port: Int, state: ServerState, listener: any Channel, acceptLoop: Task<Void, Never>) {
        self.port = port
        self.state = state
        self.listener = listener
        self.acceptLoop = acceptLoop
    }

    /// Starts a server on an ephemeral port of 127.0.0.1.
    static func start(handler: @escaping Handler) async throws -> TestHTTPServer {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: "127.0.0.1", port: 0) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    return try Connection(wrappingChannelSynchronously: channel)
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
                            group.addTask { await serve(connection, id: id, handler: handler, state: state) }
                        }
                    }
                } catch {
                    // The listener was closed by `shutdown()`.
                }
                group.cancelAll()
            }
        }
        return TestHTTPServer(port: port, state: state, listener: server.channel, acceptLoop: loop)
    }

    /// Waits (polling) until `count` connections are closed; returns whether that happened in time.
    func waitForClosedConnections(_ count: Int, within limit: Duration) async -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + limit
        while clock.now < deadline {
            if closedConnectionCount >= count { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return closedConnectionCount >= count
    }

    /// Closes the listener and every open connection, and waits for the accept loop to end.
    func shutdown() async throws {
        let open = state.locked { Array($0.open.values) }
        try? await listener.close()
        for channel in open { try? await channel.close() }
        acceptLoop.cancel()
        await acceptLoop.value
    }
}

enum TestServerError: Error {
    case noPort
}

/// What the server has seen, shared by the accept loop, the connections and the tests.
final class ServerState: Sendable {
    struct Contents {
        var requests: [RecordedRequest] = []
        var accepted = 0
        var closed = 0
        var open: [Int: any Channel] = [:]
    }

    private let contents = Mutex(Contents())

    func locked<T: Sendable>(_ body: (inout Contents) -> T) -> T { contents.withLock { body(&$0) } }

    /// Counts a new connection and watches for its close; returns its 1-based id.
    func register(_ channel: any Channel) -> Int {
        let id = locked { contents in
            contents.accepted += 1
            contents.open[contents.accepted] = channel
            return contents.accepted
        }
        channel.closeFuture.whenComplete { [self] _ in
            locked { contents in
                if contents.open.removeValue(forKey: id) != nil { contents.closed += 1 }
            }
        }
        return id
    }

    func record(_ request: RecordedRequest) {
        locked { $0.requests.append(request) }
    }
}
