import SmolCore

/// One dispatched Server-Sent Event.
///
/// Mirrors the `MessageEvent` a browser's `EventSource` would fire (WHATWG HTML, "Server-sent events").
public struct SSEEvent: Sendable, Hashable {
    /// The `event:` field, or `nil` when the block had none (or an empty one): the spec's default
    /// type `"message"`. Kept optional so callers can tell "typed" events apart without string compares.
    public var event: String?
    /// The block's `data:` lines joined with `"\n"` (the final trailing newline removed).
    public var data: String
    /// The last event ID at dispatch time: it persists across events until another `id:` field changes
    /// it. `nil` if no `id:` was ever seen; `""` after the server reset it with an empty `id:`.
    public var id: String?
    /// The last valid `retry:` value (milliseconds) seen in this event's block, if any.
    public var retry: Int?

    /// Creates an event.
    public init(event: String? = nil, data: String, id: String? = nil, retry: Int? = nil) {
        self.event = event
        self.data = data
        self.id = id
        self.retry = retry
    }
}

/// An incremental, spec-compliant `text/event-stream` parser (WHATWG HTML, "Server-sent events").
///
/// Feed it byte chunks as they arrive from the network, split anywhere: inside a line, between the CR
/// and LF of a CRLF, or inside a multi-byte UTF-8 character. Bytes are buffered until a whole line is
/// available, and each line is decoded only then, so chunking never changes the result.
///
/// Unlike a browser's, it has limits (``maximumLineLength``, ``maximumEventDataLength``); crossing one
/// stops the parser rather than dropping an event, and the caller must fail the stream (``overflow``).
///
/// ```swift
/// var parser = SSEParser()
/// for try await chunk in body {
///     for event in parser.push(chunk) { handle(event) }
///     if let overflow = parser.overflow { throw TooLarge(overflow) }  // the events before it were handled
/// }
/// _ = parser.finish()
/// if parser.hasIncompleteEvent { throw TruncatedStream() }
/// ```
public struct SSEParser: Sendable {
    /// The longest line (in bytes, without its terminator) the parser keeps: 16 MiB.
    ///
    /// A longer line stops the parser (see ``overflow``), so a hostile or broken server cannot make the
    /// client buffer without bound, and a line that never ends is not read forever.
    public static let maximumLineLength = 16 * 1024 * 1024

    /// The most data one event may accumulate across its `data:` lines: 64 MiB.
    ///
    /// The per-line limit alone would not stop many short `data:` lines without a blank line from growing
    /// the data buffer forever; past this limit the parser stops (see ``overflow``).
    public static let maximumEventDataLength = 4 * maximumLineLength

    /// Which limit stopped the parser.
    public enum Overflow: Sendable, Hashable, CustomStringConvertible {
        /// A line grew past `limit` bytes without a terminator.
        case line(limit: Int)
        /// One event's `data:` lines grew past `limit` bytes before the blank line that dispatches it.
        case eventData(limit: Int)

        /// A human sentence naming the limit, for error messages.
        public var description: String {
            switch self {
            case .line(let limit):
                return "a line of the event stream is longer than \(SSEParser.byteCount(limit)) (the SSE parser's line limit)"
            case .eventData(let limit):
                return "an event of the stream carries more than \(SSEParser.byteCount(limit)) of data (the SSE parser's event limit)"
            }
        }
    }

    private static let lf: UInt8 = 0x0A
    private static let cr: UInt8 = 0x0D
    private static let colon: UInt8 = 0x3A
    private static let space: UInt8 = 0x20

    /// The unterminated tail of the input: the start of the next line.
    private var buffer: [UInt8] = []
    /// How much of `buffer` is already known to hold no line terminator, so that tiny chunks do not
    /// rescan a long partial line over and over (which would be quadratic).
    private var scanned = 0
    /// The previous chunk ended in CR: an LF at the start of the next chunk completes that CRLF and
    /// must not end a second (blank) line, which would dispatch early.
    private var skipLeadingLF = false
    /// No byte has been examined yet: a leading BOM (possibly split across chunks) is still possible.
    private var atStreamStart = true
    private let lineLimit: Int
    private let dataLimit: Int

    /// The data buffer, as bytes: decoded once at dispatch rather than appended to a `String` per line.
    private var data: [UInt8] = []
    private var eventType: String?
    private var lastEventID: String?
    private var blockRetry: Int?
    /// A field line (known or not) arrived since the last blank line: an event block is open.
    private var blockStarted = false
    private var finished = false
    private var incompleteAtFinish = false

    /// The limit that stopped the parser, if one did: a line longer than ``maximumLineLength`` or an event
    /// with more than ``maximumEventDataLength`` bytes of data.
    ///
    /// Dropping the oversized event and carrying on (as a browser's unbounded parser never has to) would
    /// silently lose part of an answer, so the parser stops instead: ``push(_:)`` returns the events
    /// completed before the offending line and ignores every later byte. Callers must end the stream
    /// with an error (keeping what arrived before), never treat the truncated stream as complete.
    public private(set) var overflow: Overflow?

    /// `true` once a limit stopped the parser (``overflow`` is set). Sticky.
    public var overflowed: Bool { overflow != nil }

    /// The stream's reconnection time: the last valid `retry:` value, even from a block that dispatched
    /// nothing (the spec applies `retry:` immediately, independent of dispatch).
    public private(set) var reconnectionTime: Int?

    /// Creates a parser at the start of a stream.
    public init() {
        self.init(lineLimit: Self.maximumLineLength, dataLimit: Self.maximumEventDataLength)
    }

    /// Creates a parser with smaller limits, so tests can exercise overflow without megabytes of input.
    init(lineLimit: Int, dataLimit: Int) {
        self.lineLimit = lineLimit
        self.dataLimit = dataLimit
    }

    /// `true` when the stream stopped inside an event: a field line arrived without the blank line that
    /// dispatches it, or an unterminated non-comment line is buffered.
    ///
    /// The spec silently discards such an event at end of stream; for an API client it almost always
    /// means a truncated response, so callers check this after ``finish()`` and report an error.
    public var hasIncompleteEvent: Bool {
        if finished { return incompleteAtFinish }
        if overflow != nil { return true }
        let partialLineIsField = buffer.first.map { $0 != Self.colon } ?? false
        return blockStarted || partialLineIsField
    }

    /// The bytes currently held: the unterminated line plus the open event's data.
    public var bytesBuffered: Int { buffer.count + data.count }

    /// Parses `bytes` and returns the events they complete, in order.
    ///
    /// Bytes pushed after ``finish()``, or after a limit stopped the parser (``overflow``), are ignored.
    public mutating func push(_ bytes: some Sequence<UInt8>) -> [SSEEvent] {
        guard !finished, overflow == nil else { return [] }
        buffer.append(contentsOf: bytes)
        if atStreamStart {
            // The BOM may arrive split over chunks: wait until three bytes decide it.
            let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
            let available = min(buffer.count, bom.count)
            if buffer.prefix(available).elementsEqual(bom.prefix(available)) {
                if available < bom.count { return [] }
                buffer.removeFirst(bom.count)
            }
            atStreamStart = false
        }
        guard !buffer.isEmpty else { return [] }

        // Swap the buffer out so the scan can read it through a pointer while `self` is mutated.
        var input: [UInt8] = []
        swap(&input, &buffer)
        var events: [SSEEvent] = []
        var lineStart = 0
        var index = scanned
        if skipLeadingLF {
            skipLeadingLF = false
            if input[0] == Self.lf { lineStart = 1; index = 1 }
        }
        input.withUnsafeBufferPointer { bytes in
            let count = bytes.count
            while index < count {
                let byte = bytes[index]
                guard byte == Self.lf || byte == Self.cr else { index += 1; continue }
                if index - lineStart > lineLimit {
                    // A whole over-long line inside one chunk: stop, exactly as if it had arrived in pieces.
                    overflow = .line(limit: lineLimit)
                    return
                }
                if let event = processLine(UnsafeBufferPointer(rebasing: bytes[lineStart..<index])) {
                    events.append(event)
                }
                if overflow != nil { return }
                if byte == Self.cr {
                    if index + 1 < count {
                        if bytes[index + 1] == Self.lf { index += 1 }
                    } else {
                        skipLeadingLF = true
                    }
                }
                index += 1
                lineStart = index
            }
        }
        if overflow == nil, input.count - lineStart > lineLimit {
            // The unterminated line is already too long: waiting for its end could mean reading forever.
            overflow = .line(limit: lineLimit)
        }
        if overflow != nil {
            // Nothing after the offending line is looked at again: let its storage go.
            buffer = []
            data = []
            scanned = 0
            return events
        }
        input.removeSubrange(0..<lineStart)
        scanned = input.count
        buffer = input
        return events
    }

    /// Ends the stream and returns the events it completes, which is always none.
    ///
    /// Per the spec an event is dispatched only by a blank line, so pending data is discarded at end of
    /// stream; ``hasIncompleteEvent`` records whether there was any. Buffers are released.
    public mutating func finish() -> [SSEEvent] {
        guard !finished else { return [] }
        incompleteAtFinish = hasIncompleteEvent
        finished = true
        buffer = []
        data = []
        scanned = 0
        return []
    }

    /// Interprets one complete line (without terminator); returns an event if the line dispatched one.
    private mutating func processLine(_ line: UnsafeBufferPointer<UInt8>) -> SSEEvent? {
        guard let first = line.first else { return dispatch() }
        if first == Self.colon { return nil }  // a comment
        blockStarted = true

        let colonIndex = line.firstIndex(of: Self.colon) ?? line.count
        let name = UnsafeBufferPointer(rebasing: line[..<colonIndex])
        var valueStart = Swift.min(colonIndex + 1, line.count)
        if valueStart < line.count, line[valueStart] == Self.space { valueStart += 1 }
        let value = UnsafeBufferPointer(rebasing: line[valueStart...])

        // Field names are matched on bytes: the four known names are ASCII, and any other byte sequence
        // (invalid UTF-8 included) decodes to a name that matches none of them either.
        if name.elementsEqual("data".utf8) {
            if data.count + value.count + 1 > dataLimit {
                overflow = .eventData(limit: dataLimit)
                return nil
            }
            data.append(contentsOf: value)
            data.append(Self.lf)
        } else if name.elementsEqual("event".utf8) {
            // An empty type means the default, "message", which this API spells `nil`.
            eventType = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
        } else if name.elementsEqual("id".utf8) {
            // A NUL would make the ID unusable in a Last-Event-ID header, so the spec ignores the field.
            if !value.contains(0) { lastEventID = String(decoding: value, as: UTF8.self) }
        } else if name.elementsEqual("retry".utf8) {
            if let milliseconds = Self.parseRetry(value) {
                blockRetry = milliseconds
                reconnectionTime = milliseconds
            }
        }
        return nil
    }

    /// Parses a `retry:` value: one or more ASCII digits, nothing else. An empty value is ignored (as
    /// browsers do), and so is a value too large for `Int`.
    private static func parseRetry(_ value: UnsafeBufferPointer<UInt8>) -> Int? {
        guard !value.isEmpty else { return nil }
        var result = 0
        for byte in value {
            guard byte >= 0x30, byte <= 0x39 else { return nil }
            let (shifted, overflow1) = result.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int(byte - 0x30))
            if overflow1 || overflow2 { return nil }
            result = sum
        }
        return result
    }

    /// The blank-line step: fire the open block's event if it has data, then reset the block.
    private mutating func dispatch() -> SSEEvent? {
        defer {
            // Keep a modest buffer for the next event, but let one huge event's storage go.
            data.removeAll(keepingCapacity: data.capacity <= 64 * 1024)
            eventType = nil
            blockRetry = nil
            blockStarted = false
        }
        // An empty data buffer (no `data` line at all) dispatches nothing.
        guard !data.isEmpty else { return nil }
        let text = data.withUnsafeBufferPointer {
            String(decoding: UnsafeBufferPointer(rebasing: $0.dropLast()), as: UTF8.self)
        }
        return SSEEvent(event: eventType, data: text, id: lastEventID, retry: blockRetry)
    }
}

extension SSEParser {
    /// `limit` bytes in words: "16 MiB", "1,000 bytes".
    static func byteCount(_ limit: Int) -> String {
        if limit >= 1 << 20, limit % (1 << 20) == 0 { return "\(limit >> 20) MiB" }
        if limit >= 1 << 10, limit % (1 << 10) == 0 { return "\(limit >> 10) KiB" }
        return "\(limit) bytes"
    }

    /// The stream error for a parser that a limit stopped, or `nil` while none did. It names the limit;
    /// the stream source adds the text received before it.
    var overflowError: ModelError? {
        overflow.map { .stream(message: "\($0.description); the stream was stopped there instead of dropping the event") }
    }
}
