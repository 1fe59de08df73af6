import SmolCore

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
        case .double(let number): out += Python.repr(number)
        case .string(let text): out += topLevel ? text : Python.repr(text)
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
