/// An open-addressing hash map from a token pair (`left << 32 | right`) to `rank << 32 | merged id`.
///
/// The BPE loop looks up every adjacent pair, often several times; `Dictionary`'s seeded SipHash dominated
/// that loop, while pairs of small integers hash well enough with one multiplication.
struct MergeTable: Sendable {
    private var keys: [UInt64]
    private var values: [UInt64]
    private let mask: Int
    private static let empty = UInt64.max

    init(capacity: Int) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = [UInt64](repeating: Self.empty, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & mask
    }

    /// Inserts `value` unless `key` is already present (the first, lowest-rank merge wins).
    mutating func insertIfAbsent(_ key: UInt64, _ value: UInt64) {
        var index = slot(key)
        while keys[index] != Self.empty {
            if keys[index] == key { return }
            index = (index + 1) & mask
        }
        keys[index] = key
        values[index] = value
    }

    @inline(__always)
    subscript(key: UInt64) -> UInt64? {
        var index = slot(key)
        while true {
            let stored = keys[index]
            if stored == key { return values[index] }
            if stored == Self.empty { return nil }
            index = (index + 1) & mask
        }
    }
}
