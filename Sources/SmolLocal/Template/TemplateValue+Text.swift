import SmolCore

extension TemplateValue {
    /// Python's `repr` of a float (`1.0`, `1e+20`, `inf`, `nan`).
    static func pythonFloat(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        // JSONEmitter prints finite floats exactly as Python's float.__repr__.
        return JSONEmitter().string(from: .double(value))
    }

    /// Python's `repr` of a string: single quotes unless the text has `'` and no `"`, escapes for
    /// backslashes, the quote, `\n` `\r` `\t` and every character that `str.isprintable` rejects.
    static func pythonStringRepr(_ text: String) -> String {
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

    /// Python's `str.isprintable` for one character: everything but the "Other" and "Separator"
    /// categories, except the ASCII space.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar == " " { return true }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }
}

extension TemplateRenderer {
    /// Python's `str(value)`, which `{{ value }}` prints.
    func string(_ value: TemplateValue) -> String {
        switch value {
        case .undefined: return ""
        case .string(let text): return text
        default:
            var out = ""
            appendRepr(value, to: &out, topLevel: true)
            return out
        }
    }

    /// Python's `repr(value)`.
    func repr(_ value: TemplateValue) -> String {
        var out = ""
        appendRepr(value, to: &out, topLevel: false)
        return out
    }

    private func appendRepr(_ value: TemplateValue, to out: inout String, topLevel: Bool) {
        switch value {
        case .undefined: out += topLevel ? "" : "Undefined"
        case .none: out += "None"
        case .bool(let flag): out += flag ? "True" : "False"
        case .int(let number): out += String(number)
        case .double(let number): out += TemplateValue.pythonFloat(number)
        case .string(let text): out += topLevel ? text : TemplateValue.pythonStringRepr(text)
        case .list(let elements):
            out += "["
            appendElements(elements, to: &out)
            out += "]"
        case .tuple(let elements):
            out += "("
            appendElements(elements, to: &out)
            out += elements.count == 1 ? ",)" : ")"
        case .dict(let dict):
            appendDict(dict, to: &out)
        case .namespace(let handle):
            out += "<Namespace "
            appendDict(namespaces[handle], to: &out)
            out += ">"
        case .iterator:
            out += "<generator object>"
        case .loop(let state):
            out += "<LoopContext \(state.index0 + 1)/\(state.length)>"
        case .function(let function):
            switch function {
            case .builtin(let name): out += "<built-in function \(name)>"
            case .macro(let macro): out += "<Macro '\(macro.name)'>"
            case .method(let receiver, let name): out += "<built-in method \(name) of \(receiver.typeName) object>"
            case .loopCycle: out += "<bound method LoopContext.cycle>"
            }
        }
    }

    private func appendElements(_ elements: [TemplateValue], to out: inout String) {
        for (position, element) in elements.enumerated() {
            if position > 0 { out += ", " }
            appendRepr(element, to: &out, topLevel: false)
        }
    }

    private func appendDict(_ dict: TemplateDict, to out: inout String) {
        out += "{"
        for position in 0..<dict.count {
            if position > 0 { out += ", " }
            appendRepr(dict.keys[position], to: &out, topLevel: false)
            out += ": "
            appendRepr(dict.values[position], to: &out, topLevel: false)
        }
        out += "}"
    }
}
