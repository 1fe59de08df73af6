import NIOCore
import NIOHTTP1

/// What can go wrong on one HTTP/1.1 connection, before ``HTTPFailure`` turns it into a ``/SmolCore/ModelError``.
enum TransportError: Error, Sendable {
    /// No TCP connection within the connect timeout.
    case connectTimeout
    /// No byte from the server within the read timeout.
    case readTimeout
    /// The whole exchange outlived its deadline (the total timeout).
    case deadlineExceeded
    /// A stream's head or first body byte did not arrive before its deadline (the total timeout).
    case firstByteDeadlineExceeded
    /// The connection closed before any byte of the response: on a reused connection this is the
    /// server having dropped an idle keep-alive connection, and the request is sent again once.
    case closedBeforeResponse
    /// The connection closed in the middle of a response body.
    case closedMidBody(receivedBytes: Int)
    /// A non-streamed body grew past the limit; `prefix` is its start, for the error message.
    case bodyTooLarge(limit: Int, prefix: [UInt8])
    /// The URL is not an absolute `http` / `https` URL.
    case invalidURL(String)
    /// The server's response could not be read as HTTP/1.1.
    case malformedResponse(String)
    /// A compressed body expanded past `ratio` times its compressed size: a likely decompression bomb.
    case decompressionLimit(ratio: Int)
    /// A compressed body could not be inflated (corrupt or truncated gzip/deflate data).
    case decompressionFailed(String)
    /// The proxy (`host:port`) could not be reached; `underlying` is the socket error.
    case proxyUnreachable(proxy: String, underlying: any Error)
    /// The proxy answered `CONNECT` (or, for an `http` origin, the request) with its own error status.
    case proxyRefused(proxy: String, status: Int, reason: String)
    /// The proxy closed the connection before answering `CONNECT`.
    case proxyClosed(proxy: String)
    /// The proxy did not answer `CONNECT` within the connect timeout.
    case proxyTimeout(proxy: String)
}

/// A complete (non-streamed) response as the transport read it.
struct CollectedResponse: Sendable {
    var head: HTTPResponseHead
    var body: ByteBuffer
}

/// A response head whose body is still arriving.
struct StreamedResponse: Sendable {
    var head: HTTPResponseHead
    var body: ResponseBody
}
