/// A dictionary key that compares text scalar for scalar.
///
/// `String` equality and hashing follow canonical equivalence, so `"é"` and `"e\u{301}"`, or `";"` and the
/// Greek question mark U+037E, would be one key; vocabularies hold them as different tokens.
struct ExactText: Hashable, Sendable {
    let bytes: [UInt8]

    init(_ text: String) { bytes = Array(text.utf8) }

    init(bytes: some Sequence<UInt8>) { self.bytes = Array(bytes) }
}
