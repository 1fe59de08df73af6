/// Python's `float.__repr__` (and so `json.dumps` of a float), byte for byte.
///
/// Both languages print the shortest digit string that reads back to the same `Double` (choosing the
/// nearest such string when several are equally short), so the digits are taken from Swift's
/// `description` and only the layout is redone. Python, with `decpt` such that the value is
/// `0.d1d2…dn × 10^decpt`, uses fixed notation when `-4 < decpt <= 16` (adding `.0` to integral values)
/// and otherwise `d.ddd` with an exponent of at least two digits and an explicit sign: `1e+16`, `1e-05`.
/// Swift switches notation at different thresholds (2^53 and 1e-5), which is why the layout is redone.
enum PythonFloatFormat {
    /// `repr(value)` as Python prints it, with `json`'s spellings `NaN`, `Infinity` and `-Infinity`.
    static func string(_ value: Double) -> String {
        var bytes: [UInt8] = []
        append(value, to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Appends the UTF-8 of ``string(_:)`` to `out`.
    static func append(_ value: Double, to out: inout [UInt8]) {
        if value.isNaN {
            out.append(contentsOf: "NaN".utf8)
            return
        }
        if value.isInfinite {
            out.append(contentsOf: value < 0 ? "-Infinity".utf8 : "Infinity".utf8)
            return
        }
        if value.sign == .minus { out.append(UInt8(ascii: "-")) }
        if value == 0 {
            out.append(contentsOf: "0.0".utf8)
            return
        }
        var text = value.magnitude.description
        text.withUTF8 { swiftText in
            // Swift prints at most 17 significant digits plus a few zeros of padding in fixed notation.
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 48) { digits in
                var count = 0
                var integerDigits = -1
                var exponent = 0
                var cursor = 0
                while cursor < swiftText.count {
                    let byte = swiftText[cursor]
                    cursor += 1
                    if byte == UInt8(ascii: ".") {
                        integerDigits = count
                    } else if byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
                        exponent = parseExponent(swiftText, from: cursor)
                        break
                    } else if count < digits.count {
                        digits[count] = byte
                        count += 1
                    }
                }
                if integerDigits < 0 { integerDigits = count }
                var first = 0
                while first < count, digits[first] == UInt8(ascii: "0") { first += 1 }
                var end = count
                while end > first, digits[end - 1] == UInt8(ascii: "0") { end -= 1 }
                let significant = UnsafeBufferPointer(rebasing: digits[first..<end])
                layOut(significant, decimalPoint: integerDigits - first + exponent, to: &out)
            }
        }
    }

    private static func parseExponent(_ text: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var cursor = start
        var negative = false
        if cursor < text.count, text[cursor] == UInt8(ascii: "-") || text[cursor] == UInt8(ascii: "+") {
            negative = text[cursor] == UInt8(ascii: "-")
            cursor += 1
        }
        var value = 0
        while cursor < text.count {
            value = value * 10 + Int(text[cursor] &- UInt8(ascii: "0"))
            cursor += 1
        }
        return negative ? -value : value
    }

    /// Writes `0.digits × 10^decimalPoint` the way CPython's `format_float_short` does for `repr`.
    private static func layOut(_ digits: UnsafeBufferPointer<UInt8>, decimalPoint: Int, to out: inout [UInt8]) {
        let count = digits.count
        if decimalPoint <= -4 || decimalPoint > 16 {
            out.append(digits[0])
            if count > 1 {
                out.append(UInt8(ascii: "."))
                out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[1...]))
            }
            let exponent = decimalPoint - 1
            out.append(UInt8(ascii: "e"))
            out.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let magnitude = exponent.magnitude
            if magnitude < 10 { out.append(UInt8(ascii: "0")) }
            if magnitude >= 100 { out.append(UInt8(ascii: "0") + UInt8(magnitude / 100)) }
            if magnitude >= 10 { out.append(UInt8(ascii: "0") + UInt8(magnitude / 10 % 10)) }
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
        } else if decimalPoint <= 0 {
            out.append(contentsOf: "0.".utf8)
            for _ in 0 ..< -decimalPoint { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: digits)
        } else if decimalPoint < count {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[..<decimalPoint]))
            out.append(UInt8(ascii: "."))
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[decimalPoint...]))
        } else {
            out.append(contentsOf: digits)
            for _ in 0 ..< decimalPoint - count { out.append(UInt8(ascii: "0")) }
            out.append(contentsOf: ".0".utf8)
        }
    }
}
