import NIOCore
import SmolCore

/// A wire framing of streamed deltas: SSE chat-completion chunks, AWS event-stream frames, …
protocol DeltaFraming: Sendable {
    init()
    /// Whether the protocol's own end marker (`[DONE]`) has arrived; framings without one stay `false`
    /// and end with the body.
    var isDone: Bool { get }
    /// The deltas these bytes complete.
    mutating func push(_ bytes: ByteBufferView) throws(ModelError) -> [ChatMessageStreamDelta]
    /// The body ended: the last deltas, or an error if the stream is incomplete.
    mutating func finish() throws(ModelError) -> [ChatMessageStreamDelta]
    /// An error met in a chunk after deltas that `push` returned first; thrown once those are consumed.
    mutating func takeFailure() -> ModelError?
}

extension DeltaFraming {
    mutating func takeFailure() -> ModelError? { nil }
}

/// An error a framing met in a chunk after that chunk had already completed deltas.
///
/// Throwing at once would drop those deltas: the caller would never see them, and the error's partial
/// text would miss them. So they are returned first and the error waits here until
/// ``DeltaFraming/takeFailure()`` hands it over, once they have been consumed.
struct DeferredFailure: Sendable {
    private var error: ModelError?

    /// Returns `deltas` and keeps `error` for later, or throws it at once when there is nothing to deliver.
    mutating func deliver(_ deltas: [ChatMessageStreamDelta], then error: ModelError) throws(ModelError)
        -> [ChatMessageStreamDelta]
    {
        guard !deltas.isEmpty else { throw error }
        self.error = error
        return deltas
    }

    /// The kept error, once.
    mutating func take() -> ModelError? {
        defer { error = nil }
        return error
    }
}

/// One streamed answer, advanced by the consumer's own `next()` calls.
///
/// Pull-based on purpose: reading, SSE parsing and decoding run in the consuming task, so a delta
/// costs no task hand-off (a producer task plus a continuation cost ~7 µs of wake-ups per delta on
/// this machine, more than the decoding itself). Cancelling the consuming task cancels the read;
/// dropping the stream drops the response body, which closes the connection.
///
/// `@unchecked Sendable` is sound here: instances are created for exactly one
/// `AsyncThrowingStream(unfolding:)`, whose closure is called by one consumer, one call at a time
/// (an `AsyncIterator` is not shared and `next()` is not re-entered), so the mutable state below is
/// never touched by two tasks at once. After `[DONE]` the body iterator is moved into a draining task
/// and this object never touches it again.
final class DeltaStreamSource<Framing: DeltaFraming>: @unchecked Sendable {
    private let open: @Sendable () async throws -> (HTTPEngine.StreamingResponse, [Secret])
    private var body: ResponseBody.AsyncIterator?
    private var secrets: [Secret] = []
    private var framing = Framing()
    private var pending: [ChatMessageStreamDelta] = []
    private var pendingIndex = 0
    private var received = ""
    private var started = false
    private var finished = false

    init(open: @escaping @Sendable () async throws -> (HTTPEngine.StreamingResponse, [Secret])) {
        self.open = open
    }

    /// The stream of deltas this source produces.
    var stream: AsyncThrowingStream<ChatMessageStreamDelta, any Error> {
        AsyncThrowingStream(unfolding: { try await self.next() })
    }

    func next() async throws -> ChatMessageStreamDelta? {
        do {
            return try await advance()
        } catch let error as ModelError {
            finished = true
            body = nil
            throw (started ? Self.midStream(error, partial: received) : error).redacted(secrets)
        } catch {
            finished = true
            body = nil
            throw error
        }
    }

    private func advance() async throws -> ChatMessageStreamDelta? {
        while true {
            if pendingIndex < pending.count {
                defer { pendingIndex += 1 }
                return pending[pendingIndex]
            }
            pending.removeAll(keepingCapacity: true)
            pendingIndex = 0
            if let failure = framing.takeFailure() { throw failure }
            if finished { return nil }
            if framing.isDone {
                finish()
                return nil
            }
            if body == nil {
                let (response, secrets) = try await open()
                self.secrets = secrets
                body = response.body.makeAsyncIterator()
            }
            guard let chunk = try await body?.next() else {
                body = nil
                for delta in try framing.finish() { append(delta) }
                finished = true
                continue
            }
            started = true
            for delta in try framing.push(chunk.readableBytesView) { append(delta) }
        }
    }

    private func append(_ delta: ChatMessageStreamDelta) {
        if let text = delta.content { received += text }
        pending.append(delta)
    }

    /// The answer is complete at `[DONE]`. Whatever the server still sends (usually just the end of
    /// the chunked body) is drained in the background so the connection can be reused; errors there
    /// do not matter, and a server that keeps the body open only delays that task, not the caller.
    private func finish() {
        finished = true
        guard let remaining = body else { return }
        body = nil
        let drain = Drain(iterator: remaining)
        Task { await drain.run() }
    }

    /// After the first byte, every failure of the response becomes a stream error that keeps the text
    /// received so far: a broken connection, a timeout, a limit, a chunk or frame that cannot be decoded.
    static func midStream(_ error: ModelError, partial: String) -> ModelError {
        switch error {
        case .connection(let message), .timeout(let message):
            return .stream(message: "the stream broke: \(message)", payload: nil, partial: partial)
        case .decoding(let message, let payload):
            // Still a decoding problem (the message says so and the payload is kept), but reported as a
            // stream error so that the text delivered before it is not lost.
            return .stream(message: "could not decode the stream: \(message)", payload: payload, partial: partial)
        case .stream(let message, let payload, nil):
            return .stream(message: message, payload: payload, partial: partial)
        default:
            return error
        }
    }
}

/// Owns a body iterator that was moved out of a finished stream, and reads it to its end.
///
/// `@unchecked Sendable` is sound: the iterator is handed over exactly once, at creation, and only
/// `run()` — called once, by the single task created for it — ever touches it.
private final class Drain: @unchecked Sendable {
    private var iterator: ResponseBody.AsyncIterator

    init(iterator: ResponseBody.AsyncIterator) { self.iterator = iterator }

    func run() async {
        while (try? await iterator.next()) != nil {}
    }
}
