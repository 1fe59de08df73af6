import Foundation

/// NFC (the Qwen2 normalizer) that calls Foundation's normalizer only around scalars NFC could change.
///
/// Text is cut at "stable starters": scalars below U+0300, or with combining class 0 that are neither changed
/// by NFC nor able to compose with what precedes them (see `NFCTable.swift`). Composition cannot cross such a
/// scalar and canonical reordering only moves combining marks, so each span from a stable starter up to the
/// next one normalizes on its own; spans without a suspicious scalar are already in NFC and are copied.
enum CanonicalComposition {
    static func nfc(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        var copied = 0
        var i = 0
        let count = scalars.count
        while i < count {
            let scalar = scalars[i]
            guard scalar.value >= 0x300, mayChange(scalar) else {
                i += 1
                continue
            }
            var start = i
            while start > copied {
                start -= 1
                if isStableStarter(scalars[start]) { break }
            }
            var end = i + 1
            while end < count, !isStableStarter(scalars[end]) { end += 1 }
            if result.isEmpty { result.reserveCapacity(count) }
            result.append(contentsOf: scalars[copied..<start])
            var span = String.UnicodeScalarView()
            span.append(contentsOf: scalars[start..<end])
            composeHangul(String(span).precomposedStringWithCanonicalMapping.unicodeScalars, into: &result)
            copied = end
            i = end
        }
        if copied == 0 { return scalars }
        result.append(contentsOf: scalars[copied...])
        return result
    }

    /// Appends `scalars` with Hangul jamo composed (L+V → LV, LV+T → LVT). swift-corelibs-foundation leaves
    /// a precomposed LV syllable followed by a trailing jamo uncomposed, where Unicode (and Python) compose it.
    private static func composeHangul(_ scalars: String.UnicodeScalarView, into result: inout [Unicode.Scalar]) {
        let base = result.count
        for scalar in scalars {
            let value = scalar.value
            if result.count > base, let last = result.last?.value {
                if (0x1100...0x1112).contains(last), (0x1161...0x1175).contains(value),
                    let syllable = Unicode.Scalar(0xAC00 + ((last - 0x1100) * 21 + (value - 0x1161)) * 28)
                {
                    result[result.count - 1] = syllable
                    continue
                }
                if (0xAC00...0xD7A3).contains(last), (last - 0xAC00) % 28 == 0, (0x11A8...0x11C2).contains(value),
                    let syllable = Unicode.Scalar(last + (value - 0x11A7))
                {
                    result[result.count - 1] = syllable
                    continue
                }
            }
            result.append(scalar)
        }
    }

    static func isStableStarter(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x300 || !mayChange(scalar)
    }

    /// Whether NFC could change this scalar or merge it with the scalar before it.
    static func mayChange(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x10000 { return basicPlaneMayChange[Int(value)] }
        return computeMayChange(scalar)
    }

    /// ``mayChange(_:)`` for the Basic Multilingual Plane, computed once.
    private static let basicPlaneMayChange: [Bool] = (0..<0x10000).map { value in
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return false }
        return computeMayChange(scalar)
    }

    private static func computeMayChange(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.properties.canonicalCombiningClass != .notReordered { return true }
        let value = UInt64(scalar.value)
        var low = 0
        var high = nfcUnstableStarterRanges.count
        while low < high {
            let middle = (low + high) / 2
            let range = nfcUnstableStarterRanges[middle]
            if value < range >> 32 {
                high = middle
            } else if value > range & 0xFFFF_FFFF {
                low = middle + 1
            } else {
                return true
            }
        }
        return false
    }
}
