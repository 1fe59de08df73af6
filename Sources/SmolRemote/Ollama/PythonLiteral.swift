import SmolCore

/// Python's `repr()` / `str()` of the value a JSON document decodes to (`{'k': [1, True, None]}`).
///
/// LiteLLM writes tool definitions into the `/api/generate` prompt with an f-string, that is as Python
/// prints a dict, not as JSON; the prompt must match it character for character.
enum PythonLiteral {
    static func string(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, into out: inout String) {
        switch value {
        case .null: out += "None"
        case .bool(let flag): out += flag ? "True" : "False"
        case .string(let text): out += quoted(text)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += ", " }
                write(item, into: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (index, member) in object.enumerated() {
                if index > 0 { out += ", " }
                out += quoted(member.key) + ": "
                write(member.value, into: &out)
            }
            out += "}"
        default:
            // Numbers print the same in JSON (as Python's json module writes them) and in Python.
            out += JSONEmitter().string(from: value)
        }
    }

    /// Python's `repr()` of a string: single quotes unless the text has a `'` and no `"`.
    static func quoted(_ text: String) -> String {
        let quote: Unicode.Scalar = text.contains("'") && !text.contains("\"") ? "\"" : "'"
        var result = String(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case quote: result += "\\" + String(quote)
            case _ where scalar.value < 0x20 || scalar.value == 0x7F:
                result += "\\x" + hex(scalar.value, width: 2)
            case _ where scalar != " " && scalar.properties.generalCategory.isUnprintableInPython:
                result += scalar.value <= 0xFF ? "\\x" + hex(scalar.value, width: 2)
                    : scalar.value <= 0xFFFF ? "\\u" + hex(scalar.value, width: 4) : "\\U" + hex(scalar.value, width: 8)
            default: result.unicodeScalars.append(scalar)
            }
        }
        result.unicodeScalars.append(quote)
        return result
    }

    private static func hex(_ value: UInt32, width: Int) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
}

extension Unicode.GeneralCategory {
    /// Python's `str.isprintable()` is false for these categories (and `repr` escapes them), except
    /// that the ASCII space is printable.
    fileprivate var isUnprintableInPython: Bool {
        switch self {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
             .spaceSeparator:
            return true
        default:
            return false
        }
    }
}
