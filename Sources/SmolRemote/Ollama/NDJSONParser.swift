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
    /// The longest line accepted (16 MiB): a server that never sends a newline cannot exhaust memory.
    public static let maximumLineLength = 16 << 20

    private var pending: [UInt8] = []

    /// A fresh parser.
    public init() {}

    /// Whether bytes of an unfinished line are buffered.
    public var hasIncompleteLine: Bool { pending.contains { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") } }

    /// The complete lines these bytes finish, in order.
    ///
    /// - Throws: ``/SmolCore/ModelError/stream(message:payload:partial:)`` for a line over the size limit.
    public mutating func push(_ bytes: ByteBufferView) throws(ModelError) -> [String] {
        var lines: [String] = []
        var start = bytes.startIndex
        while let newline = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) {
            if pending.isEmpty {
                appendLine(bytes[start..<newline], to: &lines)
            } else {
                pending.append(contentsOf: bytes[start..<newline])
                appendLine(pending[...], to: &lines)
                pending.removeAll(keepingCapacity: true)
            }
            start = bytes.index(after: newline)
        }
        pending.append(contentsOf: bytes[start...])
        if pending.count > Self.maximumLineLength {
            throw .stream(message: "an NDJSON line is longer than \(Self.maximumLineLength) bytes without a newline")
        }
        return lines
    }

    /// The body ended: the last line if it had no newline of its own, or nothing.
    public mutating func finish() -> [String] {
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
