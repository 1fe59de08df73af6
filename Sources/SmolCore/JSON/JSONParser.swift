/// A JSON syntax error, worded and positioned exactly as Python's `json.JSONDecodeError`.
///
/// smolagents shows `str(e)` of decoding errors to the model and in logs; keeping Python's wording and
/// positions lets ported prompts, tests and fixtures match byte for byte.
public struct JSONParseError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What went wrong, in Python's words (its `msg`), such as `"Expecting value"` or `"Extra data"`.
    public var message: String
    /// Offset of the error in Unicode code points (not bytes) from the start of the text (Python's `pos`).
    public var position: Int
    /// The 1-based line of the error (Python's `lineno`).
    public var line: Int
    /// The 1-based column of the error, in code points (Python's `colno`).
    public var column: Int

    /// An error with these parts; ``description`` is derived from them.
    public init(message: String, position: Int, line: Int, column: Int) {
        self.message = message
        self.position = position
        self.line = line
        self.column = column
    }

    /// Python's `str(JSONDecodeError)`: `"<message>: line L column C (char P)"`.
    public var description: String {
        "\(message): line \(line) column \(column) (char \(position))"
    }
}

extension JSONValue {
    /// Parses JSON text exactly as Python 3.11's `json.loads(text, strict: strict)` does.
    ///
    /// Accepts bare scalars, `NaN`, `Infinity` and `-Infinity`; keeps object keys in document order (a
    /// repeated key keeps its first position and takes its last value, like `dict`). Integers without a
    /// fraction or exponent become ``JSONValue/int(_:)``, unless they overflow `Int`, when they become the
    /// nearest `Double` (Python would keep an arbitrary-precision `int`).
    ///
    /// - Parameters:
    ///   - text: The JSON text. A leading U+FEFF is rejected, as Python does.
    ///   - strict: `false` allows raw control characters (U+0000–U+001F) inside strings.
    /// - Throws: ``JSONParseError`` with Python's message and position; nesting deeper than 10,000
    ///   containers throws `"Maximum nesting depth exceeded"` where Python would raise `RecursionError`.
    public init(parsing text: String, strict: Bool = true) throws(JSONParseError) {
        var text = text
        let result = text.withUTF8 { JSONParser.parse($0, strict: strict, validateUTF8: false) }
        self = try result.get()
    }

    /// Parses UTF-8 encoded JSON exactly as Python 3.11's `json.loads(bytes.decode("utf-8"), strict: strict)`.
    ///
    /// Unlike `json.loads(bytes)`, which silently skips a UTF-8 byte order mark, a leading BOM is an error
    /// here (`"Unexpected UTF-8 BOM (decode using utf-8-sig)"`), as it is for Python's `str` input.
    /// Malformed UTF-8 throws `"Invalid UTF-8"` at the first bad byte, before any syntax error is
    /// reported, since Python would fail to decode the bytes before parsing them.
    ///
    /// - Parameters:
    ///   - bytes: The UTF-8 encoded JSON text.
    ///   - strict: `false` allows raw control characters (U+0000–U+001F) inside strings.
    /// - Throws: ``JSONParseError``.
    public init(parsing bytes: some Collection<UInt8>, strict: Bool = true) throws(JSONParseError) {
        let contiguous = bytes.withContiguousStorageIfAvailable {
            JSONParser.parse($0, strict: strict, validateUTF8: true)
        }
        if let contiguous {
            self = try contiguous.get()
        } else {
            let array = Array(bytes)
            self = try array.withUnsafeBufferPointer {
                JSONParser.parse($0, strict: strict, validateUTF8: true)
            }.get()
        }
    }
}

/// A hand-written parser over UTF-8 bytes that mirrors CPython's `_json.c` scanner decision for decision.
///
/// It is iterative (containers live on an explicit stack) so that deeply nested input cannot overflow the
/// thread's stack, which on background threads can be as small as 512 KiB.
struct JSONParser {
    /// Deeper nesting is rejected, as Python gives up near its recursion limit of 1,000: the value types
    /// (equality, hashing, Codable) recurse, so deeper values could exhaust a small thread stack.
    static let maximumDepth = 1_000

    let input: UnsafeBufferPointer<UInt8>
    let strict: Bool
    var index = 0
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    init(input: UnsafeBufferPointer<UInt8>, strict: Bool) {
        self.input = input
        self.strict = strict
    }

    static func parse(
        _ input: UnsafeBufferPointer<UInt8>, strict: Bool, validateUTF8: Bool
    ) -> Result<JSONValue, JSONParseError> {
        var parser = JSONParser(input: input, strict: strict)
        do throws(JSONParseError) {
            return .success(try parser.parseDocument(validateUTF8: validateUTF8))
        } catch {
            return .failure(error)
        }
    }

    mutating func parseDocument(validateUTF8: Bool) throws(JSONParseError) -> JSONValue {
        if input.count >= 3, input[0] == 0xEF, input[1] == 0xBB, input[2] == 0xBF {
            throw error("Unexpected UTF-8 BOM (decode using utf-8-sig)", at: 0)
        }
        if validateUTF8, let bad = Self.firstInvalidUTF8Offset(in: input) {
            throw error("Invalid UTF-8", at: bad)
        }
        skipWhitespace()
        let value = try parseValue()
        skipWhitespace()
        if index != input.count { throw error("Extra data", at: index) }
        return value
    }

    /// Builds an error at a byte offset, converting it to Python's code-point position, line and column.
    func error(_ message: String, at offset: Int) -> JSONParseError {
        var position = 0
        var line = 1
        var lastNewline = -1
        for byte in UnsafeBufferPointer(rebasing: input[0..<offset]) where byte & 0xC0 != 0x80 {
            if byte == UInt8(ascii: "\n") {
                line += 1
                lastNewline = position
            }
            position += 1
        }
        return JSONParseError(message: message, position: position, line: line, column: position - lastNewline)
    }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < input.count {
            switch input[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    @inline(__always)
    func byte(at offset: Int, is expected: UInt8) -> Bool {
        offset < input.count && input[offset] == expected
    }

    /// One open container; objects also remember the key whose value is being parsed.
    private struct Frame {
        let isObject: Bool
        var elements: [JSONValue] = []
        var object = JSONObject()
        var key = ""
    }

    /// Parses one value (with everything nested in it) starting at `index`, which is not whitespace.
    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        var stack: [Frame] = []
        scanning: while true {
            var value: JSONValue
            guard index < input.count else { throw error("Expecting value", at: index) }
            switch input[index] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = input[index] == UInt8(ascii: "{")
                if stack.count >= Self.maximumDepth { throw error("Maximum nesting depth exceeded", at: index) }
                index += 1
                skipWhitespace()
                if byte(at: index, is: isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    index += 1
                    value = isObject ? .object(JSONObject()) : .array([])
                } else {
                    var frame = Frame(isObject: isObject)
                    if isObject { frame.key = try parseKey() }
                    stack.append(frame)
                    continue scanning
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            default:
                value = try parseScalar()
            }

            // Hand the finished value to its container; closing a container finishes another value.
            closing: while let top = stack.indices.last {
                skipWhitespace()
                if stack[top].isObject {
                    let key = stack[top].key
                    stack[top].object[key] = value
                    if byte(at: index, is: UInt8(ascii: "}")) {
                        index += 1
                        value = .object(stack.removeLast().object)
                        continue closing
                    }
                    guard byte(at: index, is: UInt8(ascii: ",")) else {
                        throw error("Expecting ',' delimiter", at: index)
                    }
                    index += 1
                    skipWhitespace()
                    stack[top].key = try parseKey()
                } else {
                    stack[top].elements.append(value)
                    if byte(at: index, is: UInt8(ascii: "]")) {
                        index += 1
                        value = .array(stack.removeLast().elements)
                        continue closing
                    }
                    guard byte(at: index, is: UInt8(ascii: ",")) else {
                        throw error("Expecting ',' delimiter", at: index)
                    }
                    index += 1
                    skipWhitespace()
                }
                continue scanning
            }
            return value
        }
    }

    /// Parses `"key"` and the `:` after it, leaving `index` at the value.
    mutating func parseKey() throws(JSONParseError) -> String {
        guard byte(at: index, is: UInt8(ascii: "\"")) else {
            throw error("Expecting property name enclosed in double quotes", at: index)
        }
        let key = try parseString()
        skipWhitespace()
        guard byte(at: index, is: UInt8(ascii: ":")) else { throw error("Expecting ':' delimiter", at: index) }
        index += 1
        skipWhitespace()
        return key
    }

    /// Whether the whole of `literal` starts at `index`.
    @inline(__always)
    func matches(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard index + count <= input.count else { return false }
        let pointer = literal.utf8Start
        for offset in 0..<count where input[index + offset] != pointer[offset] { return false }
        return true
    }

    /// Parses `null`, `true`, `false`, `NaN`, `Infinity`, `-Infinity` or a number.
    mutating func parseScalar() throws(JSONParseError) -> JSONValue {
        switch input[index] {
        case UInt8(ascii: "n") where matches("null"):
            index += 4
            return .null
        case UInt8(ascii: "t") where matches("true"):
            index += 4
            return .bool(true)
        case UInt8(ascii: "f") where matches("false"):
            index += 5
            return .bool(false)
        case UInt8(ascii: "N") where matches("NaN"):
            index += 3
            return .double(.nan)
        case UInt8(ascii: "I") where matches("Infinity"):
            index += 8
            return .double(.infinity)
        case UInt8(ascii: "-") where matches("-Infinity"):
            index += 9
            return .double(-.infinity)
        default:
            return try parseNumber()
        }
    }

    /// Exact powers of ten: a `Double` significand up to 2^53 scaled by one of these is correctly rounded.
    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    @inline(__always)
    private func isDigit(at offset: Int) -> Bool {
        offset < input.count && input[offset] &- UInt8(ascii: "0") < 10
    }

    /// Parses `-?(0|[1-9]\d*)(\.\d+)?([eE][-+]?\d+)?`, stopping (not failing) where the grammar stops.
    mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = index
        var cursor = index
        let negative = input[cursor] == UInt8(ascii: "-")
        if negative { cursor += 1 }
        guard isDigit(at: cursor) else { throw error("Expecting value", at: start) }

        // Up to 19 significant digits always fit in a UInt64.
        var significand: UInt64 = 0
        var significantDigits = 0
        @inline(__always) func accumulate(_ digit: UInt8) {
            if significand != 0 || digit != 0 { significantDigits += 1 }
            if significantDigits <= 19 { significand = significand &* 10 &+ UInt64(digit) }
        }

        if input[cursor] == UInt8(ascii: "0") {
            cursor += 1
        } else {
            while isDigit(at: cursor) {
                accumulate(input[cursor] &- UInt8(ascii: "0"))
                cursor += 1
            }
        }
        var isFloat = false
        var exponent = 0
        if byte(at: cursor, is: UInt8(ascii: ".")), isDigit(at: cursor + 1) {
            isFloat = true
            cursor += 1
            while isDigit(at: cursor) {
                accumulate(input[cursor] &- UInt8(ascii: "0"))
                exponent -= 1
                cursor += 1
            }
        }
        if byte(at: cursor, is: UInt8(ascii: "e")) || byte(at: cursor, is: UInt8(ascii: "E")) {
            var probe = cursor + 1
            var exponentNegative = false
            if byte(at: probe, is: UInt8(ascii: "-")) || byte(at: probe, is: UInt8(ascii: "+")) {
                exponentNegative = input[probe] == UInt8(ascii: "-")
                probe += 1
            }
            // Without digits the 'e' is not part of the number (it becomes "Extra data", as in Python).
            if isDigit(at: probe) {
                isFloat = true
                var explicit = 0
                while isDigit(at: probe) {
                    // Saturate: anything this large over- or underflows whatever the digits are.
                    if explicit < 1_000_000 { explicit = explicit * 10 + Int(input[probe] &- UInt8(ascii: "0")) }
                    probe += 1
                }
                exponent += exponentNegative ? -explicit : explicit
                cursor = probe
            }
        }
        index = cursor

        if !isFloat, significantDigits <= 19 {
            if !negative, significand <= UInt64(Int.max) { return .int(Int(significand)) }
            if negative, significand <= UInt64(Int.max) + 1 { return .int(Int(truncatingIfNeeded: 0 &- significand)) }
        }
        if significantDigits <= 19 {
            if significand == 0 { return .double(negative ? -0.0 : 0.0) }
            // Clinger's fast path: both operands exact, so the one rounding is the correct one.
            if significand <= 1 << 53, exponent >= -22, exponent <= 22 {
                var result = Double(significand)
                result = exponent < 0
                    ? result / Self.exactPowersOfTen[-exponent] : result * Self.exactPowersOfTen[exponent]
                return .double(negative ? -result : result)
            }
        }
        // Correctly rounded, and ±infinity on overflow, as Python's float().
        let literal = String(decoding: UnsafeBufferPointer(rebasing: input[start..<cursor]), as: UTF8.self)
        guard let result = Double(literal) else { throw error("Expecting value", at: start) }
        return .double(result)
    }
}
