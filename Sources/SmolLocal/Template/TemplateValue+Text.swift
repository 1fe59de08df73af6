import SmolCore

extension TemplateRenderer {
    /// Python's `str(value)`, which `{{ value }}` prints.
    ///
    /// Printing stops once the text passes ``TemplateLimits/maxOutputBytes`` (whatever uses the result then
    /// fails its own size check): values share their elements, so a few `{% set x = [x, x] %}` build a value
    /// whose text doubles each time, and a namespace can hold itself.
    func string(_ value: TemplateValue) -> String {
        switch value {
        case .undefined: return ""
        case .string(let text): return text
        default:
            var printer = ReprPrinter(namespaces: namespaces, maxBytes: limits.maxOutputBytes, maxDepth: limits.maxNestingDepth * 2)
            printer.append(value, topLevel: true)
            return printer.out
        }
    }

    /// Python's `repr(value)`.
    func repr(_ value: TemplateValue) -> String {
        var printer = ReprPrinter(namespaces: namespaces, maxBytes: limits.maxOutputBytes, maxDepth: limits.maxNestingDepth * 2)
        printer.append(value, topLevel: false)
        return printer.out
    }
}

/// Writes Python's `repr` of template values, bounded in size and depth.
struct ReprPrinter {
    let namespaces: [TemplateDict]
    let maxBytes: Int
    let maxDepth: Int
    var out = ""
    /// The namespaces being printed, outermost first: Python's dict repr prints `{...}` for one that
    /// contains itself (`<Namespace {'n': <Namespace {...}>}>`).
    var active: [Int] = []
    var depth = 0

    mutating func append(_ value: TemplateValue, topLevel: Bool) {
        // Past the size limit nothing more matters; past the depth limit (namespaces chained through each
        // other, which the nesting check of lists and dicts does not see) Python would raise RecursionError.
        guard out.utf8.count <= maxBytes else { return }
        guard depth < maxDepth else {
            out += "..."
            return
        }
        depth += 1
        defer { depth -= 1 }
        switch value {
        case .undefined: out += topLevel ? "" : "Undefined"
        case .none: out += "None"
        case .bool(let flag): out += flag ? "True" : "False"
        case .int(let number): out += String(number)
        case .double(let number): out += Python.repr(number)
        case .string(let text): out += topLevel ? text : Python.repr(text)
        case .list(let elements):
            out += "["
            appendElements(elements)
            out += "]"
        case .tuple(let elements):
            out += "("
            appendElements(elements)
            out += elements.count == 1 ? ",)" : ")"
        case .dict(let dict):
            appendDict(dict)
        case .namespace(let handle):
            out += "<Namespace "
            if active.contains(handle) {
                out += "{...}"
            } else {
                active.append(handle)
                appendDict(namespaces[handle])
                active.removeLast()
            }
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

    mutating func appendElements(_ elements: [TemplateValue]) {
        for (position, element) in elements.enumerated() {
            guard out.utf8.count <= maxBytes else { return }
            if position > 0 { out += ", " }
            append(element, topLevel: false)
        }
    }

    mutating func appendDict(_ dict: TemplateDict) {
        out += "{"
        for position in 0..<dict.count {
            guard out.utf8.count <= maxBytes else { return }
            if position > 0 { out += ", " }
            append(dict.keys[position], topLevel: false)
            out += ": "
            append(dict.values[position], topLevel: false)
        }
        out += "}"
    }
}
