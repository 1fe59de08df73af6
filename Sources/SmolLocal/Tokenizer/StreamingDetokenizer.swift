/// Turns generated token ids into text as they arrive, never splitting a UTF-8 character.
///
/// Byte-level tokens can end in the middle of a multi-byte character (an emoji is often two or three
/// tokens). ``append(_:)`` returns only complete text and holds back a trailing partial sequence until
/// the next token completes it; ``finish()`` flushes what is left, with U+FFFD for a sequence that never
/// completed (as Python's `errors="replace"` would). Invalid bytes that cannot start or continue a
/// character are replaced right away, so the concatenated output always equals
/// `tokenizer.decode(allIDs, skipSpecialTokens:)`.
public struct StreamingDetokenizer: Sendable {
    private let tokenizer: Tokenizer
    private let skipsSpecialTokens: Bool
    private var pending: [UInt8] = []
    private var atStart = true

    /// A detokenizer for ids produced with `tokenizer`.
    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = false) {
        self.tokenizer = tokenizer
        self.skipsSpecialTokens = skipSpecialTokens
    }

    /// Adds one token and returns the text it completes (often empty while a character is incomplete).
    ///
    /// - Throws: ``TokenizerError/idOutOfRange(id:vocabularySize:)`` for an id with no token.
    public mutating func append(_ id: Int32) throws(TokenizerError) -> String {
        guard let piece = try tokenizer.bytes(for: id, skipSpecialTokens: skipsSpecialTokens, atStart: atStart) else {
            return ""
        }
        if !piece.isEmpty { atStart = false }
        pending.append(contentsOf: piece)
        let complete = pending.count - Self.incompleteSuffixLength(pending)
        guard complete > 0 else { return "" }
        let text = String(decoding: pending[..<complete], as: UTF8.self)
        pending.removeFirst(complete)
        return text
    }

    /// Returns the held-back bytes, a dangling partial character becoming U+FFFD, and resets the state.
    public mutating func finish() -> String {
        let text = String(decoding: pending, as: UTF8.self)
        pending.removeAll()
        atStart = true
        return text
    }

    /// How many bytes at the end of `bytes` form the valid beginning of a character still missing bytes.
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        let count = bytes.count
        var back = 1
        while back <= min(3, count) {
            let byte = bytes[count - back]
            if byte & 0xC0 != 0x80 {
                // A lead byte: hold back only if it announces more bytes than are there and the ones there fit.
                let needed: Int
                switch byte {
                case 0xC2...0xDF: needed = 2
                case 0xE0...0xEF: needed = 3
                case 0xF0...0xF4: needed = 4
                default: return 0
                }
                guard needed > back else { return 0 }
                if back >= 2 {
                    let second = bytes[count - back + 1]
                    let secondRange: ClosedRange<UInt8>
                    switch byte {
                    case 0xE0: secondRange = 0xA0...0xBF
                    case 0xED: secondRange = 0x80...0x9F
                    case 0xF0: secondRange = 0x90...0xBF
                    case 0xF4: secondRange = 0x80...0x8F
                    default: secondRange = 0x80...0xBF
                    }
                    guard secondRange.contains(second) else { return 0 }
                }
                return back
            }
            back += 1
        }
        return 0
    }
}
