import SmolCore

/// An incremental decoder of AWS event-stream frames (`application/vnd.amazon.eventstream`).
///
/// Push the response body as it arrives, in chunks split anywhere (inside the prelude, a header or
/// the CRC). Bytes are buffered until a whole frame has arrived; then both CRCs are checked, the headers
/// parsed and the message returned. Each frame is examined once its bytes are complete, so chunking never
/// changes the result and the work stays linear.
///
/// It validates what botocore's `EventStreamBuffer` validates, in the same order: the prelude CRC, the
/// headers length (at most 128 KiB) and the payload length (at most 24 MiB) as soon as the 12-byte prelude
/// is in, before buffering the rest, so a garbage length cannot make it wait for (or allocate) gigabytes;
/// then the message CRC, the headers (known types, lengths inside the headers section, UTF-8 names and
/// strings, no duplicate names). It also rejects what botocore would misparse: a total length under
/// 16 bytes or too small for the declared headers. Every problem is a ``/SmolCore/ModelError/decoding(message:payload:)``
/// naming the problem and its byte offset in the stream, with the frame's first bytes in hex as payload.
///
/// A framing error is fatal: the stream cannot be resynchronised. Messages decoded before the bad frame in
/// the same ``push(_:)`` are still returned, and the error is thrown by the next `push` or ``finish()``;
/// once failed, the decoder keeps throwing the same error.
///
/// ```swift
/// var decoder = EventStreamDecoder()
/// for try await chunk in body { for message in try decoder.push(chunk.readableBytesView) { handle(message) } }
/// try decoder.finish()  // throws if the body ended inside a frame
/// ```
public struct EventStreamDecoder: Sendable {
    /// The largest headers section accepted: 128 KiB, botocore's `_MAX_HEADERS_LENGTH`.
    public static let maximumHeadersLength = 128 * 1024
    /// The largest payload accepted: 24 MiB, botocore's `_MAX_PAYLOAD_LENGTH`.
    public static let maximumPayloadLength = 24 * 1024 * 1024
    /// The prelude (total length, headers length, prelude CRC) plus the trailing message CRC.
    static let overhead = 16
    static let preludeLength = 12

    /// Received bytes; those before `start` are already decoded.
    private var buffer: [UInt8] = []
    private var start = 0
    /// How many bytes of the stream were decoded into messages: the stream offset of `buffer[start]`.
    public private(set) var consumedByteCount = 0
    private var failure: ModelError?

    /// Creates a decoder at the start of a stream.
    public init() {}

    /// The bytes received but not yet decoded: the start of a frame still arriving (or a bad frame).
    public var bufferedByteCount: Int { buffer.count - start }

    /// The framing error met so far, if any: ``push(_:)`` returns the messages decoded before a bad frame
    /// and throws this only on its next call, so a caller that must not wait for more bytes asks here.
    public var pendingFailure: ModelError? { failure }

    /// Whether every byte received so far belonged to a complete frame: the stream may end here.
    public var isAtMessageBoundary: Bool { buffer.count == start }

    /// Adds bytes from the stream and returns the messages they complete, in order.
    ///
    /// - Throws: ``/SmolCore/ModelError/decoding(message:payload:)`` for a corrupt or oversized frame (see the type's
    ///   discussion for when messages decoded before it are returned first).
    public mutating func push(_ bytes: some Sequence<UInt8>) throws(ModelError) -> [EventStreamMessage] {
        if let failure { throw failure }
        buffer.append(contentsOf: bytes)
        var messages: [EventStreamMessage] = []
        while buffer.count - start >= Self.preludeLength {
            let available = buffer.count - start
            let result = buffer.withUnsafeBytes { raw -> Result<EventStreamMessage?, ModelError> in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[start...])
                switch Self.checkPrelude(bytes, at: consumedByteCount) {
                case .failure(let error): return .failure(error)
                case .success(let total):
                    guard available >= total else { return .success(nil) }
                    return Self.decodeFrame(UnsafeRawBufferPointer(rebasing: bytes[..<total]), at: consumedByteCount).map { $0 }
                }
            }
            switch result {
            case .success(let message?):
                let total = Self.totalLength(buffer, at: start)
                start += total
                consumedByteCount += total
                messages.append(message)
                continue
            case .success(nil):
                break
            case .failure(let error):
                failure = error
                if messages.isEmpty { throw error }
            }
            break
        }
        compact()
        return messages
    }

    /// Declares the end of the stream.
    ///
    /// - Throws: the framing error met earlier, if any; otherwise ``/SmolCore/ModelError/stream(message:payload:partial:)``
    ///   if the stream ended inside a frame (the body was truncated).
    public func finish() throws(ModelError) {
        if let failure { throw failure }
        guard isAtMessageBoundary else {
            throw .stream(message: "the event stream ended inside a frame: \(bufferedByteCount) byte(s) of an incomplete frame at byte offset \(consumedByteCount)",
                          payload: Self.hexExcerpt(buffer[start...]))
        }
    }

    /// Drops decoded bytes from the buffer when that is cheap relative to what remains.
    private mutating func compact() {
        if start == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 1 << 20)
            start = 0
        } else if start >= 4096 && start >= buffer.count / 2 {
            buffer.removeSubrange(0..<start)
            start = 0
        }
    }

    // MARK: - Frame parsing

    static func totalLength(_ buffer: [UInt8], at index: Int) -> Int {
        Int(buffer[index]) << 24 | Int(buffer[index + 1]) << 16 | Int(buffer[index + 2]) << 8 | Int(buffer[index + 3])
    }

    static func uint32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Validates a prelude (`bytes` holds at least 12 bytes) and returns the frame's total length.
    static func checkPrelude(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Result<Int, ModelError> {
        let total = Int(uint32(bytes, 0)), headersLength = Int(uint32(bytes, 4)), declared = uint32(bytes, 8)
        let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: bytes[..<8]))
        func fail(_ problem: String, _ at: Int) -> Result<Int, ModelError> {
            .failure(error(problem, frame: offset, at: at, bytes: bytes))
        }
        if declared != computed {
            return fail("prelude checksum mismatch: the frame says \(hex(declared)), its first 8 bytes give \(hex(computed))", 8)
        }
        if total < overhead { return fail("total length \(total) is below the \(overhead)-byte minimum", 0) }
        if headersLength > maximumHeadersLength {
            return fail("headers length \(headersLength) exceeds the maximum of \(maximumHeadersLength)", 4)
        }
        if headersLength > total - overhead {
            return fail("headers length \(headersLength) does not fit in a frame of total length \(total)", 4)
        }
        let payloadLength = total - overhead - headersLength
        if payloadLength > maximumPayloadLength {
            return fail("payload length \(payloadLength) exceeds the maximum of \(maximumPayloadLength)", 0)
        }
        return .success(total)
    }

    /// Decodes one complete frame whose prelude was validated.
    static func decodeFrame(_ frame: UnsafeRawBufferPointer, at offset: Int) -> Result<EventStreamMessage, ModelError> {
        let total = frame.count, headersEnd = preludeLength + Int(uint32(frame, 4))
        let declared = uint32(frame, total - 4)
        let computed = CRC32.checksum(UnsafeRawBufferPointer(rebasing: frame[..<(total - 4)]))
        guard declared == computed else {
            return .failure(error("message checksum mismatch: the frame says \(hex(declared)), its bytes give \(hex(computed))",
                                  frame: offset, at: total - 4, bytes: frame))
        }
        switch parseHeaders(frame, from: preludeLength, to: headersEnd, frameOffset: offset) {
        case .failure(let error):
            return .failure(error)
        case .success(let headers):
            let payload = [UInt8](UnsafeRawBufferPointer(rebasing: frame[headersEnd..<(total - 4)]))
            return .success(EventStreamMessage(headers: headers, payload: payload))
        }
    }

    /// Parses the headers section `frame[from..<end]`.
    static func parseHeaders(_ frame: UnsafeRawBufferPointer, from: Int, to end: Int, frameOffset offset: Int)
        -> Result<[EventStreamHeader], ModelError>
    {
        var headers: [EventStreamHeader] = []
        headers.reserveCapacity(4)
        var index = from
        func fail(_ problem: String, _ at: Int) -> Result<[EventStreamHeader], ModelError> {
            .failure(error(problem, frame: offset, at: at, bytes: frame))
        }
        while index < end {
            let headerStart = index
            let nameLength = Int(frame[index])
            index += 1
            guard nameLength <= end - index else {
                return fail("header name of \(nameLength) bytes runs past the end of the headers section", headerStart)
            }
            guard let name = string(UnsafeRawBufferPointer(rebasing: frame[index..<(index + nameLength)])) else {
                return fail("header name is not valid UTF-8", index)
            }
            index += nameLength
            guard index < end else { return fail("header \"\(name)\" has no type byte", index) }
            let type = frame[index]
            index += 1
            let fixed: Int
            switch type {
            case 0, 1: fixed = 0
            case 2: fixed = 1
            case 3: fixed = 2
            case 4: fixed = 4
            case 5, 8: fixed = 8
            case 9: fixed = 16
            case 6, 7: fixed = 2
            default: return fail("header \"\(name)\" has unknown value type \(type)", index - 1)
            }
            guard fixed <= end - index else {
                return fail("header \"\(name)\" (type \(type)) needs \(fixed) value bytes but only \(end - index) remain in the headers section", index)
            }
            let value: EventStreamHeaderValue
            switch type {
            case 0, 1: value = .bool(type == 0)
            case 2: value = .byte(Int8(bitPattern: frame[index]))
            case 3: value = .short(Int16(bitPattern: UInt16(frame[index]) << 8 | UInt16(frame[index + 1])))
            case 4: value = .int(Int32(bitPattern: uint32(frame, index)))
            case 5, 8:
                let bits = Int64(bitPattern: UInt64(uint32(frame, index)) << 32 | UInt64(uint32(frame, index + 4)))
                value = type == 5 ? .long(bits) : .timestamp(bits)
            case 9: value = .uuid([UInt8](UnsafeRawBufferPointer(rebasing: frame[index..<(index + 16)])))
            default:  // 6, 7: u16 length, then the bytes
                let length = Int(frame[index]) << 8 | Int(frame[index + 1])
                guard length <= end - index - 2 else {
                    return fail("header \"\(name)\" declares a \(length)-byte value but only \(end - index - 2) bytes remain in the headers section", index)
                }
                let bytes = UnsafeRawBufferPointer(rebasing: frame[(index + 2)..<(index + 2 + length)])
                if type == 6 {
                    value = .bytes([UInt8](bytes))
                } else {
                    guard let text = string(bytes) else {
                        return fail("header \"\(name)\" has a string value that is not valid UTF-8", index + 2)
                    }
                    value = .string(text)
                }
                index += 2 + length - fixed
            }
            index += fixed
            if headers.contains(where: { $0.name == name }) {
                return fail("duplicate header \"\(name)\"", headerStart)
            }
            headers.append(EventStreamHeader(name, value))
        }
        return .success(headers)
    }

    /// Header names and values nearly every Bedrock frame repeats, shared instead of decoded (and, past
    /// 15 bytes, allocated) again for each frame: their UTF-8 bytes back to back, and where each one is.
    static let common: (bytes: [UInt8], ranges: [Range<Int>], strings: [String]) = {
        let strings = [":message-type", ":event-type", ":content-type", ":exception-type", "event", "exception",
                       "error", "application/json", "messageStart", "contentBlockStart", "contentBlockDelta",
                       "contentBlockStop", "messageStop", "metadata"]
        var bytes: [UInt8] = [], ranges: [Range<Int>] = []
        for string in strings {
            ranges.append(bytes.count..<(bytes.count + string.utf8.count))
            bytes += string.utf8
        }
        return (bytes, ranges, strings)
    }()

    /// The UTF-8 text of `bytes`, or `nil` if they are not valid UTF-8.
    static func string(_ bytes: UnsafeRawBufferPointer) -> String? {
        let common = Self.common
        let match = common.bytes.withUnsafeBytes { all -> Int? in
            for (index, range) in common.ranges.enumerated()
            where range.count == bytes.count && UnsafeRawBufferPointer(rebasing: all[range]).elementsEqual(bytes) {
                return index
            }
            return nil
        }
        if let match { return common.strings[match] }
        return String(validating: bytes, as: UTF8.self)
    }

    // MARK: - Errors

    static func error(_ problem: String, frame offset: Int, at position: Int, bytes: UnsafeRawBufferPointer) -> ModelError {
        .decoding(message: "invalid event-stream frame at byte offset \(offset): \(problem) (byte offset \(offset + position))",
                  payload: hexExcerpt(bytes))
    }

    static func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: 8 - digits.count) + digits
    }

    /// The first 256 bytes in hex (two digits per byte), with the full count when there are more.
    static func hexExcerpt(_ bytes: some Collection<UInt8>) -> String {
        let digits: [UInt8] = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(2 * min(bytes.count, 256) + 24)
        for byte in bytes.prefix(256) {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0xF)])
        }
        var result = String(decoding: text, as: UTF8.self)
        if bytes.count > 256 { result += "… (\(bytes.count) bytes)" }
        return result
    }
}
