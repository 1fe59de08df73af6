/// A dictionary key that compares text scalar for scalar.
///
/// `String` equality and hashing follow canonical equivalence, so `"é"` and `"e\u{301}"`, or `";"` and the
/// Greek question mark U+037E, would be one key; vocabularies hold them as different tokens.
struct ExactText: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ text: String) { bytes = Array(text.utf8) }

    init(bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }

    static func == (lhs: ExactText, rhs: ExactText) -> Bool { lhs.bytes == rhs.bytes }

    /// One 64-bit FNV-1a value fed to the hasher: much cheaper than hashing every byte with SipHash, and
    /// still seeded per process by `Hasher`.
    func hash(into hasher: inout Hasher) { hasher.combine(Self.fnv1a(bytes)) }

    @inline(__always)
    static func fnv1a(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        return hash
    }
}
