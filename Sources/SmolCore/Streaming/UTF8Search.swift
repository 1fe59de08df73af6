/// Substring search on UTF-8 bytes.
///
/// Python's `str` operations work on code points, while Swift's `String` compares grapheme clusters
/// with canonical equivalence (`"e\u{301}"` contains no `"e"` to Swift, but does to Python). Searching
/// the UTF-8 bytes gives Python's answer: UTF-8 is self-synchronising, so a match of a valid needle
/// always starts and ends on code-point boundaries.
enum UTF8Search {
    /// The first index at or after `start` where `needle` occurs in `haystack`.
    static func firstIndex(of needle: [UInt8], in haystack: [UInt8], from start: Int = 0) -> Int? {
        guard !needle.isEmpty else { return start <= haystack.count ? start : nil }
        guard haystack.count - start >= needle.count else { return nil }
        let first = needle[0]
        let last = haystack.count - needle.count
        var index = start
        return haystack.withUnsafeBufferPointer { hay in
            needle.withUnsafeBufferPointer { pin in
                while index <= last {
                    if hay[index] == first {
                        var matched = 1
                        while matched < pin.count, hay[index + matched] == pin[matched] { matched += 1 }
                        if matched == pin.count { return index }
                    }
                    index += 1
                }
                return nil
            }
        }
    }

    /// Whether `haystack[start...]` is a proper prefix of `needle` (the text so far could still grow into it).
    static func isProperPrefix(of needle: [UInt8], haystack: [UInt8], from start: Int) -> Bool {
        let length = haystack.count - start
        guard length > 0, length < needle.count else { return false }
        for offset in 0..<length where haystack[start + offset] != needle[offset] { return false }
        return true
    }
}
