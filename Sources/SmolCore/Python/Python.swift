/// Python's own spellings of values, for every place where a port must print exactly what Python prints:
/// smolagents' error messages (`repr` of dict keys), LiteLLM's prompts (an f-string of a tool dict) and
/// Jinja templates (`{{ value }}` is Python's `str`).
///
/// One namespace for the package: the three layers used to carry their own copies, which disagreed on
/// which characters `repr` escapes.
package enum Python {
    /// `repr(text)`: single quotes unless the text has a `'` and no `"`; backslash, the quote, `\n`, `\r`
    /// and `\t` escaped; every character that `str.isprintable()` rejects as `\xNN`, `\uNNNN` or
    /// `\UNNNNNNNN`.
    package static func repr(_ text: String) -> String {
        let hasSingle = text.unicodeScalars.contains("'")
        let hasDouble = text.unicodeScalars.contains("\"")
        let quote: Unicode.Scalar = hasSingle && !hasDouble ? "\"" : "'"
        var out = String.UnicodeScalarView()
        out.append(quote)
        for scalar in text.unicodeScalars {
            switch scalar {
            case quote, "\\":
                out.append("\\")
                out.append(scalar)
            case "\n": out.append(contentsOf: "\\n".unicodeScalars)
            case "\r": out.append(contentsOf: "\\r".unicodeScalars)
            case "\t": out.append(contentsOf: "\\t".unicodeScalars)
            default:
                if isPrintable(scalar) {
                    out.append(scalar)
                } else {
                    let hex = String(scalar.value, radix: 16)
                    let (prefix, width) = scalar.value < 0x100 ? ("\\x", 2) : scalar.value < 0x10000 ? ("\\u", 4) : ("\\U", 8)
                    out.append(contentsOf: (prefix + String(repeating: "0", count: width - hex.count) + hex).unicodeScalars)
                }
            }
        }
        out.append(quote)
        return String(out)
    }

    /// `repr(value)` of a float: the shortest digits that read back the same (`1.0`, `1e+20`, `0.1`),
    /// and `nan`, `inf`, `-inf`.
    package static func repr(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        return PythonFloatFormat.string(value)
    }

    /// `repr()` (which is also `str()`) of the value a JSON document decodes to in Python:
    /// `{'k': [1, 2.5, True, None]}`. Objects keep their key order, as Python's dicts do.
    package static func repr(_ value: JSONValue) -> String {
        var out = ""
        appendRepr(value, to: &out)
        return out
    }

    /// `json.dumps(value, …)` byte for byte (separators, `ensure_ascii`, `indent`, `sort_keys`, float `repr`).
    package static func jsonDumps(_ value: JSONValue, indent: Int? = nil, ensureASCII: Bool = true,
                                  sortKeys: Bool = false) -> String {
        JSONEmitter(indent: indent, ensureASCII: ensureASCII, sortKeys: sortKeys).string(from: value)
    }

    /// `str.isprintable()` for one character: everything but the "Other" and "Separator" categories,
    /// except the ASCII space.
    package static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
             .spaceSeparator:
            return false
        default:
            return true
        }
    }

    private static func appendRepr(_ value: JSONValue, to out: inout String) {
        switch value {
        case .null: out += "None"
        case .bool(let flag): out += flag ? "True" : "False"
        case .int(let number): out += String(number)
        case .double(let number): out += repr(number)
        case .string(let text): out += repr(text)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += ", " }
                appendRepr(item, to: &out)
            }
            out += "]"
        case .object(let object):
            out += "{"
            for (index, member) in object.enumerated() {
                if index > 0 { out += ", " }
                out += repr(member.key) + ": "
                appendRepr(member.value, to: &out)
            }
            out += "}"
        }
    }
}
