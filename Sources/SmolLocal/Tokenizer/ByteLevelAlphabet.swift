/// GPT-2's reversible byte ↔ character table used by byte-level BPE vocabularies.
///
/// Printable Latin-1 bytes stand for themselves; the other 68 bytes (controls, space, 0x7F–0xA0, 0xAD) are
/// shifted to U+0100 onwards so that every vocabulary entry is printable text (space becomes `Ġ`, `\n` `Ċ`).
enum ByteLevelAlphabet {
    /// The character standing for each byte value.
    static let characters: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var shifted: UInt32 = 256
        for byte in 0..<256 {
            let isPrintable = (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
            if isPrintable {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                // U+0100..U+0143 are all valid scalars, so the fallback never applies.
                table[byte] = Unicode.Scalar(shifted) ?? " "
                shifted += 1
            }
        }
        return table
    }()

    /// The byte each character of the alphabet stands for.
    static let bytes: [Unicode.Scalar: UInt8] = {
        var map: [Unicode.Scalar: UInt8] = [:]
        for (byte, scalar) in characters.enumerated() { map[scalar] = UInt8(byte) }
        return map
    }()

    /// The text a byte sequence becomes in the vocabulary.
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        var result = String.UnicodeScalarView()
        for byte in bytes { result.append(characters[Int(byte)]) }
        return String(result)
    }

    /// The bytes a vocabulary entry stands for, or `nil` if some character is outside the alphabet
    /// (as for added tokens such as `<|im_start|>` whose characters are all in it, or a token with CJK text,
    /// which is not).
    static func decode(_ token: String) -> [UInt8]? {
        var result: [UInt8] = []
        result.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard let byte = bytes[scalar] else { return nil }
            result.append(byte)
        }
        return result
    }
}
