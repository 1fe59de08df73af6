import NIOCore
import SmolCore

/// One protocol's stream decoder over Server-Sent Events, as ``SSEFraming`` drives it.
protocol SSEStreamDecoding: Sendable {
    init()
    /// The delta one event completes, if any.
    mutating func decode(_ event: SSEEvent) throws(ModelError) -> ChatMessageStreamDelta?
    /// Whether the protocol's own end marker (`[DONE]`, `message_stop`) has arrived: nothing after it is read.
    var reachedEnd: Bool { get }
    /// Whether the stream may end with the body now (its end marker, or a finish for protocols without one).
    var isComplete: Bool { get }
    /// The error for a body that ended before ``isComplete``; `midEvent` when it stopped inside an event.
    static func incomplete(midEvent: Bool) -> ModelError
    /// Deltas held back until the body ends (a usage reported once for the whole stream).
    mutating func finalDeltas() -> [ChatMessageStreamDelta]
}

extension SSEStreamDecoding {
    var reachedEnd: Bool { false }
    mutating func finalDeltas() -> [ChatMessageStreamDelta] { [] }
}

/// A ``DeltaFraming`` for any protocol over Server-Sent Events: the parser cuts events, the decoder turns each
/// into a delta, an error after deltas waits until they are consumed, and a body that ends before the decoder
/// is complete is a typed stream error.
struct SSEFraming<Decoder: SSEStreamDecoding>: DeltaFraming {
    private var parser = SSEParser()
    private var decoder = Decoder()
    private var failure = DeferredFailure()

    init() {}

    var isDone: Bool { decoder.reachedEnd }

    mutating func push(_ bytes: ByteBufferView) throws(ModelError) -> [ChatMessageStreamDelta] {
        var deltas: [ChatMessageStreamDelta] = []
        for event in parser.push(bytes) {
            do {
                if let delta = try decoder.decode(event) { deltas.append(delta) }
            } catch {
                return try failure.deliver(deltas, then: error)
            }
            if decoder.reachedEnd { return deltas }
        }
        if let overflow = parser.overflowError { return try failure.deliver(deltas, then: overflow) }
        return deltas
    }

    mutating func takeFailure() -> ModelError? { failure.take() }

    mutating func finish() throws(ModelError) -> [ChatMessageStreamDelta] {
        var deltas: [ChatMessageStreamDelta] = []
        for event in parser.finish() {
            if let delta = try decoder.decode(event) { deltas.append(delta) }
        }
        guard decoder.isComplete else { throw Decoder.incomplete(midEvent: parser.hasIncompleteEvent) }
        return deltas + decoder.finalDeltas()
    }
}
