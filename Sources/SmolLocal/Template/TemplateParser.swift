/// Builds the syntax tree from tokens, following jinja2's parser (`jinja2/parser.py`) rule for rule so that
/// precedence and the odd corners (`a + b | trim` filters only `b`, `not x is defined` negates the test)
/// come out the same.
struct TemplateParser {
    var tokens: [Token]
    var index = 0
    var depth = 0
    let maxDepth: Int

    init(tokens: [Token], maxDepth: Int) {
        self.tokens = tokens
        self.maxDepth = maxDepth
    }

    /// Parses a whole template.
    static func parse(_ source: String, limits: TemplateLimits) throws(ChatTemplateError) -> [Node] {
        var parser = TemplateParser(tokens: try TemplateLexer.tokenize(source), maxDepth: limits.maxNestingDepth)
        let (body, endTag) = try parser.subparse(endTags: [])
        if let endTag { throw parser.error("Encountered unknown tag '\(endTag)'.") }
        try TemplateNameCheck.check(body, soft: false)
        return body
    }

    // MARK: token stream

    var current: Token { tokens[index] }
    var next: Token { tokens[min(index + 1, tokens.count - 1)] }

    mutating func advance() {
        if index < tokens.count - 1 { index += 1 }
    }

    func error(_ message: String, at location: SourceLocation? = nil) -> ChatTemplateError {
        let location = location ?? current.location
        return ChatTemplateError(.syntax, message, line: location.line, column: location.column)
    }

    func isOperator(_ spelling: String) -> Bool { current.kind == .op(spelling) }
    func isName(_ name: String) -> Bool { current.kind == .name(name) }

    mutating func skip(operator spelling: String) -> Bool {
        guard isOperator(spelling) else { return false }
        advance()
        return true
    }

    mutating func skip(name: String) -> Bool {
        guard isName(name) else { return false }
        advance()
        return true
    }

    mutating func expect(operator spelling: String) throws(ChatTemplateError) {
        guard skip(operator: spelling) else {
            throw error("expected token '\(spelling)', got '\(current.kind.describe)'")
        }
    }

    mutating func expect(name: String) throws(ChatTemplateError) {
        guard skip(name: name) else { throw error("expected token '\(name)', got '\(current.kind.describe)'") }
    }

    mutating func expectName() throws(ChatTemplateError) -> String {
        guard case .name(let name) = current.kind else {
            throw error("expected name, got '\(current.kind.describe)'")
        }
        advance()
        return name
    }

    mutating func expectBlockEnd() throws(ChatTemplateError) {
        guard current.kind == .blockEnd else {
            throw error("expected token 'end of statement block', got '\(current.kind.describe)'")
        }
        advance()
    }

    mutating func enter() throws(ChatTemplateError) {
        depth += 1
        if depth > maxDepth {
            let location = current.location
            throw ChatTemplateError(
                .limitExceeded(.nestingDepth), "template nests deeper than \(maxDepth) levels",
                line: location.line, column: location.column)
        }
    }

    mutating func leave() { depth -= 1 }

    // MARK: statements

    /// Parses nodes until a block whose first name is in `endTags`; returns them and that name, leaving the
    /// stream on the name token. At the end of input the name is nil.
    mutating func subparse(endTags: Set<String>) throws(ChatTemplateError) -> ([Node], String?) {
        try enter()
        defer { leave() }
        var body: [Node] = []
        while true {
            let token = current
            switch token.kind {
            case .text(let text):
                body.append(.text(text))
                advance()
            case .variableBegin:
                advance()
                let expression = try parseTuple()
                guard current.kind == .variableEnd else {
                    throw error("expected token 'end of print statement', got '\(current.kind.describe)'")
                }
                advance()
                body.append(.output(expression, token.location))
            case .blockBegin:
                advance()
                if case .name(let name) = current.kind, endTags.contains(name) { return (body, name) }
                body.append(try parseStatement(at: token.location))
                try expectBlockEnd()
            case .endOfInput:
                if !endTags.isEmpty {
                    let expected = endTags.sorted().map { "'\($0)'" }.joined(separator: " or ")
                    throw error("Unexpected end of template. Jinja was looking for the following tags: \(expected).")
                }
                return (body, nil)
            default:
                throw error("unexpected '\(token.kind.describe)'")
            }
        }
    }

    /// After a statement's header: its block end, its body up to one of `endTags`, and (with `dropEnd`)
    /// the end tag's name.
    mutating func parseBody(endTags: Set<String>, dropEnd: Bool) throws(ChatTemplateError) -> ([Node], String) {
        _ = skip(operator: ":")
        try expectBlockEnd()
        let (body, end) = try subparse(endTags: endTags)
        guard let end else { throw error("unexpected end of template") }
        if dropEnd { advance() }
        return (body, end)
    }

    mutating func parseStatement(at location: SourceLocation) throws(ChatTemplateError) -> Node {
        guard case .name(let keyword) = current.kind else {
            throw error("tag name expected")
        }
        switch keyword {
        case "for": return try parseFor(at: location)
        case "if": return try parseIf(at: location)
        case "set": return try parseSet(at: location)
        case "macro":
            advance()
            return .macro(try parseMacroDefinition(named: try expectName(), at: location))
        case "call": return try parseCallBlock(at: location)
        case "filter":
            advance()
            let filters = try parseFilterChain(inline: true)
            let (body, _) = try parseBody(endTags: ["endfilter"], dropEnd: true)
            return .filterBlock(filters: filters, body: body, location)
        case "with": return try parseWith(at: location)
        case "break", "continue":
            advance()
            return .loopControl(isBreak: keyword == "break", location)
        case "generation":
            advance()
            let (body, _) = try parseBody(endTags: ["endgeneration"], dropEnd: true)
            return .generation(body)
        default:
            throw error("Encountered unknown tag '\(keyword)'.")
        }
    }

    mutating func parseFor(at location: SourceLocation) throws(ChatTemplateError) -> Node {
        advance()
        let target = try parseAssignTarget(extraEnd: "in", withNamespace: false)
        try expect(name: "in")
        let iterable = try parseTuple(withConditional: false, extraEnd: "recursive")
        var condition: Expression?
        if skip(name: "if") { condition = try parseExpression() }
        let recursive = skip(name: "recursive")
        let (body, end) = try parseBody(endTags: ["endfor", "else"], dropEnd: true)
        var elseBody: [Node] = []
        if end == "else" { (elseBody, _) = try parseBody(endTags: ["endfor"], dropEnd: true) }
        return .forLoop(ForLoop(
            target: target, iterable: iterable, condition: condition, body: body, elseBody: elseBody,
            recursive: recursive, location: location))
    }

    mutating func parseIf(at location: SourceLocation) throws(ChatTemplateError) -> Node {
        advance()
        var branches: [(condition: Expression, body: [Node])] = []
        while true {
            let condition = try parseTuple(withConditional: false)
            let (body, end) = try parseBody(endTags: ["elif", "else", "endif"], dropEnd: true)
            branches.append((condition, body))
            if end == "elif" { continue }
            var otherwise: [Node] = []
            if end == "else" { (otherwise, _) = try parseBody(endTags: ["endif"], dropEnd: true) }
            return .ifChain(branches: branches, otherwise: otherwise, location)
        }
    }

    mutating func parseSet(at location: SourceLocation) throws(ChatTemplateError) -> Node {
        advance()
        let target = try parseAssignTarget(extraEnd: nil, withNamespace: true)
        if skip(operator: "=") { return .assign(target, try parseTuple(), location) }
        let filters = try parseFilterChain(inline: false)
        let (body, _) = try parseBody(endTags: ["endset"], dropEnd: true)
        return .assignBlock(target, filters: filters, body: body, location)
    }

    mutating func parseMacroDefinition(named name: String, at location: SourceLocation) throws(ChatTemplateError)
        -> MacroDefinition
    {
        var parameters: [(name: String, defaultValue: Expression?)] = []
        try expect(operator: "(")
        while !isOperator(")") {
            if !parameters.isEmpty { try expect(operator: ",") }
            let parameter = try expectName()
            if skip(operator: "=") {
                parameters.append((parameter, try parseExpression()))
            } else {
                if parameters.last?.defaultValue != nil {
                    throw error("non-default argument follows default argument")
                }
                parameters.append((parameter, nil))
            }
        }
        try expect(operator: ")")
        let (body, _) = try parseBody(endTags: ["endmacro"], dropEnd: true)
        return MacroDefinition(name: name, parameters: parameters, body: body, location: location)
    }

    mutating func parseCallBlock(at location: SourceLocation) throws(ChatTemplateError) -> Node {
        advance()
        var parameters: [(name: String, defaultValue: Expression?)] = []
        if isOperator("(") {
            // Parsed like a macro signature; the body comes after the call expression.
            advance()
            while !isOperator(")") {
                if !parameters.isEmpty { try expect(operator: ",") }
                let parameter = try expectName()
                parameters.append((parameter, skip(operator: "=") ? try parseExpression() : nil))
            }
            try expect(operator: ")")
        }
        let call = try parseExpression()
        guard case .call = call else { throw error("expected call", at: location) }
        let (body, _) = try parseBody(endTags: ["endcall"], dropEnd: true)
        let caller = MacroDefinition(name: "caller", parameters: parameters, body: body, location: location)
        return .callBlock(call: call, caller: caller, location)
    }

    mutating func parseWith(at location: SourceLocation) throws(ChatTemplateError) -> Node {
        advance()
        var bindings: [(target: AssignTarget, value: Expression)] = []
        while current.kind != .blockEnd {
            if !bindings.isEmpty { try expect(operator: ",") }
            let target = try parseAssignTarget(extraEnd: nil, withNamespace: false)
            try expect(operator: "=")
            bindings.append((target, try parseExpression()))
        }
        let (body, _) = try parseBody(endTags: ["endwith"], dropEnd: true)
        return .with(bindings: bindings, body: body, location)
    }

    /// `name`, `a, b` or `ns.attr`: jinja2's `parse_assign_target` with a simplified tuple.
    mutating func parseAssignTarget(extraEnd: String?, withNamespace: Bool) throws(ChatTemplateError) -> AssignTarget {
        var targets: [AssignTarget] = []
        var isTuple = false
        while true {
            if !targets.isEmpty { try expect(operator: ",") }
            if isTupleEnd(extraEnd: extraEnd) { break }
            let name = try expectName()
            if withNamespace, skip(operator: ".") {
                targets.append(.namespaceAttribute(name, try expectName()))
            } else {
                guard !["true", "false", "none", "True", "False", "None"].contains(name) else {
                    throw error("can't assign to '\(name)'")
                }
                targets.append(.name(name))
            }
            if isOperator(",") { isTuple = true } else { break }
        }
        if !isTuple, let only = targets.first { return only }
        guard !targets.isEmpty else { throw error("expected an assignment target, got '\(current.kind.describe)'") }
        if targets.contains(where: { if case .namespaceAttribute = $0 { return true } else { return false } }) {
            throw error("can't assign to a namespace attribute inside a tuple")
        }
        return .tuple(targets)
    }

    func isTupleEnd(extraEnd: String?) -> Bool {
        switch current.kind {
        case .variableEnd, .blockEnd, .op(")"): return true
        case .name(let name): return name == extraEnd
        default: return false
        }
    }
}
