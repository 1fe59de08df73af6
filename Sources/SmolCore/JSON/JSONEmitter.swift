/// Writes JSON text exactly as Python's `json.dumps` does, byte for byte.
///
/// smolagents puts `json.dumps` output into prompts, logs and tool-call arguments; matching it keeps
/// ported prompts and recorded fixtures identical. Floats print as Python's `repr`, strings are escaped
/// with Python's table, and object members keep their insertion order unless ``sortKeys`` is set.
public struct JSONEmitter: Sendable {
    /// Python's `indent`: `nil` writes one line with separators `", "` and `": "`; a number starts each
    /// member on a new line indented by that many spaces per level, with separators `","` and `": "`.
    /// Empty containers stay `[]` and `{}`.
    public var indent: Int?
    /// Python's `ensure_ascii`: `true` escapes everything outside printable ASCII as lowercase `\uXXXX`,
    /// with surrogate pairs above U+FFFF; `false` writes such characters as they are.
    public var ensureASCII: Bool
    /// Python's `sort_keys`: orders object members by key, comparing Unicode code points as Python does.
    public var sortKeys: Bool

    /// An emitter with Python's `json.dumps` options; the defaults give `json.dumps(value, ensure_ascii=False)`.
    public init(indent: Int? = nil, ensureASCII: Bool = false, sortKeys: Bool = false) {
        self.indent = indent
        self.ensureASCII = ensureASCII
        self.sortKeys = sortKeys
    }

    /// The JSON text for `value`.
    public func string(from value: JSONValue) -> String {
        String(decoding: bytes(from: value), as: UTF8.self)
    }

    /// The JSON text for `value`, encoded as UTF-8.
    public func bytes(from value: JSONValue) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128)
        write(value, into: &out)
        return out
    }

    /// One open container: its members and how many of them have been written.
    private struct Frame {
        var elements: [JSONValue] = []
        var object = JSONObject()
        var keys: [String] = []
        let isObject: Bool
        var next = 0
    }

    /// Walks the value with an explicit stack: values nested thousands deep (the parser accepts 10,000
    /// levels) would otherwise exhaust a background thread's stack.
    private func write(_ root: JSONValue, into out: inout [UInt8]) {
        var stack: [Frame] = []
        var pending: JSONValue? = root
        while true {
            if let value = pending {
                pending = nil
                switch value {
                case .null:
                    out.append(contentsOf: "null".utf8)
                case .bool(let flag):
                    out.append(contentsOf: flag ? "true".utf8 : "false".utf8)
                case .int(let number):
                    Self.appendInteger(number, to: &out)
                case .double(let number):
                    PythonFloatFormat.append(number, to: &out)
                case .string(let text):
                    writeString(text, into: &out)
                case .array(let elements):
                    if elements.isEmpty {
                        out.append(contentsOf: "[]".utf8)
                    } else {
                        out.append(UInt8(ascii: "["))
                        stack.append(Frame(elements: elements, isObject: false))
                    }
                case .object(let object):
                    if object.isEmpty {
                        out.append(contentsOf: "{}".utf8)
                    } else {
                        out.append(UInt8(ascii: "{"))
                        var keys = object.keys
                        // Python compares code points; UTF-8 byte order is the same order (Swift's `<` is not).
                        if sortKeys { keys.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
                        stack.append(Frame(object: object, keys: keys, isObject: true))
                    }
                }
            }
            guard let top = stack.indices.last else { return }
            let next = stack[top].next
            let level = stack.count
            if stack[top].isObject {
                if next < stack[top].keys.count {
                    let key = stack[top].keys[next]
                    writeSeparator(first: next == 0, level: level, into: &out)
                    writeString(key, into: &out)
                    out.append(UInt8(ascii: ":"))
                    out.append(UInt8(ascii: " "))
                    pending = stack[top].object[key] ?? .null
                    stack[top].next = next + 1
                } else {
                    stack.removeLast()
                    writeClosingIndent(level: level - 1, into: &out)
                    out.append(UInt8(ascii: "}"))
                }
            } else {
                if next < stack[top].elements.count {
                    writeSeparator(first: next == 0, level: level, into: &out)
                    pending = stack[top].elements[next]
                    stack[top].next = next + 1
                } else {
                    stack.removeLast()
                    writeClosingIndent(level: level - 1, into: &out)
                    out.append(UInt8(ascii: "]"))
                }
            }
        }
    }

    /// Before each member: nothing or `", "` on one line; a newline and indentation (after `","`) otherwise.
    @inline(__always)
    private func writeSeparator(first: Bool, level: Int, into out: inout [UInt8]) {
        if let indent {
            if !first { out.append(UInt8(ascii: ",")) }
            out.append(UInt8(ascii: "\n"))
            // Python multiplies a string by the indent, so a negative indent acts as zero.
            out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: max(0, indent) * level))
        } else if !first {
            out.append(UInt8(ascii: ","))
            out.append(UInt8(ascii: " "))
        }
    }

    @inline(__always)
    private func writeClosingIndent(level: Int, into out: inout [UInt8]) {
        guard let indent else { return }
        out.append(UInt8(ascii: "\n"))
        out.append(contentsOf: repeatElement(UInt8(ascii: " "), count: max(0, indent) * level))
    }

    static func appendInteger(_ number: Int, to out: inout [UInt8]) {
        if number < 0 { out.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        let start = out.count
        repeat {
            out.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude != 0
        out[start...].reverse()
    }

    private static let hexDigits: StaticString = "0123456789abcdef"

    private func writeString(_ text: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var text = text
        text.withUTF8 { writeEscaped($0, into: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// Copies runs that need no escaping in one go; escapes as Python's `ESCAPE_DCT` does.
    private func writeEscaped(_ bytes: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        let asciiLimit: UInt8 = ensureASCII ? 0x7F : 0xFF
        var runStart = 0
        var cursor = 0
        while cursor < bytes.count {
            let byte = bytes[cursor]
            if byte >= 0x20, byte < asciiLimit, byte != UInt8(ascii: "\""), byte != UInt8(ascii: "\\") {
                cursor += 1
                continue
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<cursor]))
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: #"\\"#.utf8)
            case 0x0A: out.append(contentsOf: #"\n"#.utf8)
            case 0x0D: out.append(contentsOf: #"\r"#.utf8)
            case 0x09: out.append(contentsOf: #"\t"#.utf8)
            case 0x08: out.append(contentsOf: #"\b"#.utf8)
            case 0x0C: out.append(contentsOf: #"\f"#.utf8)
            case 0x00..<0x80:
                appendUnicodeEscape(UInt32(byte), to: &out)
            default:
                // Only reached with ensureASCII: decode the (valid) multi-byte sequence to its scalar.
                var scalar: UInt32
                var length: Int
                switch byte {
                case 0xC0..<0xE0: scalar = UInt32(byte & 0x1F); length = 2
                case 0xE0..<0xF0: scalar = UInt32(byte & 0x0F); length = 3
                default: scalar = UInt32(byte & 0x07); length = 4
                }
                for offset in 1..<length { scalar = scalar << 6 | UInt32(bytes[cursor + offset] & 0x3F) }
                if scalar >= 0x10000 {
                    let excess = scalar - 0x10000
                    appendUnicodeEscape(0xD800 | excess >> 10, to: &out)
                    appendUnicodeEscape(0xDC00 | excess & 0x3FF, to: &out)
                } else {
                    appendUnicodeEscape(scalar, to: &out)
                }
                cursor += length
                runStart = cursor
                continue
            }
            cursor += 1
            runStart = cursor
        }
        out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<cursor]))
    }

    @inline(__always)
    private func appendUnicodeEscape(_ unit: UInt32, to out: inout [UInt8]) {
        let hex = Self.hexDigits.utf8Start
        out.append(UInt8(ascii: "\\"))
        out.append(UInt8(ascii: "u"))
        out.append(hex[Int(unit >> 12 & 0xF)])
        out.append(hex[Int(unit >> 8 & 0xF)])
        out.append(hex[Int(unit >> 4 & 0xF)])
        out.append(hex[Int(unit & 0xF)])
    }
}

extension JSONValue {
    /// The value as Python's `json.dumps(value, ensure_ascii=False, indent=indent)` prints it.
    public func jsonString(indent: Int? = nil) -> String {
        JSONEmitter(indent: indent).string(from: self)
    }
}
