import NIOCore
import NIOHTTP1

/// Opens a `CONNECT` tunnel through a forward proxy on a fresh connection to it, for an `https` origin.
///
/// The proxy's answer is read with NIO's own HTTP/1.1 codec (the request encoder and response decoder
/// that ``HTTP1Connection`` uses, which knows a 2xx to `CONNECT` has no body); on a 2xx the three handlers
/// are removed and the caller adds TLS and the HTTP pipeline, so TLS runs end to end with the origin.
enum ProxyTunnel {
    /// Sends `CONNECT host:port` and waits for a 2xx. Throws ``TransportError/proxyRefused(proxy:status:reason:)``
    /// for any other answer, ``TransportError/proxyClosed(proxy:)`` when it hangs up first and
    /// ``TransportError/proxyTimeout(proxy:)`` when it does not answer within `timeout`.
    static func open(on channel: any Channel, to origin: Origin, via proxy: ProxyServer, timeout: Duration) async throws {
        let authority = origin.host.utf8.contains(UInt8(ascii: ":")) ? "[\(origin.host)]:\(origin.port)"
            : "\(origin.host):\(origin.port)"
        var headers = HTTPHeaders([("Host", authority)])
        if let authorization = proxy.authorization { headers.add(name: "Proxy-Authorization", value: authorization) }
        let head = HTTPRequestHead(version: .http1_1, method: .CONNECT, uri: authority, headers: headers)
        let promise = channel.eventLoop.makePromise(of: Void.self)
        let address = proxy.address
        let timeAmount = TimeAmount(timeout)
        try await channel.eventLoop.submit {
            let pipeline = channel.pipeline.syncOperations
            let encoder = HTTPRequestEncoder()
            let decoder = ByteToMessageHandler(HTTPResponseDecoder(leftOverBytesStrategy: .dropBytes))
            let handler = ConnectHandler(head: head, proxy: address, timeout: timeAmount, promise: promise)
            try pipeline.addHandler(encoder)
            try pipeline.addHandler(decoder)
            try pipeline.addHandler(handler)
            promise.futureResult.assumeIsolated().whenSuccess {
                // The tunnel is a byte pipe now: what follows is TLS, added by the caller.
                pipeline.removeHandler(handler, promise: nil)
                pipeline.removeHandler(decoder, promise: nil)
                pipeline.removeHandler(encoder, promise: nil)
            }
        }.get()
        try await promise.futureResult.get()
    }
}

/// Writes the `CONNECT` request and reads the proxy's answer (the channel runs with `autoRead` off).
private final class ConnectHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let head: HTTPRequestHead
    private let proxy: String
    private let timeout: TimeAmount
    private let promise: EventLoopPromise<Void>
    private var status: HTTPResponseStatus?
    private var done = false
    private var timer: Scheduled<Void>?

    init(head: HTTPRequestHead, proxy: String, timeout: TimeAmount, promise: EventLoopPromise<Void>) {
        self.head = head
        self.proxy = proxy
        self.timeout = timeout
        self.promise = promise
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
            fail(TransportError.proxyTimeout(proxy: proxy))
            channel.close(promise: nil)
        }
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.read()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let response):
            status = response.status
            // A 2xx to CONNECT ends the message: the decoder sends `.end` next and nothing else.
        case .body:
            break
        case .end:
            guard let status else { return fail(TransportError.proxyClosed(proxy: proxy)) }
            if (200..<300).contains(status.code) {
                succeed()
            } else {
                fail(TransportError.proxyRefused(proxy: proxy, status: Int(status.code), reason: status.reasonPhrase))
                context.close(promise: nil)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !done { context.read() }
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        fail(TransportError.proxyClosed(proxy: proxy))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        fail(TransportError.proxyClosed(proxy: proxy))
        context.close(promise: nil)
    }

    private func succeed() {
        guard !done else { return }
        done = true
        timer?.cancel()
        promise.succeed()
    }

    private func fail(_ error: any Error) {
        guard !done else { return }
        done = true
        timer?.cancel()
        promise.fail(error)
    }
}
