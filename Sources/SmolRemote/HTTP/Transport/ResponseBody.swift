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

    let base: Producer
    let secrets: [Secret]
    /// The server, for error messages (`Host` header form).
    var host: String? = nil

    /// Iterates the chunks; transport failures are thrown as ``/SmolCore/ModelError``s with secrets redacted.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator
        let secrets: [Secret]
        let host: String?

        /// The next chunk, or `nil` at the end of the body.
        public mutating func next() async throws -> ByteBuffer? {
            do {
                return try await base.next()
            } catch {
                throw HTTPFailure.modelError(from: error, secrets: secrets, host: host)
            }
        }
    }

    /// Starts iterating the body (a body can be iterated once).
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), secrets: secrets, host: host)
    }
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
