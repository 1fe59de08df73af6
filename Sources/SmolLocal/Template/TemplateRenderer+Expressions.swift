extension TemplateRenderer {
    /// Runs `body`, giving a failure without a position the position of the node being evaluated.
    @inline(__always)
    func located<T>(_ location: SourceLocation, _ body: () throws(EvaluationFailure) -> T) throws(ChatTemplateError) -> T {
        do { return try body() } catch { throw error.located(at: location) }
    }

    mutating func evaluate(_ expression: Expression) throws(ChatTemplateError) -> TemplateValue {
        switch expression {
        case .constant(let value):
            return value
        case .name(let name, _):
            return lookup(name)
        default:
            try enterNesting()
            defer { runtimeDepth -= 1 }
            let value = try evaluateCompound(expression)
            switch expression {
            case .list, .tuple, .dict, .call, .filter, .binary, .concat:
                // A value these build costs what it holds (a new range, a joined string, a slice).
                try spend(TemplateWorkMeter.shallowSize(value), at: statementLocation)
            default:
                break
            }
            return value
        }
    }

    /// Counts one level of runtime recursion (an expression inside an expression, a block inside a block, a
    /// macro body), so that a recursive macro around a deep expression cannot exhaust the thread's stack.
    mutating func enterNesting() throws(ChatTemplateError) {
        // Every block and compound expression passes here.
        try spend(TemplateWorkMeter.expressionSteps, at: statementLocation)
        runtimeDepth += 1
        guard runtimeDepth <= limits.maxNestingDepth * 2 else {
            runtimeDepth -= 1
            throw ChatTemplateError(
                .limitExceeded(.nestingDepth),
                "evaluation nests deeper than \(limits.maxNestingDepth * 2) levels (runaway recursion?)",
                line: statementLocation.line, column: statementLocation.column)
        }
    }

    private mutating func evaluateCompound(_ expression: Expression) throws(ChatTemplateError) -> TemplateValue {
        switch expression {
        case .constant(let value):
            return value
        case .name(let name, _):
            return lookup(name)
        case .list(let elements):
            var values: [TemplateValue] = []
            values.reserveCapacity(elements.count)
            for element in elements { values.append(try evaluate(element)) }
            return try checkedNesting(.list(values))
        case .tuple(let elements):
            var values: [TemplateValue] = []
            values.reserveCapacity(elements.count)
            for element in elements { values.append(try evaluate(element)) }
            return try checkedNesting(.tuple(values))
        case .dict(let entries, let location):
            var dict = TemplateDict()
            for entry in entries {
                let key = try evaluate(entry.key)
                guard TemplateDict.isHashable(key) else {
                    throw ChatTemplateError(
                        .type, "unhashable type: '\(key.typeName)'", line: location.line, column: location.column)
                }
                dict[key] = try evaluate(entry.value)
            }
            return try checkedNesting(.dict(dict), at: location)
        case .attribute(let base, let name, let location):
            let value = try evaluate(base)
            return try located(location) { () throws(EvaluationFailure) in try attribute(name, of: value) }
        case .item(let base, let subscriptExpression, let location):
            let value = try evaluate(base)
            if case .slice(let start, let stop, let step) = subscriptExpression {
                let bounds = (
                    try start.map { e throws(ChatTemplateError) in try evaluate(e) },
                    try stop.map { e throws(ChatTemplateError) in try evaluate(e) },
                    try step.map { e throws(ChatTemplateError) in try evaluate(e) }
                )
                let sliced = try located(location) { () throws(EvaluationFailure) in
                    try slice(value, start: bounds.0, stop: bounds.1, step: bounds.2)
                }
                // Slicing walks the input (a string's scalars) and builds the result.
                try spend(TemplateWorkMeter.shallowSize(value) + TemplateWorkMeter.shallowSize(sliced), at: location)
                return sliced
            }
            let key = try evaluate(subscriptExpression)
            // Indexing a string walks its scalars.
            if case .string = value { try spend(TemplateWorkMeter.shallowSize(value), at: location) }
            return try located(location) { () throws(EvaluationFailure) in try item(key, of: value) }
        case .slice:
            return .undefined(hint: "slice outside of a subscript")
        case .call(let callee, let arguments, let location):
            let function = try evaluate(callee)
            let (positional, keywords) = try evaluateArguments(arguments)
            return try call(function, positional: positional, keywords: keywords, at: location)
        case .filter(let base, let name, let arguments, let location):
            let value = try evaluate(base)
            return try applyFilter(name, to: value, arguments, at: location)
        case .test(let base, let name, let arguments, let location):
            let value = try evaluate(base)
            let (positional, keywords) = try evaluateArguments(arguments)
            // Tests with an argument (`in`, `eq`, ...) may walk both values; `defined`, `string`, ... do not.
            if !positional.isEmpty {
                let cap = work.remaining
                try spend(positional.reduce(TemplateWorkMeter.deepSize(value, cap: cap)) { $0 + TemplateWorkMeter.deepSize($1, cap: cap) },
                          at: location)
            }
            return .bool(try located(location) { () throws(EvaluationFailure) in
                try runTest(name, on: value, positional, keywords)
            })
        case .negate(let operand, let location):
            let value = try evaluate(operand)
            return try located(location) { () throws(EvaluationFailure) in try TemplateOperators.negate(value) }
        case .positive(let operand, let location):
            let value = try evaluate(operand)
            return try located(location) { () throws(EvaluationFailure) in try TemplateOperators.positive(value) }
        case .not(let operand):
            return .bool(!(try evaluate(operand).isTruthy))
        case .binary(let op, let left, let right, let location):
            let lhs = try evaluate(left)
            let rhs = try evaluate(right)
            return try located(location) { () throws(EvaluationFailure) in
                if op == .modulo, case .string(let format) = lhs { return .string(try percentFormat(format, rhs)) }
                return try TemplateOperators.apply(op, lhs, rhs, limits: limits)
            }
        case .and(let left, let right):
            let lhs = try evaluate(left)
            return lhs.isTruthy ? try evaluate(right) : lhs
        case .or(let left, let right):
            let lhs = try evaluate(left)
            return lhs.isTruthy ? lhs : try evaluate(right)
        case .compare(let first, let operations, let location):
            var lhs = try evaluate(first)
            for operation in operations {
                let rhs = try evaluate(operation.operand)
                // Equality and `in` walk whole values, however deep.
                let cap = work.remaining
                try spend(TemplateWorkMeter.deepSize(lhs, cap: cap) + TemplateWorkMeter.deepSize(rhs, cap: cap), at: location)
                let holds = try located(location) { () throws(EvaluationFailure) in
                    try TemplateOperators.compare(operation.op, lhs, rhs)
                }
                if !holds { return .bool(false) }
                lhs = rhs
            }
            return .bool(true)
        case .concat(let parts, let location):
            var text = ""
            for part in parts { text += string(try evaluate(part)) }
            guard text.utf8.count <= limits.maxOutputBytes else {
                throw ChatTemplateError(
                    .limitExceeded(.outputSize), "string is larger than \(limits.maxOutputBytes) bytes",
                    line: location.line, column: location.column)
            }
            return .string(text)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition).isTruthy { return try evaluate(then) }
            guard let otherwise else {
                return .undefined(hint: "the inline if-expression evaluated to false and no else section was defined.")
            }
            return try evaluate(otherwise)
        }
    }

    /// Refuses a new list, tuple or dict that nests deeper than the limit, so that a loop wrapping a value in
    /// a literal again and again cannot build a value too deep to print, compare or release.
    ///
    /// The walk is paid for node by node: values share their elements, so `{% set x = [x, x] %}` in a loop
    /// builds in a few steps a value whose walk doubles each time, and an unpaid walk would never end.
    func checkedNesting(_ value: TemplateValue, at location: SourceLocation? = nil) throws(ChatTemplateError) -> TemplateValue {
        let limit = limits.maxNestingDepth
        var pending: [(TemplateValue, Int)] = [(value, 0)]
        while let (next, depth) = pending.popLast() {
            let children: [TemplateValue]
            switch next {
            case .list(let elements), .tuple(let elements): children = elements
            case .dict(let dict): children = dict.values
            default: continue
            }
            guard depth < limit else { throw TemplateValue.nestingFailure(limit).located(at: location ?? statementLocation) }
            // Each element visited costs about what evaluating an expression does.
            try spend(TemplateWorkMeter.expressionSteps * (1 + children.count), at: location ?? statementLocation)
            pending.append(contentsOf: children.lazy.map { ($0, depth + 1) })
        }
        return value
    }

    mutating func evaluateArguments(_ arguments: Arguments) throws(ChatTemplateError)
        -> ([TemplateValue], [(String, TemplateValue)])
    {
        var positional: [TemplateValue] = []
        positional.reserveCapacity(arguments.positional.count)
        for argument in arguments.positional { positional.append(try evaluate(argument)) }
        var keywords: [(String, TemplateValue)] = []
        for keyword in arguments.keywords { keywords.append((keyword.name, try evaluate(keyword.value))) }
        return (positional, keywords)
    }
}
