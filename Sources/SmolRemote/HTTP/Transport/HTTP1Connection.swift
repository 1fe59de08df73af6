import NIOCore
import NIOHTTP1
import NIOHTTPCompression
import NIOPosix
import NIOSSL
import Synchronization

/// One HTTP/1.1 connection (TCP, TLS for `https`, maybe through a proxy), driven by an ``HTTP1ExchangeHandler``.
final class HTTP1Connection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBoundBox<HTTP1ExchangeHandler?>

    private static let exchangeIDs = Atomic<UInt64>(0)

    /// How many times its compressed size a body may expand to: more is refused as a decompression bomb.
    static let decompressionRatioLimit = 100

    private init(channel: any Channel, handler: NIOLoopBoundBox<HTTP1ExchangeHandler?>) {
        self.channel = channel
        self.handler = handler
    }

    /// Connects to `origin`, directly or through `proxy` (a `CONNECT` tunnel for `https`; for `http` the
    /// connection goes to the proxy and ``HTTPTransport`` sends absolute-form targets). `onIdleClose` runs
    /// (on the event loop) if the server closes the connection while it waits in its pool.
    static func connect(to origin: Origin, via proxy: ProxyServer?, settings: TransportSettings,
                        onIdleClose: @escaping @Sendable (HTTP1Connection) -> Void) async throws -> HTTP1Connection {
        let eventLoop = MultiThreadedEventLoopGroup.singleton.next()
        let box = NIOLoopBoundBox<HTTP1ExchangeHandler?>.makeEmptyBox(valueType: HTTP1ExchangeHandler.self,
                                                                      eventLoop: eventLoop)
        let tls = origin.isSecure ? try settings.tlsContext() : nil
        let serverName = origin.isIPAddress ? nil : origin.host
        let decompression = settings.decompression
        // Through a tunnel the HTTP pipeline (TLS first) is added only once the proxy has said yes.
        let tunnel = origin.isSecure && proxy != nil
        let bootstrap = ClientBootstrap(group: eventLoop)
            .connectTimeout(TimeAmount(settings.connectTimeout))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .channelOption(ChannelOptions.autoRead, value: false)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if !tunnel {
                        try addHandlers(to: channel, tls: tls, serverName: serverName, decompression: decompression, box: box)
                    }
                }
            }
        let channel: any Channel
        do {
            let host = proxy?.host ?? origin.host, port = proxy?.port ?? origin.port
            // An IP literal (a local server, most proxies) needs no name resolution: connecting to the address
            // skips getaddrinfo on another thread and the happy-eyeballs machinery, a large part of the CPU a
            // new connection costs (measured: scripts/bench/openai-client.sh, through a forward proxy).
            if let address = try? SocketAddress(ipAddress: host, port: port) {
                channel = try await bootstrap.connect(to: address).get()
            } else {
                channel = try await bootstrap.connect(host: host, port: port).get()
            }
        } catch {
            // Name the proxy, not the origin: it is the proxy that could not be reached.
            if let proxy { throw TransportError.proxyUnreachable(proxy: proxy.address, underlying: error) }
            if let channelError = error as? ChannelError, case .connectTimeout = channelError { throw TransportError.connectTimeout }
            throw error
        }
        if tunnel, let proxy {
            do {
                try await ProxyTunnel.open(on: channel, to: origin, via: proxy, timeout: settings.connectTimeout)
                try await channel.eventLoop.submit {
                    try addHandlers(to: channel, tls: tls, serverName: serverName, decompression: decompression, box: box)
                }.get()
            } catch {
                channel.close(promise: nil)
                throw error
            }
        }
        let connection = HTTP1Connection(channel: channel, handler: box)
        connection.onLoop { $0.onIdleClose = { [weak connection] in if let connection { onIdleClose(connection) } } }
        return connection
    }

    /// TLS (for `https`), NIO's HTTP/1.1 codec, decompression and the exchange handler; on the event loop.
    private static func addHandlers(to channel: any Channel, tls: NIOSSLContext?, serverName: String?, decompression: Bool,
                                    box: NIOLoopBoundBox<HTTP1ExchangeHandler?>) throws {
        let pipeline = channel.pipeline.syncOperations
        if let tls { try pipeline.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverName)) }
        // Headers are validated once per request by HTTPEngine (HeaderValidation), not on every write.
        try pipeline.addHTTPClientHandlers(enableOutboundHeaderValidation: false)
        if decompression { try pipeline.addHandler(NIOHTTPResponseDecompressor(limit: .ratio(decompressionRatioLimit))) }
        let handler = HTTP1ExchangeHandler()
        try pipeline.addHandler(handler)
        box.value = handler
    }

    /// Runs `body` with the handler on the event loop (later, in order, even when called on the loop).
    func onLoop(_ body: @escaping @Sendable (HTTP1ExchangeHandler) -> Void) {
        let box = handler
        channel.eventLoop.execute {
            if let handler = box.value { body(handler) }
        }
    }

    /// Sends a request and reads the whole response (at most `limit` body bytes) before `deadline`.
    func collect(_ request: OutgoingRequest, limit: Int, readTimeout: TimeAmount, deadline: NIODeadline,
                 finish: @escaping @Sendable (Bool) -> Void) async throws -> CollectedResponse {
        let id = Self.exchangeIDs.add(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                start(id: id, request, readTimeout: readTimeout, deadline: deadline,
                      waiter: .collect(continuation, limit: limit), finish: finish)
            }
        } onCancel: {
            onLoop { $0.cancel(exchangeID: id) }
        }
    }

    /// Sends a request and returns when the response head arrives, with the body still to read.
    /// `firstByteDeadline` bounds the wait for the head and the first body byte, not the whole body: a
    /// long generation is not a fault, a server that never starts answering is.
    func stream(_ request: OutgoingRequest, readTimeout: TimeAmount, firstByteDeadline: NIODeadline,
                finish: @escaping @Sendable (Bool) -> Void) async throws -> StreamedResponse {
        let id = Self.exchangeIDs.add(1, ordering: .relaxed).newValue
        return try await withTaskCancellationHandler {
            try await withUnsafeThrowingContinuation { continuation in
                start(id: id, request, readTimeout: readTimeout, deadline: firstByteDeadline,
                      waiter: .stream(continuation, self), finish: finish)
            }
        } onCancel: {
            onLoop { $0.cancel(exchangeID: id) }
        }
    }

    private func start(id: UInt64, _ request: OutgoingRequest, readTimeout: TimeAmount, deadline: NIODeadline,
                       waiter: HTTP1ExchangeHandler.Waiter, finish: @escaping @Sendable (Bool) -> Void) {
        let box = handler
        let transfer = WaiterTransfer(waiter: waiter)
        channel.eventLoop.execute {
            guard let handler = box.value else {
                transfer.resume(throwing: TransportError.closedBeforeResponse)
                finish(false)
                return
            }
            handler.start(id: id, head: request.head, body: request.body, keepAlive: request.keepAlive,
                          readTimeout: readTimeout, deadline: deadline, waiter: transfer.waiter, finish: finish)
        }
    }
}

/// Carries a waiter (continuations and a connection, all `Sendable`) onto the event loop.
private struct WaiterTransfer: Sendable {
    let waiter: HTTP1ExchangeHandler.Waiter

    func resume(throwing error: any Error) {
        switch waiter {
        case .collect(let continuation, _): continuation.resume(throwing: error)
        case .stream(let continuation, _): continuation.resume(throwing: error)
        }
    }
}


/// A request ready for the wire.
struct OutgoingRequest: Sendable {
    var head: HTTPRequestHead
    var body: ByteBuffer?
    /// `false` when the caller asked for `Connection: close`.
    var keepAlive: Bool
}
