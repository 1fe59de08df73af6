import SmolCore

// The AWS event-stream binary framing (`application/vnd.amazon.eventstream`), as Bedrock's
// ConverseStream and botocore's `botocore.eventstream` speak it. Every integer is big-endian:
//
//     [total length u32][headers length u32][prelude CRC32 u32 = CRC of the first 8 bytes]
//     [headers][payload][message CRC32 u32 = CRC of every byte before it]
//     header = [name length u8][name, UTF-8][type u8][value]
//
// total length = 16 + headers length + payload length; CRC32 is CRC-32/IEEE (zlib's `crc32`).

/// One header value of an event-stream message: one case per wire type.
public enum EventStreamHeaderValue: Sendable, Hashable {
    /// Wire types 0 (`true`) and 1 (`false`): no value bytes.
    case bool(Bool)
    /// Wire type 2: a signed 8-bit integer.
    case byte(Int8)
    /// Wire type 3: a signed 16-bit integer.
    case short(Int16)
    /// Wire type 4: a signed 32-bit integer.
    case int(Int32)
    /// Wire type 5: a signed 64-bit integer.
    case long(Int64)
    /// Wire type 6: a byte array of at most 65,535 bytes (u16 length prefix).
    case bytes([UInt8])
    /// Wire type 7: a UTF-8 string of at most 65,535 bytes (u16 length prefix).
    case string(String)
    /// Wire type 8: a timestamp, in milliseconds since the Unix epoch.
    case timestamp(Int64)
    /// Wire type 9: a UUID, exactly 16 bytes.
    case uuid([UInt8])

    /// The string, for `.string` values.
    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    /// The wire type byte.
    var wireType: UInt8 {
        switch self {
        case .bool(let value): return value ? 0 : 1
        case .byte: return 2
        case .short: return 3
        case .int: return 4
        case .long: return 5
        case .bytes: return 6
        case .string: return 7
        case .timestamp: return 8
        case .uuid: return 9
        }
    }
}

/// One named header of an event-stream message.
public struct EventStreamHeader: Sendable, Hashable {
    /// The header name (at most 255 UTF-8 bytes), such as `:event-type`.
    public var name: String
    /// The typed value.
    public var value: EventStreamHeaderValue

    /// Creates a header.
    public init(_ name: String, _ value: EventStreamHeaderValue) {
        self.name = name
        self.value = value
    }
}

/// One decoded (or to-be-encoded) event-stream message.
///
/// Headers are kept **in wire order**, as an array: the order is part of the bytes (and of the CRCs), so
/// decoding and re-encoding a frame gives it back byte for byte. Names are unique within a message (the
/// decoder rejects duplicates, as botocore does); look one up with ``header(_:)``. Equality compares
/// headers in order.
public struct EventStreamMessage: Sendable, Hashable {
    /// The headers, in wire order.
    public var headers: [EventStreamHeader]
    /// The payload bytes (JSON for Bedrock events and exceptions).
    public var payload: [UInt8]

    /// Creates a message from ordered headers and a payload.
    public init(headers: [EventStreamHeader] = [], payload: [UInt8] = []) {
        self.headers = headers
        self.payload = payload
    }

    /// Creates a message from a literal list of headers, kept in the order written:
    /// `EventStreamMessage(headers: [":message-type": .string("event")], payload: bytes)`.
    public init(headers: KeyValuePairs<String, EventStreamHeaderValue>, payload: [UInt8] = []) {
        self.init(headers: headers.map { EventStreamHeader($0.key, $0.value) }, payload: payload)
    }

    /// The value of the header named `name`, if the message has one.
    public func header(_ name: String) -> EventStreamHeaderValue? {
        headers.first { $0.name == name }?.value
    }

    /// The value of the header named `name` if it is a string header.
    public func stringHeader(_ name: String) -> String? {
        header(name)?.stringValue
    }
}

/// Encodes ``EventStreamMessage``s into event-stream frames (for tests and loopback servers that
/// replay ConverseStream responses).
public enum EventStreamEncoder {
    /// The frame for `message`: prelude, headers in the message's order, payload and both CRCs.
    ///
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` when the wire format cannot express the
    ///   message: a header name over 255 UTF-8 bytes, a `.bytes`/`.string` value over 65,535 bytes, a
    ///   `.uuid` that is not 16 bytes, or a frame larger than a `UInt32` length.
    public static func encode(_ message: EventStreamMessage) throws(ModelError) -> [UInt8] {
        var headersLength = 0
        for header in message.headers {
            headersLength += 2 + header.name.utf8.count + valueLength(header.value)
        }
        let total = 16 + headersLength + message.payload.count
        guard total <= Int(UInt32.max) else { throw .invalidInput(message: "event-stream frame of \(total) bytes exceeds the u32 length field", location: "event-stream header") }
        var frame: [UInt8] = []
        frame.reserveCapacity(total)
        append(UInt32(total), to: &frame)
        append(UInt32(headersLength), to: &frame)
        append(CRC32.checksum(frame), to: &frame)
        for header in message.headers {
            let nameLength = header.name.utf8.count
            guard nameLength <= 255 else { throw .invalidInput(message: "event-stream header name \"\(header.name)\" is longer than 255 bytes", location: "event-stream header") }
            frame.append(UInt8(nameLength))
            frame.append(contentsOf: header.name.utf8)
            frame.append(header.value.wireType)
            switch header.value {
            case .bool: break
            case .byte(let value): frame.append(UInt8(bitPattern: value))
            case .short(let value): append(UInt16(bitPattern: value), to: &frame)
            case .int(let value): append(UInt32(bitPattern: value), to: &frame)
            case .long(let value), .timestamp(let value): append(UInt64(bitPattern: value), to: &frame)
            case .bytes(let value):
                guard value.count <= 0xFFFF else { throw .invalidInput(message: "event-stream bytes header \"\(header.name)\" is longer than 65,535 bytes", location: "event-stream header") }
                append(UInt16(value.count), to: &frame)
                frame.append(contentsOf: value)
            case .string(let value):
                let count = value.utf8.count
                guard count <= 0xFFFF else { throw .invalidInput(message: "event-stream string header \"\(header.name)\" is longer than 65,535 bytes", location: "event-stream header") }
                append(UInt16(count), to: &frame)
                frame.append(contentsOf: value.utf8)
            case .uuid(let value):
                guard value.count == 16 else { throw .invalidInput(message: "event-stream uuid header \"\(header.name)\" must be 16 bytes, not \(value.count)", location: "event-stream header") }
                frame.append(contentsOf: value)
            }
        }
        frame.append(contentsOf: message.payload)
        append(CRC32.checksum(frame), to: &frame)
        return frame
    }

    /// The frames for `messages`, concatenated: a whole event-stream body.
    public static func encode(_ messages: some Sequence<EventStreamMessage>) throws(ModelError) -> [UInt8] {
        var body: [UInt8] = []
        for message in messages { body.append(contentsOf: try encode(message)) }
        return body
    }

    /// The number of value bytes after the type byte.
    static func valueLength(_ value: EventStreamHeaderValue) -> Int {
        switch value {
        case .bool: return 0
        case .byte: return 1
        case .short: return 2
        case .int: return 4
        case .long, .timestamp: return 8
        case .bytes(let value): return 2 + value.count
        case .string(let value): return 2 + value.utf8.count
        case .uuid: return 16
        }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}
