extension TemplateParser {
    /// Every filter jinja2 3.1 knows (transformers' environment); the interpreter implements all but the
    /// HTML/formatting ones, which fail with ``ChatTemplateError/Kind/unsupported`` when actually used.
    static let jinjaFilters: Set<String> = [
        "abs", "attr", "batch", "capitalize", "center", "count", "d", "default", "dictsort", "e", "escape",
        "filesizeformat", "first", "float", "forceescape", "format", "groupby", "indent", "int", "items", "join", "last",
        "length", "list", "lower", "map", "max", "min", "pprint", "random", "reject", "rejectattr", "replace", "reverse",
        "round", "safe", "select", "selectattr", "slice", "sort", "string", "striptags", "sum", "title", "tojson", "trim",
        "truncate", "unique", "upper", "urlencode", "urlize", "wordcount", "wordwrap", "xmlattr",
    ]

    /// jinja2's `parse_tuple`: one expression, or a tuple when commas follow.
    mutating func parseTuple(withConditional: Bool = true, extraEnd: String? = nil, explicitParentheses: Bool = false)
        throws(ChatTemplateError) -> Expression
    {
        var elements: [Expression] = []
        var isTuple = false
        while true {
            if !elements.isEmpty { try expect(operator: ",") }
            if isTupleEnd(extraEnd: extraEnd) { break }
            elements.append(withConditional ? try parseExpression() : try parseOr())
            if isOperator(",") { isTuple = true } else { break }
        }
        if !isTuple {
            if let only = elements.first { return only }
            if !explicitParentheses { throw error("Expected an expression, got '\(current.kind.describe)'") }
        }
        return .tuple(elements)
    }

    /// A full expression, including `a if c else b`.
    mutating func parseExpression() throws(ChatTemplateError) -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        try enter()
        var result = try parseOr()
        while skip(name: "if") {
            try enter()
            let condition = try parseOr()
            let otherwise: Expression? = skip(name: "else") ? try parseExpression() : nil
            result = .conditional(condition: condition, then: result, otherwise: otherwise)
        }
        return result
    }

    mutating func parseOr() throws(ChatTemplateError) -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = try parseAnd()
        while skip(name: "or") {
            try enter()
            left = .or(left, try parseAnd())
        }
        return left
    }

    mutating func parseAnd() throws(ChatTemplateError) -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = try parseNot()
        while skip(name: "and") {
            try enter()
            left = .and(left, try parseNot())
        }
        return left
    }

    mutating func parseNot() throws(ChatTemplateError) -> Expression {
        if skip(name: "not") {
            try enter()
            defer { leave() }
            return .not(try parseNot())
        }
        return try parseCompare()
    }

    mutating func parseCompare() throws(ChatTemplateError) -> Expression {
        let location = current.location
        let first = try parseMath1()
        var operations: [(op: CompareOperator, operand: Expression)] = []
        while true {
            if case .op(let spelling) = current.kind, let op = CompareOperator(rawValue: spelling),
                op != .contains, op != .notContains
            {
                advance()
                operations.append((op, try parseMath1()))
            } else if skip(name: "in") {
                operations.append((.contains, try parseMath1()))
            } else if isName("not"), next.kind == .name("in") {
                advance()
                advance()
                operations.append((.notContains, try parseMath1()))
            } else {
                break
            }
        }
        return operations.isEmpty ? first : .compare(first, operations, location)
    }

    // Left-deep chains (`a + b + c …`, `x.a.b …`, `x | f | g …`) count one nesting level per link, since
    // evaluating them recurses once per link too.

    mutating func parseMath1() throws(ChatTemplateError) -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = try parseConcat()
        while case .op(let spelling) = current.kind, spelling == "+" || spelling == "-" {
            let location = current.location
            advance()
            try enter()
            left = .binary(spelling == "+" ? .add : .subtract, left, try parseConcat(), location)
        }
        return left
    }

    mutating func parseConcat() throws(ChatTemplateError) -> Expression {
        let location = current.location
        var parts = [try parseMath2()]
        while skip(operator: "~") {
            guard parts.count < maxDepth * 50 else { throw error("too many '~' operands in one expression") }
            parts.append(try parseMath2())
        }
        return parts.count == 1 ? parts[0] : .concat(parts, location)
    }

    mutating func parseMath2() throws(ChatTemplateError) -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = try parsePower()
        while case .op(let spelling) = current.kind, let op = BinaryOperator(rawValue: spelling),
            [.multiply, .divide, .floorDivide, .modulo].contains(op)
        {
            let location = current.location
            advance()
            try enter()
            left = .binary(op, left, try parsePower(), location)
        }
        return left
    }

    mutating func parsePower() throws(ChatTemplateError) -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var left = try parseUnary()
        while isOperator("**") {
            let location = current.location
            advance()
            try enter()
            left = .binary(.power, left, try parseUnary(), location)
        }
        return left
    }

    mutating func parseUnary(withFilter: Bool = true) throws(ChatTemplateError) -> Expression {
        try enter()
        defer { leave() }
        let location = current.location
        var node: Expression
        if skip(operator: "-") {
            node = .negate(try parseUnary(withFilter: false), location)
        } else if skip(operator: "+") {
            node = .positive(try parseUnary(withFilter: false), location)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }

    mutating func parsePrimary() throws(ChatTemplateError) -> Expression {
        let token = current
        switch token.kind {
        case .name(let name):
            advance()
            switch name {
            case "true", "True": return .constant(.bool(true))
            case "false", "False": return .constant(.bool(false))
            case "none", "None": return .constant(.none)
            default: return .name(name, token.location)
            }
        case .string(let first):
            advance()
            var value = first
            while case .string(let more) = current.kind {
                value += more
                advance()
            }
            return .constant(.string(value))
        case .integer(let value):
            advance()
            return .constant(.int(value))
        case .float(let value):
            advance()
            return .constant(.double(value))
        case .op("("):
            advance()
            let inner = try parseTuple(explicitParentheses: true)
            try expect(operator: ")")
            return inner
        case .op("["):
            advance()
            var elements: [Expression] = []
            while !isOperator("]") {
                if !elements.isEmpty { try expect(operator: ",") }
                if isOperator("]") { break }
                elements.append(try parseExpression())
            }
            try expect(operator: "]")
            return .list(elements)
        case .op("{"):
            advance()
            var entries: [(key: Expression, value: Expression)] = []
            while !isOperator("}") {
                if !entries.isEmpty { try expect(operator: ",") }
                if isOperator("}") { break }
                let key = try parseExpression()
                try expect(operator: ":")
                entries.append((key, try parseExpression()))
            }
            try expect(operator: "}")
            return .dict(entries, token.location)
        default:
            throw error("unexpected '\(token.kind.describe)'")
        }
    }

    mutating func parsePostfix(_ base: Expression) throws(ChatTemplateError) -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var node = base
        while isOperator(".") || isOperator("[") || isOperator("(") {
            try enter()
            let location = current.location
            if skip(operator: ".") {
                switch current.kind {
                case .name(let name):
                    advance()
                    node = .attribute(node, name, location)
                case .integer(let value):
                    advance()
                    node = .item(node, .constant(.int(value)), location)
                default:
                    throw error("expected name or number")
                }
            } else if skip(operator: "[") {
                var subscripts: [Expression] = []
                while !isOperator("]") {
                    if !subscripts.isEmpty { try expect(operator: ",") }
                    subscripts.append(try parseSubscribed())
                }
                try expect(operator: "]")
                node = .item(node, subscripts.count == 1 ? subscripts[0] : .tuple(subscripts), location)
            } else {
                node = .call(node, try parseCallArguments(), location)
            }
        }
        return node
    }

    mutating func parseSubscribed() throws(ChatTemplateError) -> Expression {
        var start: Expression?
        if !skip(operator: ":") {
            let node = try parseExpression()
            guard skip(operator: ":") else { return node }
            start = node
        }
        var stop: Expression?
        if !isOperator(":"), !isOperator("]"), !isOperator(",") { stop = try parseExpression() }
        var step: Expression?
        if skip(operator: ":"), !isOperator("]"), !isOperator(",") { step = try parseExpression() }
        return .slice(start, stop, step)
    }

    mutating func parseCallArguments() throws(ChatTemplateError) -> Arguments {
        let location = current.location
        try expect(operator: "(")
        var arguments = Arguments()
        var requireComma = false
        while !isOperator(")") {
            if requireComma {
                try expect(operator: ",")
                if isOperator(")") { break }
            }
            if isOperator("*") || isOperator("**") {
                throw error("*args and **kwargs in calls are not supported")
            }
            if case .name(let name) = current.kind, next.kind == .op("=") {
                advance()
                advance()
                arguments.keywords.append((name, try parseExpression()))
            } else {
                guard arguments.keywords.isEmpty else {
                    throw error("invalid syntax for function call expression", at: location)
                }
                arguments.positional.append(try parseExpression())
            }
            requireComma = true
        }
        try expect(operator: ")")
        return arguments
    }

    mutating func parseFilterExpression(_ base: Expression) throws(ChatTemplateError) -> Expression {
        let entryDepth = depth
        defer { depth = entryDepth }
        var node = base
        while isOperator("|") || isName("is") || isOperator("(") {
            try enter()
            if isOperator("|") {
                for filter in try parseFilterChain(inline: false) {
                    try enter()
                    node = .filter(node, filter.name, filter.arguments, filter.location)
                }
            } else if isName("is") {
                node = try parseTest(node)
            } else {
                let location = current.location
                node = .call(node, try parseCallArguments(), location)
            }
        }
        return node
    }

    /// `| name(args) | name …`; with `inline` the first filter has no leading pipe (`{% filter upper %}`).
    mutating func parseFilterChain(inline: Bool) throws(ChatTemplateError) -> [FilterCall] {
        var filters: [FilterCall] = []
        var first = inline
        while first || isOperator("|") {
            if !first { advance() }
            first = false
            let location = current.location
            var name = try expectName()
            while skip(operator: ".") { name += "." + (try expectName()) }
            let arguments = isOperator("(") ? try parseCallArguments() : Arguments()
            filters.append(FilterCall(name: name, arguments: arguments, location: location))
        }
        return filters
    }

    mutating func parseTest(_ subject: Expression) throws(ChatTemplateError) -> Expression {
        let location = current.location
        advance()
        let negated = skip(name: "not")
        var name = try expectName()
        while skip(operator: ".") { name += "." + (try expectName()) }
        var arguments = Arguments()
        if isOperator("(") {
            arguments = try parseCallArguments()
        } else {
            var takesArgument = false
            switch current.kind {
            case .name(let word): takesArgument = !["else", "or", "and"].contains(word)
            case .string, .integer, .float, .op("("), .op("["), .op("{"): takesArgument = true
            default: break
            }
            if takesArgument {
                if isName("is") { throw error("You cannot chain multiple tests with is") }
                arguments.positional = [try parsePostfix(try parsePrimary())]
            }
        }
        let test = Expression.test(subject, name, arguments, location)
        return negated ? .not(test) : test
    }
}
