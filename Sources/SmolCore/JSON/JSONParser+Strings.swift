extension JSONParser {
    /// Parses the string whose opening quote is at `index`, mirroring CPython's `scanstring_unicode`.
    ///
    /// The input is valid UTF-8 by the time this runs, and the bytes that end a plain run (`"`, `\` and
    /// control characters) are ASCII, so every run copied verbatim is itself valid UTF-8.
    mutating func parseString() throws(JSONParseError) -> String {
        let quote = index
        let runStart = quote + 1
        var cursor = scanPlain(from: runStart)
        if byte(at: cursor, is: UInt8(ascii: "\"")) {
            index = cursor + 1
            return String(decoding: UnsafeBufferPointer(rebasing: input[runStart..<cursor]), as: UTF8.self)
        }
        scratch.removeAll(keepingCapacity: true)
        var run = runStart
        while true {
            guard cursor < input.count else { throw error("Unterminated string starting at", at: quote) }
            let terminator = input[cursor]
            if terminator != UInt8(ascii: "\"") && terminator != UInt8(ascii: "\\") {
                throw error("Invalid control character at", at: cursor)
            }
            scratch.append(contentsOf: UnsafeBufferPointer(rebasing: input[run..<cursor]))
            if terminator == UInt8(ascii: "\"") {
                index = cursor + 1
                return String(decoding: scratch, as: UTF8.self)
            }
            cursor += 1
            guard cursor < input.count else { throw error("Unterminated string starting at", at: quote) }
            switch input[cursor] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                scratch.append(input[cursor])
            case UInt8(ascii: "b"): scratch.append(0x08)
            case UInt8(ascii: "f"): scratch.append(0x0C)
            case UInt8(ascii: "n"): scratch.append(0x0A)
            case UInt8(ascii: "r"): scratch.append(0x0D)
            case UInt8(ascii: "t"): scratch.append(0x09)
            case UInt8(ascii: "u"):
                cursor = try decodeUnicodeEscape(at: cursor)
                run = cursor
                cursor = scanPlain(from: cursor)
                continue
            default:
                throw error("Invalid \\escape", at: cursor - 1)
            }
            cursor += 1
            run = cursor
            cursor = scanPlain(from: cursor)
        }
    }

    /// Decodes `\uXXXX` (and a following low-surrogate escape) whose `u` is at `u`; returns the offset after it.
    ///
    /// CPython requires at least one character after the four hex digits (`end >= len` is an error) and
    /// reports every malformed escape at its `u`. A surrogate pair is only attempted when six more
    /// characters and one after them are present; otherwise the second escape is decoded on its own, which
    /// yields the same message and position. A high surrogate followed by something other than a low one
    /// stays alone.
    ///
    /// Python keeps lone surrogates in its `str`; a Swift `String` cannot hold them, so they become
    /// U+FFFD REPLACEMENT CHARACTER here.
    private mutating func decodeUnicodeEscape(at u: Int) throws(JSONParseError) -> Int {
        guard u + 5 < input.count, let first = hexQuad(at: u + 1) else {
            throw error("Invalid \\uXXXX escape", at: u)
        }
        var scalar = first
        var next = u + 5
        if (0xD800...0xDBFF).contains(first), u + 11 < input.count,
            input[u + 5] == UInt8(ascii: "\\"), input[u + 6] == UInt8(ascii: "u")
        {
            guard let second = hexQuad(at: u + 7) else { throw error("Invalid \\uXXXX escape", at: u + 6) }
            if (0xDC00...0xDFFF).contains(second) {
                scalar = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
                next = u + 11
            }
        }
        appendUTF8(Unicode.Scalar(scalar) ?? "\u{FFFD}")
        return next
    }

    /// The value of four hex digits at `offset`, which the caller has bounds-checked.
    @inline(__always)
    private func hexQuad(at offset: Int) -> UInt32? {
        var value: UInt32 = 0
        for position in offset..<offset + 4 {
            let byte = input[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    private mutating func appendUTF8(_ scalar: Unicode.Scalar) {
        let value = scalar.value
        switch value {
        case 0..<0x80:
            scratch.append(UInt8(value))
        case 0x80..<0x800:
            scratch.append(UInt8(0xC0 | value >> 6))
            scratch.append(UInt8(0x80 | value & 0x3F))
        case 0x800..<0x10000:
            scratch.append(UInt8(0xE0 | value >> 12))
            scratch.append(UInt8(0x80 | value >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | value & 0x3F))
        default:
            scratch.append(UInt8(0xF0 | value >> 18))
            scratch.append(UInt8(0x80 | value >> 12 & 0x3F))
            scratch.append(UInt8(0x80 | value >> 6 & 0x3F))
            scratch.append(UInt8(0x80 | value & 0x3F))
        }
    }

    /// The offset of the first `"`, `\` or (when strict) control character at or after `start`, or the end.
    ///
    /// Eight bytes at a time first: long model outputs are mostly plain text, and this is the parser's
    /// hottest loop.
    @inline(__always)
    func scanPlain(from start: Int) -> Int {
        var cursor = start
        let count = input.count
        if let base = input.baseAddress {
            let raw = UnsafeRawPointer(base)
            let ones: UInt64 = 0x0101_0101_0101_0101
            let highs: UInt64 = 0x8080_8080_8080_8080
            while cursor + 8 <= count {
                let word = raw.loadUnaligned(fromByteOffset: cursor, as: UInt64.self)
                let quotes = word ^ (ones &* 0x22)
                let backslashes = word ^ (ones &* 0x5C)
                var found = (quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes
                if strict { found |= (word &- ones &* 0x20) & ~word }
                if found & highs != 0 { break }
                cursor += 8
            }
        }
        while cursor < count {
            let byte = input[cursor]
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || (strict && byte < 0x20) { return cursor }
            cursor += 1
        }
        return cursor
    }

    /// The offset of the first byte that does not begin a well-formed UTF-8 sequence, if any.
    ///
    /// Rejects what Swift's decoder would replace: overlong forms, surrogates (which Python's `json.loads`
    /// of bytes would pass through with `surrogatepass`), and anything beyond U+10FFFF.
    static func firstInvalidUTF8Offset(in input: UnsafeBufferPointer<UInt8>) -> Int? {
        let count = input.count
        var cursor = 0
        @inline(__always) func isContinuation(_ offset: Int) -> Bool {
            offset < count && input[offset] & 0xC0 == 0x80
        }
        while cursor < count {
            if let base = input.baseAddress {
                let raw = UnsafeRawPointer(base)
                while cursor + 8 <= count,
                    raw.loadUnaligned(fromByteOffset: cursor, as: UInt64.self) & 0x8080_8080_8080_8080 == 0
                {
                    cursor += 8
                }
            }
            guard cursor < count else { return nil }
            let lead = input[cursor]
            switch lead {
            case 0x00..<0x80:
                cursor += 1
                continue
            case 0xC2...0xDF:
                guard isContinuation(cursor + 1) else { return cursor }
                cursor += 2
                continue
            case 0xE0...0xEF:
                guard cursor + 1 < count else { return cursor }
                let second = input[cursor + 1]
                let low: UInt8 = lead == 0xE0 ? 0xA0 : 0x80
                let high: UInt8 = lead == 0xED ? 0x9F : 0xBF
                guard second >= low, second <= high, isContinuation(cursor + 2) else { return cursor }
                cursor += 3
            case 0xF0...0xF4:
                guard cursor + 1 < count else { return cursor }
                let second = input[cursor + 1]
                let low: UInt8 = lead == 0xF0 ? 0x90 : 0x80
                let high: UInt8 = lead == 0xF4 ? 0x8F : 0xBF
                guard second >= low, second <= high, isContinuation(cursor + 2), isContinuation(cursor + 3)
                else { return cursor }
                cursor += 4
            default:
                return cursor
            }
        }
        return nil
    }
}
