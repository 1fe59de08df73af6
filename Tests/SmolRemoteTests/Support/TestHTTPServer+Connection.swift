import NIOCore
import NIOHTTP1

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension TestHTTPServer {
    /// Serves one connection: requests in order, each answered before the next is read.
    static func serve(_ connection: Connection, id: Int, handler: @escaping Handler, state: ServerState) async {
        let channel = connection.channel
        do {
            try await connection.executeThenClose { inbound, outbound in
                var head: HTTPRequestHead?
                var body: [UInt8] = []
                for try await part in inbound {
                    switch part {
                    case .head(let value):
                        head = value
                        body = []
                    case .body(let buffer):
                        body.append(contentsOf: buffer.readableBytesView)
                    case .end:
                        guard let requestHead = head else { continue }
                        head = nil
                        let request = RecordedRequest(head: requestHead, body: body, connection: id)
                        state.record(request)
                        let response = await handler(request)
                        let keepOpen = try await write(response, for: requestHead, to: outbound, channel: channel)
                        if !keepOpen { return }
                    }
                }
            }
        } catch {
            // The client went away mid-exchange, or the server is shutting down: nothing to report.
        }
    }

    /// Writes `response`; returns whether the connection may carry another request.
    private static func write(
        _ response: TestResponse, for request: HTTPRequestHead,
        to outbound: NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>, channel: any Channel
    ) async throws -> Bool {
        let keepAlive = request.isKeepAlive
        func head(_ status: Int, _ headers: [(String, String)], length: Int?) -> HTTPServerResponsePart {
            var fields = HTTPHeaders(headers)
            if let length, !fields.contains(name: "content-length") {
                fields.replaceOrAdd(name: "content-length", value: String(length))
            }
            if !keepAlive { fields.replaceOrAdd(name: "connection", value: "close") }
            return .head(HTTPResponseHead(version: request.version, status: HTTPResponseStatus(statusCode: status),
                                          headers: fields))
        }
        func chunk(_ bytes: [UInt8]) -> HTTPServerResponsePart { .body(.byteBuffer(ByteBuffer(bytes: bytes))) }
        /// The head and the first body bytes of a response that will not end normally.
        func start(_ status: Int, _ headers: [(String, String)], _ bytes: [UInt8]) async throws {
            try await outbound.write(head(status, headers, length: nil))
            if !bytes.isEmpty { try await outbound.write(chunk(bytes)) }
        }

        switch response {
        case .full(let status, let headers, let body):
            try await outbound.write(head(status, headers, length: body.count))
            if !body.isEmpty { try await outbound.write(chunk(body)) }
            try await outbound.write(.end(nil))
            return keepAlive
        case .chunks(let status, let headers, let chunks, let delay):
            try await outbound.write(head(status, headers, length: nil))
            for (index, bytes) in chunks.enumerated() {
                if index > 0, delay > .zero { try await Task.sleep(for: delay) }
                try await outbound.write(chunk(bytes))
            }
            try await outbound.write(.end(nil))
            return keepAlive
        case .resetAfter(let status, let headers, let bytes):
            try await start(status, headers, bytes)
            // Let the client read what was sent: a reset may discard data still in flight.
            try await Task.sleep(for: .milliseconds(100))
            if let provider = channel as? any SocketOptionProvider {
                try await provider.setSoLinger(linger(l_onoff: 1, l_linger: 0)).get()
            }
            return false  // closing with SO_LINGER 0 sends RST
        case .closeAfter(let status, let headers, let bytes):
            try await start(status, headers, bytes)
            try await Task.sleep(for: .milliseconds(100))
            return false  // a clean close (FIN) in the middle of a chunked body
        case .stallAfter(let status, let headers, let bytes):
            try await start(status, headers, bytes)
            try? await channel.closeFuture.get()
            return false
        case .stall:
            try? await channel.closeFuture.get()
            return false
        case .redirect(let status, let location):
            try await outbound.write(head(status, [("location", location)], length: 0))
            try await outbound.write(.end(nil))
            return keepAlive
        }
    }
}
