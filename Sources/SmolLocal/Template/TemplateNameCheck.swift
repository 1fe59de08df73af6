/// jinja2's compile-time check of filter and test names.
///
/// jinja2 refuses a template that uses an unknown filter or test, except inside an `{% if %}` (its test and
/// branches) or an `a if b else c` expression, where the error waits until the filter is actually used
/// (`compiler.py`, `soft_frame`). A `for`, macro, call, `with` or block `set` inside such an `if` starts a
/// strict frame again.
enum TemplateNameCheck {
    static func check(_ nodes: [Node], soft: Bool) throws(ChatTemplateError) {
        for node in nodes { try check(node, soft: soft) }
    }

    static func check(_ node: Node, soft: Bool) throws(ChatTemplateError) {
        switch node {
        case .text, .loopControl:
            return
        case .output(let expression, _):
            try check(expression, soft: soft)
        case .forLoop(let loop):
            try check(loop.iterable, soft: soft)
            if let condition = loop.condition { try check(condition, soft: false) }
            try check(loop.body, soft: false)
            try check(loop.elseBody, soft: false)
        case .ifChain(let branches, let otherwise, _):
            for branch in branches {
                try check(branch.condition, soft: true)
                try check(branch.body, soft: true)
            }
            try check(otherwise, soft: true)
        case .assign(_, let expression, _):
            try check(expression, soft: soft)
        case .assignBlock(_, let filters, let body, _):
            try check(filters, soft: soft)
            try check(body, soft: false)
        case .macro(let macro):
            try check(macro, soft: soft)
        case .callBlock(let call, let caller, _):
            try check(call, soft: soft)
            try check(caller, soft: soft)
        case .filterBlock(let filters, let body, _):
            try check(filters, soft: soft)
            try check(body, soft: false)
        case .with(let bindings, let body, _):
            for binding in bindings { try check(binding.value, soft: soft) }
            try check(body, soft: false)
        case .generation(let body):
            try check(body, soft: soft)
        }
    }

    private static func check(_ macro: MacroDefinition, soft: Bool) throws(ChatTemplateError) {
        for parameter in macro.parameters {
            if let defaultValue = parameter.defaultValue { try check(defaultValue, soft: false) }
        }
        try check(macro.body, soft: false)
    }

    private static func check(_ filters: [FilterCall], soft: Bool) throws(ChatTemplateError) {
        for filter in filters {
            try checkName(filter.name, isFilter: true, soft: soft, at: filter.location)
            try check(filter.arguments, soft: soft)
        }
    }

    private static func check(_ arguments: Arguments, soft: Bool) throws(ChatTemplateError) {
        for argument in arguments.positional { try check(argument, soft: soft) }
        for keyword in arguments.keywords { try check(keyword.value, soft: soft) }
    }

    private static func checkName(_ name: String, isFilter: Bool, soft: Bool, at location: SourceLocation)
        throws(ChatTemplateError)
    {
        guard !soft else { return }
        let known = isFilter ? TemplateParser.jinjaFilters.contains(name) : TemplateRenderer.testNames.contains(name)
        guard known else {
            throw ChatTemplateError(
                .syntax, "No \(isFilter ? "filter" : "test") named '\(name)'.", line: location.line, column: location.column)
        }
    }

    static func check(_ expression: Expression, soft: Bool) throws(ChatTemplateError) {
        switch expression {
        case .constant, .name:
            return
        case .list(let elements), .tuple(let elements):
            for element in elements { try check(element, soft: soft) }
        case .dict(let entries, _):
            for entry in entries {
                try check(entry.key, soft: soft)
                try check(entry.value, soft: soft)
            }
        case .attribute(let base, _, _), .negate(let base, _), .positive(let base, _), .not(let base):
            try check(base, soft: soft)
        case .item(let base, let key, _):
            try check(base, soft: soft)
            try check(key, soft: soft)
        case .slice(let start, let stop, let step):
            for part in [start, stop, step] { if let part { try check(part, soft: soft) } }
        case .call(let callee, let arguments, _):
            try check(callee, soft: soft)
            try check(arguments, soft: soft)
        case .filter(let base, let name, let arguments, let location):
            try check(base, soft: soft)
            try checkName(name, isFilter: true, soft: soft, at: location)
            try check(arguments, soft: soft)
        case .test(let base, let name, let arguments, let location):
            try check(base, soft: soft)
            try checkName(name, isFilter: false, soft: soft, at: location)
            try check(arguments, soft: soft)
        case .binary(_, let left, let right, _), .and(let left, let right), .or(let left, let right):
            try check(left, soft: soft)
            try check(right, soft: soft)
        case .compare(let first, let operations, _):
            try check(first, soft: soft)
            for operation in operations { try check(operation.operand, soft: soft) }
        case .concat(let parts, _):
            for part in parts { try check(part, soft: soft) }
        case .conditional(let condition, let then, let otherwise):
            try check(condition, soft: true)
            try check(then, soft: true)
            if let otherwise { try check(otherwise, soft: true) }
        }
    }
}
