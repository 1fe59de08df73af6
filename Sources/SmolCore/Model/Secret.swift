/// A credential (API key, bearer token, AWS secret) that never prints.
///
/// `description`, `debugDescription`, string interpolation, `dump` and `Mirror` all show
/// `Secret(redacted)`; only ``revealed`` gives the value, for the one place that puts it on the wire.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable, ExpressibleByStringLiteral
{
    private let value: String

    /// Wraps a credential.
    public init(_ value: String) { self.value = value }

    public init(stringLiteral value: String) { self.value = value }

    /// The credential itself. Use it only to build the request that needs it.
    public var revealed: String { value }

    /// Whether the credential is the empty string.
    public var isEmpty: Bool { value.isEmpty }

    public var description: String { "Secret(redacted)" }
    public var debugDescription: String { "Secret(redacted)" }
    public var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }

    /// Replaces every occurrence of each secret in `text` with `[REDACTED]`, spelled as is or escaped.
    ///
    /// Transports run provider messages and payloads through this before building a ``ModelError``:
    /// some providers echo the key they rejected, and not always verbatim. An error body may carry it
    /// JSON-escaped (`\u0073k-…`, `\U0073`, `\/`, `\"`, escapes of escapes such as `\\u0073`) or
    /// percent-encoded (`sk%2Dabc`, in a URL it quotes), any mix of those character by character; every
    /// such spelling is matched, so redacting the raw bytes and the decoded text both work.
    public static func redact(_ text: String, secrets: [Secret]) -> String {
        var result = text
        // Longest first, so a secret that contains another is removed whole.
        for secret in secrets.sorted(by: { $0.value.count > $1.value.count }) where secret.value.count >= 4 {
            result = SecretSpelling(secret.value).redact(in: result)
        }
        return result
    }
}

/// Finds a secret in text however each of its characters is spelled: as is, as a JSON escape, or
/// percent-encoded.
///
/// The search simulates all spellings at once (a set of candidate end positions per character), so it
/// stays linear in the text for each secret, whatever mix of escapes a server chose.
struct SecretSpelling {
    private let scalars: [Unicode.Scalar]

    init(_ secret: String) { scalars = Array(secret.unicodeScalars) }

    /// `text` with every spelling of the secret replaced by `[REDACTED]`.
    func redact(in text: String) -> String {
        let bytes = Array(text.utf8)
        guard let first = scalars.first, bytes.count >= scalars.count else { return text }
        let firstByte = Array(String(first).utf8)[0]
        var output: [UInt8] = []
        var copied = 0
        var index = 0
        var changed = false
        while index < bytes.count {
            let byte = bytes[index]
            // Only a literal first character, an escape or a percent sign can start a match.
            if byte == firstByte || byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "%"), let end = matchEnd(in: bytes, from: index) {
                output.append(contentsOf: bytes[copied..<index])
                output.append(contentsOf: "[REDACTED]".utf8)
                index = end
                copied = end
                changed = true
            } else {
                index += 1
            }
        }
        guard changed else { return text }
        output.append(contentsOf: bytes[copied...])
        return String(decoding: output, as: UTF8.self)
    }

    /// Where the longest spelling of the secret starting at `start` ends, or `nil` if none starts there.
    private func matchEnd(in bytes: [UInt8], from start: Int) -> Int? {
        var positions: Set<Int> = [start]
        for scalar in scalars {
            var next: Set<Int> = []
            for position in positions { Self.ends(of: scalar, in: bytes, at: position, into: &next) }
            if next.isEmpty { return nil }
            positions = next
        }
        return positions.max()
    }

    /// Adds to `ends` the end of every spelling of `scalar` that starts at `position`.
    private static func ends(of scalar: Unicode.Scalar, in bytes: [UInt8], at position: Int, into ends: inout Set<Int>) {
        let utf8 = Array(String(scalar).utf8)
        if position + utf8.count <= bytes.count, bytes[position..<(position + utf8.count)].elementsEqual(utf8) {
            ends.insert(position + utf8.count)
        }
        // Percent-encoding, one `%HH` per UTF-8 byte (either case of hex digit).
        var cursor = position
        for byte in utf8 {
            guard cursor + 3 <= bytes.count, bytes[cursor] == UInt8(ascii: "%"),
                  let high = hexValue(bytes[cursor + 1]), let low = hexValue(bytes[cursor + 2]), high << 4 | low == Int(byte)
            else { cursor = -1; break }
            cursor += 3
        }
        if cursor > position { ends.insert(cursor) }
        // JSON escapes, behind any number of backslashes (text quoted inside JSON inside JSON).
        guard position < bytes.count, bytes[position] == UInt8(ascii: "\\") else { return }
        var afterSlashes = position
        while afterSlashes < bytes.count, bytes[afterSlashes] == UInt8(ascii: "\\") { afterSlashes += 1 }
        guard afterSlashes < bytes.count else { return }
        let escaped = bytes[afterSlashes]
        let shortForm: UInt8? = switch scalar {
        case "/": UInt8(ascii: "/")
        case "\"": UInt8(ascii: "\"")
        case "\n": UInt8(ascii: "n")
        case "\t": UInt8(ascii: "t")
        case "\r": UInt8(ascii: "r")
        default: nil
        }
        if let shortForm, escaped == shortForm { ends.insert(afterSlashes + 1) }
        // A backslash in the secret is itself written as two or more backslashes.
        if scalar == "\\", afterSlashes - position >= 2 { ends.insert(afterSlashes) }
        guard escaped == UInt8(ascii: "u") || escaped == UInt8(ascii: "U") else { return }
        if scalar.value <= 0xFFFF {
            if let value = hex4(bytes, afterSlashes + 1), value == Int(scalar.value) { ends.insert(afterSlashes + 5) }
        } else if let high = hex4(bytes, afterSlashes + 1) {
            // A UTF-16 surrogate pair: `\uD83D\uDE00`.
            let offset = Int(scalar.value) - 0x10000
            guard high == 0xD800 + offset >> 10 else { return }
            var lowStart = afterSlashes + 5
            guard lowStart < bytes.count, bytes[lowStart] == UInt8(ascii: "\\") else { return }
            while lowStart < bytes.count, bytes[lowStart] == UInt8(ascii: "\\") { lowStart += 1 }
            guard lowStart < bytes.count, bytes[lowStart] | 0x20 == UInt8(ascii: "u"),
                  let low = hex4(bytes, lowStart + 1), low == 0xDC00 + offset & 0x3FF
            else { return }
            ends.insert(lowStart + 5)
        }
    }

    private static func hex4(_ bytes: [UInt8], _ start: Int) -> Int? {
        guard start + 4 <= bytes.count else { return nil }
        var value = 0
        for index in start..<(start + 4) {
            guard let digit = hexValue(bytes[index]) else { return nil }
            value = value << 4 | digit
        }
        return value
    }

    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return Int(byte - UInt8(ascii: "a")) + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return Int(byte - UInt8(ascii: "A")) + 10
        default: return nil
        }
    }
}
