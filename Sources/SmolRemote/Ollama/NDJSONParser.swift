import NIOCore
import SmolCore

/// Splits a newline-delimited JSON body (`application/x-ndjson`, Ollama's stream format) into lines,
/// whatever the chunk boundaries.
///
/// Bytes are kept until a line feed arrives, and only whole lines are decoded as text: a chunk may end
/// anywhere, inside a JSON value or inside a multi-byte UTF-8 character, and a line is never seen
/// half. (A line feed byte never occurs inside a UTF-8 sequence, so splitting on it is safe.) A
/// trailing `\r` is dropped and blank lines are skipped. A line longer than ``maximumLineLength``
/// is an error rather than unbounded buffering.
public struct NDJSONParser: Sendable {
    /// The longest line accepted (16 MiB): a server that never sends a newline cannot exhaust memory,
    /// nor keep the client reading one line forever.
    public static let maximumLineLength = 16 << 20

    private let lineLimit: Int
    private var pending: [UInt8] = []
    /// The limit was crossed: every later call throws this.
    private var failure: ModelError?

    /// A fresh parser.
    public init() {
        self.init(lineLimit: Self.maximumLineLength)
    }

    /// A parser with a smaller limit, so tests can cross it without megabytes of input.
    init(lineLimit: Int) {
        self.lineLimit = lineLimit
    }

    /// Whether bytes of an unfinished line are buffered.
    public var hasIncompleteLine: Bool { pending.contains { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") } }

    /// The error that stopped the parser, if a line crossed the limit. ``push(_:)`` returns the lines
    /// completed before that line and throws this only on its next call; callers that must not wait
    /// for more bytes ask here.
    public var pendingFailure: ModelError? { failure }

    /// The complete lines these bytes finish, in order.
    ///
    /// - Throws: ``/SmolCore/ModelError/stream(message:payload:partial:)`` once a line is longer than the limit (see
    ///   ``pendingFailure`` for the lines completed before it in the same call).
    public mutating func push(_ bytes: ByteBufferView) throws(ModelError) -> [String] {
        if let failure { throw failure }
        var lines: [String] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if pending.count + bytes.distance(from: start, to: newline) > lineLimit { return try overflow(lines) }
            if pending.isEmpty {
                appendLine(bytes[start..<newline], to: &lines)
            } else {
                pending.append(contentsOf: bytes[start..<newline])
                appendLine(pending[...], to: &lines)
                pending.removeAll(keepingCapacity: true)
            }
            start = bytes.index(after: newline)
        }
        if pending.count + bytes.distance(from: start, to: bytes.endIndex) > lineLimit { return try overflow(lines) }
        pending.append(contentsOf: bytes[start...])
        return lines
    }

    /// Stops the parser: the lines before the offending one are returned, or the error thrown when there
    /// are none. Nothing after the limit is kept, so the stream cannot be read on forever.
    private mutating func overflow(_ lines: [String]) throws(ModelError) -> [String] {
        let error = ModelError.stream(
            message: "a line of the NDJSON stream is longer than \(SSEParser.byteCount(lineLimit)) (the line limit); the stream was stopped there")
        failure = error
        pending = []
        if lines.isEmpty { throw error }
        return lines
    }

    /// The body ended: the last line if it had no newline of its own, or nothing.
    ///
    /// - Throws: the limit error, if a line crossed it.
    public mutating func finish() throws(ModelError) -> [String] {
        if let failure { throw failure }
        defer { pending.removeAll() }
        var lines: [String] = []
        appendLine(pending[...], to: &lines)
        return lines
    }

    private func appendLine<Bytes: Collection<UInt8>>(_ line: Bytes, to lines: inout [String]) {
        var text = String(decoding: line, as: UTF8.self)
        if text.hasSuffix("\r") { text.removeLast() }
        if text.contains(where: { !$0.isWhitespace }) { lines.append(text) }
    }
}
