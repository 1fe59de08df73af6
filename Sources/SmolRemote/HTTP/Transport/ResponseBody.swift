import NIOCore
import SmolCore

/// A streamed response body whose errors are ``/SmolCore/ModelError``s.
///
/// Reading is pull-based: the connection reads from the socket only while the consumer keeps up (a
/// high/low watermark of buffered chunks). Cancelling the consuming task, or dropping the body before
/// its end, closes the connection.
public struct ResponseBody: AsyncSequence, Sendable {
    /// A chunk of the body, as it arrived.
    public typealias Element = ByteBuffer

    typealias Producer = NIOThrowingAsyncSequenceProducer<
        ByteBuffer, any Error, NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, BodyDemand
    >

    /// Where the chunks come from: the built-in transport's connection, or an ``HTTPClientTransport``'s sequence.
    enum Source: Sendable {
        case connection(Producer)
        case custom(@Sendable () -> any ChunkIterator)
    }

    let source: Source
    var secrets: [Secret] = []
    /// The server, for error messages (`Host` header form).
    var host: String? = nil

    init(base: Producer, secrets: [Secret], host: String? = nil) {
        source = .connection(base)
        self.secrets = secrets
        self.host = host
    }

    init<Chunks: AsyncSequence & Sendable>(chunks: Chunks) where Chunks.Element == ByteBuffer {
        source = .custom { ErasedChunkIterator(base: chunks.makeAsyncIterator()) }
    }

    /// The same body, its errors redacted with `secrets` and naming `host`.
    func redacting(_ secrets: [Secret], host: String? = nil) -> ResponseBody {
        var body = self
        body.secrets = secrets
        body.host = host
        return body
    }

    /// Iterates the chunks; transport failures are thrown as ``/SmolCore/ModelError``s with secrets redacted.
    public struct AsyncIterator: AsyncIteratorProtocol {
        enum Base {
            case connection(Producer.AsyncIterator)
            case custom(any ChunkIterator)
        }

        var base: Base
        let secrets: [Secret]
        let host: String?

        /// The next chunk, or `nil` at the end of the body.
        public mutating func next() async throws -> ByteBuffer? {
            do {
                switch base {
                case .connection(let iterator):
                    // The connection's reader is a reference: nothing to write back.
                    return try await iterator.next()
                case .custom(var iterator):
                    defer { base = .custom(iterator) }
                    return try await iterator.next()
                }
            } catch {
                throw HTTPFailure.modelError(from: error, secrets: secrets, host: host)
            }
        }
    }

    /// Starts iterating the body (a body can be iterated once).
    public func makeAsyncIterator() -> AsyncIterator {
        switch source {
        case .connection(let producer):
            AsyncIterator(base: .connection(producer.makeAsyncIterator()), secrets: secrets, host: host)
        case .custom(let make):
            AsyncIterator(base: .custom(make()), secrets: secrets, host: host)
        }
    }
}

/// A custom transport's body iterator, its type erased.
protocol ChunkIterator {
    mutating func next() async throws -> ByteBuffer?
}

private struct ErasedChunkIterator<Base: AsyncIteratorProtocol>: ChunkIterator where Base.Element == ByteBuffer {
    var base: Base
    mutating func next() async throws -> ByteBuffer? { try await base.next() }
}

/// Connects a body's consumer to its connection: more demand resumes socket reads, a consumer that goes
/// away (finished early, cancelled or dropped) closes the connection unless the body was complete.
struct BodyDemand: NIOAsyncSequenceProducerDelegate {
    let connection: HTTP1Connection
    let exchangeID: UInt64

    func produceMore() {
        connection.onLoop { $0.resumeReading(exchangeID: exchangeID) }
    }

    func didTerminate() {
        connection.onLoop { $0.bodyConsumerTerminated(exchangeID: exchangeID) }
    }
}
