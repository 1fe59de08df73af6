import NIOCore
import NIOHTTP1
import NIOHTTPCompression

/// Runs one request/response exchange at a time on an HTTP/1.1 connection, on its event loop.
///
/// A non-streamed exchange collects the body on the event loop and resumes the caller once, with the
/// whole response: one hop onto the loop to write, one hop back with the answer. A streamed exchange
/// hands the body to a ``ResponseBody`` with back-pressure: the socket is read only while the consumer
/// keeps up (the channel runs with `autoRead` off). One timer per exchange enforces the read timeout
/// (silence between bytes, not counted while the consumer holds reads back) and the deadline.
///
/// Exchange ids are unique per process and increase on one connection, so late signals (a timer, a
/// cancellation, a body consumer that goes away) for an exchange that is over are recognised and
/// ignored; a cancellation that overtakes its own start is remembered until the start arrives.
final class HTTP1ExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// Who waits for the response head.
    enum Waiter: Sendable {
        case collect(UnsafeContinuation<CollectedResponse, any Error>, limit: Int)
        case stream(UnsafeContinuation<StreamedResponse, any Error>, HTTP1Connection)
    }

    private enum Phase { case idle, awaitingHead, collecting, streaming, closed }

    private var context: ChannelHandlerContext?
    private var phase = Phase.idle
    private var exchangeID: UInt64 = 0
    private var lastStartedID: UInt64 = 0
    private var cancelledBeforeStart: Set<UInt64> = []
    private var waiter: Waiter?
    private var finish: (@Sendable (_ reusable: Bool) -> Void)?
    private var head: HTTPResponseHead?
    private var body = ByteBuffer()
    private var source: ResponseBody.Producer.Source?
    private var received = 0
    private var paused = false
    private var keepAlive = true
    private var readTimeout = TimeAmount.seconds(600)
    private var deadline = NIODeadline.distantFuture
    private var lastActivity = NIODeadline.now()
    private var timer: Scheduled<Void>?

    /// Called when the connection closes while it sits idle in its pool.
    var onIdleClose: (() -> Void)?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: - Starting, cancelling

    /// Sends `request` and starts waiting for its response. `finish` is called exactly once, when the
    /// connection is free again (`true`) or closed (`false`).
    func start(id: UInt64, head requestHead: HTTPRequestHead, body requestBody: ByteBuffer?, keepAlive: Bool,
               readTimeout: TimeAmount, deadline: NIODeadline, waiter: Waiter,
               finish: @escaping @Sendable (_ reusable: Bool) -> Void) {
        lastStartedID = id
        if cancelledBeforeStart.remove(id) != nil {
            Self.resume(waiter, throwing: CancellationError())
            finish(phase == .idle)
            return
        }
        guard phase == .idle, let context, context.channel.isActive else {
            Self.resume(waiter, throwing: TransportError.closedBeforeResponse)
            finish(false)
            return
        }
        exchangeID = id
        self.waiter = waiter
        self.finish = finish
        self.keepAlive = keepAlive
        self.readTimeout = readTimeout
        self.deadline = deadline
        head = nil
        received = 0
        paused = false
        phase = .awaitingHead
        lastActivity = .now()
        context.write(wrapOutboundOut(.head(requestHead)), promise: nil)
        if let requestBody { context.write(wrapOutboundOut(.body(.byteBuffer(requestBody))), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.read()
        armTimer()
    }

    /// The caller's task was cancelled.
    func cancel(exchangeID id: UInt64) {
        if id == exchangeID, phase == .awaitingHead || phase == .collecting || phase == .streaming {
            fail(CancellationError())
        } else if id > lastStartedID {
            cancelledBeforeStart.insert(id)
        }
    }

    /// The body's consumer wants more: read from the socket again.
    func resumeReading(exchangeID id: UInt64) {
        guard id == exchangeID, phase == .streaming, paused, let context else { return }
        paused = false
        lastActivity = .now()
        context.read()
    }

    /// The body's consumer is gone. Before the end of the body that closes the connection; after it,
    /// nothing is left to do.
    func bodyConsumerTerminated(exchangeID id: UInt64) {
        guard id == exchangeID, phase == .streaming else { return }
        fail(CancellationError())
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActivity = .now()
        switch unwrapInboundIn(data) {
        case .head(let responseHead):
            receivedHead(responseHead, context: context)
        case .body(var chunk):
            switch phase {
            case .collecting:
                guard let limit = collectLimit, body.readableBytes + chunk.readableBytes <= limit else {
                    let prefix = Array(body.readableBytesView.prefix(2_000))
                    fail(TransportError.bodyTooLarge(limit: collectLimit ?? 0, prefix: prefix))
                    return
                }
                body.writeBuffer(&chunk)
            case .streaming:
                // The deadline of a stream bounds the wait for its first byte only (see `stream`).
                if received == 0, chunk.readableBytes > 0 { deadline = .distantFuture }
                received += chunk.readableBytes
                if case .stopProducing = source?.yield(contentsOf: CollectionOfOne(chunk)) { paused = true }
            case .idle, .awaitingHead, .closed:
                // Bytes nobody asked for: the connection can no longer be trusted.
                if phase == .idle { context.close(promise: nil) }
            }
        case .end:
            complete()
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        switch phase {
        case .awaitingHead, .collecting, .idle: context.read()
        case .streaming: if !paused { context.read() }
        case .closed: break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        switch phase {
        case .idle:
            phase = .closed
            onIdleClose?()
        case .awaitingHead:
            fail(head == nil ? TransportError.closedBeforeResponse : TransportError.closedMidBody(receivedBytes: 0))
        case .collecting:
            fail(TransportError.closedMidBody(receivedBytes: body.readableBytes))
        case .streaming:
            fail(TransportError.closedMidBody(receivedBytes: received))
        case .closed:
            break
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch error {
        case is HTTPParserError:
            fail(TransportError.malformedResponse("\(error)"))
        case NIOHTTPDecompression.DecompressionError.limit:
            fail(TransportError.decompressionLimit(ratio: HTTP1Connection.decompressionRatioLimit))
        case let error as NIOHTTPDecompression.DecompressionError:
            fail(TransportError.decompressionFailed("\(error)"))
        case let error as NIOHTTPDecompression.ExtraDecompressionError:
            fail(TransportError.decompressionFailed("\(error)"))
        default:
            fail(error)
        }
        context.close(promise: nil)
    }

    // MARK: - Progress

    /// Whether the exchange collects the whole body (rather than streaming it).
    private var waiterIsCollect: Bool {
        if case .collect = waiter { return true }
        return false
    }

    private var collectLimit: Int? {
        if case .collect(_, let limit) = waiter { return limit }
        return nil
    }

    private func receivedHead(_ responseHead: HTTPResponseHead, context: ChannelHandlerContext) {
        guard phase == .awaitingHead, let waiter else {
            if phase == .idle { context.close(promise: nil) }
            return
        }
        // Informational answers (100 Continue, 103 Early Hints) precede the real one.
        if (100..<200).contains(responseHead.status.code), responseHead.status.code != 101 { return }
        head = responseHead
        keepAlive = keepAlive && responseHead.isKeepAlive
        switch waiter {
        case .collect:
            let length = responseHead.headers.first(name: "content-length").flatMap(Int.init) ?? 1_024
            body = context.channel.allocator.buffer(capacity: min(max(length, 0), 1 << 20))
            phase = .collecting
        case .stream(let continuation, let connection):
            let producer = ResponseBody.Producer.makeSequence(
                backPressureStrategy: .init(lowWatermark: 2, highWatermark: 16), finishOnDeinit: true,
                delegate: BodyDemand(connection: connection, exchangeID: exchangeID))
            source = producer.source
            phase = .streaming
            self.waiter = nil
            continuation.resume(returning: StreamedResponse(head: responseHead, body: ResponseBody(base: producer.sequence, secrets: [])))
        }
    }

    private func complete() {
        guard phase == .collecting || phase == .streaming, let head else { return }
        timer?.cancel()
        timer = nil
        let reusable = keepAlive && context?.channel.isActive == true
        let waiter = self.waiter
        let source = self.source
        let body = self.body
        reset()
        phase = reusable ? .idle : .closed
        // Free the connection before waking the caller, whose next request may want it.
        endExchange(reusable: reusable)
        if case .collect(let continuation, _) = waiter {
            continuation.resume(returning: CollectedResponse(head: head, body: body))
        }
        source?.finish()
    }

    private func fail(_ error: any Error) {
        guard phase != .idle, phase != .closed else { return }
        timer?.cancel()
        timer = nil
        let waiter = self.waiter
        let source = self.source
        reset()
        phase = .closed
        context?.close(promise: nil)
        endExchange(reusable: false)
        if let waiter { Self.resume(waiter, throwing: error) }
        source?.finish(error)
    }

    private func reset() {
        waiter = nil
        source = nil
        body = ByteBuffer()
    }

    private func endExchange(reusable: Bool) {
        let finish = self.finish
        self.finish = nil
        finish?(reusable)
        // An idle connection keeps one read pending, so that a server closing it is noticed at once.
        if reusable { context?.read() }
    }

    private static func resume(_ waiter: Waiter, throwing error: any Error) {
        switch waiter {
        case .collect(let continuation, _): continuation.resume(throwing: error)
        case .stream(let continuation, _): continuation.resume(throwing: error)
        }
    }

    // MARK: - Timeouts

    private func armTimer() {
        guard let context else { return }
        let id = exchangeID
        let due = min(lastActivity + readTimeout, deadline)
        timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: due) { [self] in
            timerFired(exchangeID: id)
        }
    }

    private func timerFired(exchangeID id: UInt64) {
        guard id == exchangeID, phase == .awaitingHead || phase == .collecting || phase == .streaming else { return }
        let now = NIODeadline.now()
        if now >= deadline {
            fail(phase == .collecting || waiterIsCollect ? TransportError.deadlineExceeded : TransportError.firstByteDeadlineExceeded)
        } else if paused {
            // The consumer holds reads back: that silence is not the server's.
            lastActivity = now
            armTimer()
        } else if now >= lastActivity + readTimeout {
            fail(TransportError.readTimeout)
        } else {
            armTimer()
        }
    }
}
