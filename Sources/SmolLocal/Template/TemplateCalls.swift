extension TemplateRenderer {
    /// The globals transformers' environment provides (jinja2's defaults plus `raise_exception`,
    /// `strftime_now`, `namespace` and `dict`); context variables shadow them.
    static let builtins: Set<String> = ["range", "namespace", "dict", "raise_exception", "strftime_now"]

    /// The sandbox's `MAX_RANGE`: jinja2 refuses larger ranges.
    static let maxRange = 100_000

    mutating func call(_ callee: TemplateValue, positional: [TemplateValue], keywords: [(String, TemplateValue)],
                       at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue
    {
        guard case .function(let function) = callee else {
            if case .undefined(let hint) = callee { throw ChatTemplateError(.undefined, hint, line: location.line, column: location.column) }
            throw ChatTemplateError(.type, "'\(callee.typeName)' object is not callable", line: location.line, column: location.column)
        }
        switch function {
        case .macro(let macro):
            return try callMacro(macro, positional: positional, keywords: keywords, at: location)
        case .method(.string(let text), "format"):
            return try located(location) { () throws(EvaluationFailure) in
                .string(try format(text, positional, keywords))
            }
        case .method(let receiver, let name):
            // String methods walk the receiver, and searching (find, count, split, replace) compares the
            // needle at each position: receiver size times needle size bounds both.
            // List methods (`count`, `index`) compare the needle with every element, deeply.
            var steps = TemplateWorkMeter.deepSize(receiver, cap: work.remaining)
            if case .string = receiver, let needle = positional.first ?? keywords.first?.1, case .string = needle {
                let (product, overflow) = steps.multipliedReportingOverflow(by: TemplateWorkMeter.shallowSize(needle))
                steps = overflow ? Int.max : product
            }
            try spend(steps, at: location)
            return try located(location) { () throws(EvaluationFailure) in
                try TemplateMethods.call(name, on: receiver, positional, keywords, maxBytes: limits.maxOutputBytes)
            }
        case .loopCycle(let state):
            guard !positional.isEmpty else {
                throw ChatTemplateError(.type, "no items for cycling given", line: location.line, column: location.column)
            }
            return positional[state.index0 % positional.count]
        case .builtin(let name):
            return try callBuiltin(name, positional: positional, keywords: keywords, at: location)
        }
    }

    private mutating func callBuiltin(_ name: String, positional: [TemplateValue], keywords: [(String, TemplateValue)],
                                      at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue
    {
        switch name {
        case "raise_exception":
            let message = positional.first.map { string($0) } ?? ""
            throw ChatTemplateError(.raised, message, line: location.line, column: location.column)
        case "strftime_now":
            guard case .string(let format)? = positional.first else {
                throw ChatTemplateError(.type, "strftime_now() argument must be str", line: location.line, column: location.column)
            }
            return .string(clock.format(format))
        case "namespace", "dict":
            var members = TemplateDict()
            if let first = positional.first {
                guard positional.count == 1, case .dict(let initial) = first else {
                    throw ChatTemplateError(.type, "\(name)() takes one mapping positional argument", line: location.line, column: location.column)
                }
                members = initial
            }
            for (key, value) in keywords { members[key] = value }
            guard name == "namespace" else { return try checkedNesting(.dict(members), at: location) }
            if let bad = members.keys.compactMap({ if case .string(let name) = $0 { name } else { nil } })
                .first(where: { $0.hasPrefix("_") })
            {
                throw ChatTemplateError(
                    .security,
                    "Chat templates cannot store underscore-prefixed attributes on a namespace, but got '\(bad)'. Please rename the attribute.",
                    line: location.line, column: location.column)
            }
            namespaces.append(members)
            return .namespace(namespaces.count - 1)
        default:
            return try located(location) { () throws(EvaluationFailure) in try range(positional, keywords) }
        }
    }

    /// Python's `str.format` for plain fields: `{}`, `{0}`, `{name}`, `{!r}`, and `{{`/`}}`; format specs and
    /// attribute or index lookups inside fields are not supported.
    func format(_ text: String, _ positional: [TemplateValue], _ keywords: [(String, TemplateValue)])
        throws(EvaluationFailure) -> String
    {
        var out = ""
        var scalars = text.unicodeScalars[...]
        var automatic = 0
        while let scalar = scalars.popFirst() {
            if scalar == "}" {
                guard scalars.first == "}" else { throw EvaluationFailure(.type, "Single '}' encountered in format string") }
                scalars.removeFirst()
                out += "}"
                continue
            }
            guard scalar == "{" else {
                out.unicodeScalars.append(scalar)
                continue
            }
            if scalars.first == "{" {
                scalars.removeFirst()
                out += "{"
                continue
            }
            var field = ""
            while let next = scalars.popFirst(), next != "}" { field.unicodeScalars.append(next) }
            var conversion: Character?
            if let bang = field.firstIndex(of: "!") {
                conversion = field[field.index(after: bang)...].first
                field = String(field[..<bang])
            }
            guard !field.contains(":"), !field.contains("."), !field.contains("[") else {
                throw EvaluationFailure(.unsupported, "str.format fields with format specs or lookups are not supported: {\(field)}")
            }
            let value: TemplateValue
            if field.isEmpty || Int(field) != nil {
                let index = Int(field) ?? automatic
                automatic += 1
                guard positional.indices.contains(index) else {
                    throw EvaluationFailure(.type, "Replacement index \(index) out of range for positional args tuple")
                }
                value = positional[index]
            } else {
                guard let match = keywords.last(where: { $0.0 == field }) else {
                    throw EvaluationFailure(.type, "KeyError: '\(field)'")
                }
                value = match.1
            }
            out += conversion == "r" ? repr(value) : string(value)
        }
        return out
    }

    private func range(_ positional: [TemplateValue], _ keywords: [(String, TemplateValue)]) throws(EvaluationFailure) -> TemplateValue {
        guard keywords.isEmpty, (1...3).contains(positional.count) else {
            throw EvaluationFailure(.type, "range expected 1 to 3 integer arguments")
        }
        var bounds: [Int] = []
        for argument in positional {
            guard let number = argument.integerValue else {
                throw EvaluationFailure(.type, "'\(argument.typeName)' object cannot be interpreted as an integer")
            }
            bounds.append(number)
        }
        let start = bounds.count > 1 ? bounds[0] : 0
        let stop = bounds.count > 1 ? bounds[1] : bounds[0]
        let step = bounds.count > 2 ? bounds[2] : 1
        guard step != 0 else { throw EvaluationFailure(.type, "range() arg 3 must not be zero") }
        let span = step > 0 ? stop.subtractingReportingOverflow(start) : start.subtractingReportingOverflow(stop)
        let magnitude = step.magnitude
        let count = span.overflow ? Int.max : span.partialValue <= 0 ? 0 : Int((UInt(span.partialValue) + magnitude - 1) / magnitude)
        let cap = min(Self.maxRange, limits.maxCollectionLength)
        guard count <= cap else {
            throw EvaluationFailure(
                .limitExceeded(.collectionLength), "Range too big. The sandbox blocks ranges larger than \(cap) elements.")
        }
        return .list((0..<count).map { .int(start + $0 * step) })
    }

    private mutating func callMacro(_ macro: MacroDefinition, positional: [TemplateValue], keywords: [(String, TemplateValue)],
                                    at location: SourceLocation) throws(ChatTemplateError) -> TemplateValue
    {
        // A call pushes a frame, binds arguments and captures output.
        try spend(TemplateWorkMeter.callSteps, at: location)
        callDepth += 1
        defer { callDepth -= 1 }
        guard callDepth <= limits.maxCallDepth else {
            throw ChatTemplateError(
                .limitExceeded(.callDepth), "macro calls nest deeper than \(limits.maxCallDepth) levels (runaway recursion?)",
                line: location.line, column: location.column)
        }
        guard positional.count <= macro.parameters.count else {
            throw ChatTemplateError(.type, "macro '\(macro.name)' takes not more than \(macro.parameters.count) argument(s)", line: location.line, column: location.column)
        }
        for (keyword, _) in keywords where !macro.parameters.contains(where: { $0.name == keyword }) {
            throw ChatTemplateError(.type, "macro '\(macro.name)' takes no keyword argument '\(keyword)'", line: location.line, column: location.column)
        }
        let caller = pendingCaller
        pendingCaller = nil
        // The macro sees its arguments and the scope it was defined in, not its caller's locals. (A frame
        // index can only be stale if the macro outlived its frame through a namespace; it stays in range.)
        pushFrame(parent: min(macro.scopeFrame, frames.count - 1))
        defer { popFrame() }
        if let caller { assign("caller", .function(.macro(caller))) }
        for (index, parameter) in macro.parameters.enumerated() {
            if index < positional.count {
                assign(parameter.name, positional[index])
            } else if let keyword = keywords.last(where: { $0.0 == parameter.name }) {
                assign(parameter.name, keyword.1)
            } else if let defaultValue = parameter.defaultValue {
                assign(parameter.name, try evaluate(defaultValue))
            } else {
                assign(parameter.name, .undefined(hint: "parameter '\(parameter.name)' was not provided"))
            }
        }
        return .string(try capture(macro.body))
    }
}
