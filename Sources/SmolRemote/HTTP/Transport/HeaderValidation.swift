/// Request header checks done once per request, before the transport (which then skips NIO's
/// per-write validator): a header that could split the request or smuggle another one is refused with
/// a typed error naming the header, never its value (values carry credentials).
enum HeaderValidation {
    /// The first header whose name is not an RFC 9110 token or whose value holds a control character
    /// other than HTAB (CR, LF and NUL included), as an error message; `nil` when all are valid.
    static func firstProblem(in headers: [(String, String)]) -> String? {
        for (name, value) in headers {
            if !isValidName(name) {
                return "the request header name \(describe(name)) is not a valid HTTP token"
            }
            if !isValidValue(value) {
                return "the value of the request header \(describe(name)) contains a line break or another control character"
            }
        }
        return nil
    }

    static func isValidName(_ name: String) -> Bool {
        var name = name
        return name.withUTF8 { bytes in
            guard !bytes.isEmpty else { return false }
            for byte in bytes where !isTokenByte(byte) { return false }
            return true
        }
    }

    static func isValidValue(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { bytes in
            for byte in bytes where (byte < 0x20 && byte != 0x09) || byte == 0x7F { return false }
            return true
        }
    }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
             UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
             UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// A header name for an error message: printable ASCII kept, anything else escaped.
    private static func describe(_ name: String) -> String {
        var out = "'"
        for scalar in name.unicodeScalars.prefix(64) {
            out += (0x20..<0x7F).contains(scalar.value) ? String(scalar) : scalar.escaped(asASCII: true)
        }
        return out + "'"
    }
}
