extension TemplateRenderer {
    /// Runs the jinja2 test `name` (`x is name(args)`).
    func runTest(_ name: String, on value: TemplateValue, _ positional: [TemplateValue], _ keywords: [(String, TemplateValue)])
        throws(EvaluationFailure) -> Bool
    {
        var parameters = ParameterReader(function: name, positional, keywords)
        func other() throws(EvaluationFailure) -> TemplateValue {
            let argument = try parameters.required("other")
            try parameters.finish()
            return argument
        }
        // jinja2 computes `value % n` with Python's operator, so floats work and strings fail as Python does.
        func remainder(_ divisor: TemplateValue) throws(EvaluationFailure) -> TemplateValue {
            try TemplateOperators.apply(.modulo, value, divisor, limits: limits)
        }
        switch name {
        case "defined": try parameters.finish(); return !value.isUndefined
        case "undefined": try parameters.finish(); return value.isUndefined
        case "none": try parameters.finish(); return value.isNone
        case "boolean": try parameters.finish(); if case .bool = value { return true } else { return false }
        case "true": try parameters.finish(); if case .bool(true) = value { return true } else { return false }
        case "false": try parameters.finish(); if case .bool(false) = value { return true } else { return false }
        case "integer": try parameters.finish(); if case .int = value { return true } else { return false }
        case "float": try parameters.finish(); if case .double = value { return true } else { return false }
        case "number": try parameters.finish(); return value.numericValue != nil
        case "string": try parameters.finish(); if case .string = value { return true } else { return false }
        case "mapping": try parameters.finish(); if case .dict = value { return true } else { return false }
        case "iterable", "sequence":
            try parameters.finish()
            switch value {
            case .string, .list, .tuple, .dict, .undefined: return true
            case .iterator: return name == "iterable"
            default: return false
            }
        case "callable":
            // jinja2's Undefined defines __call__ (to fail when called), so Python's callable() says yes.
            try parameters.finish()
            switch value {
            case .function, .undefined: return true
            default: return false
            }
        case "odd": try parameters.finish(); return TemplateOperators.equals(try remainder(.int(2)), .int(1))
        case "even": try parameters.finish(); return TemplateOperators.equals(try remainder(.int(2)), .int(0))
        case "divisibleby": return TemplateOperators.equals(try remainder(try other()), .int(0))
        case "eq", "equalto", "==": return TemplateOperators.equals(value, try other())
        case "ne", "!=": return !TemplateOperators.equals(value, try other())
        case "lt", "lessthan", "<": return try TemplateOperators.compare(.less, value, try other())
        case "le", "<=": return try TemplateOperators.compare(.lessOrEqual, value, try other())
        case "gt", "greaterthan", ">": return try TemplateOperators.compare(.greater, value, try other())
        case "ge", ">=": return try TemplateOperators.compare(.greaterOrEqual, value, try other())
        case "in": return try TemplateOperators.contains(try other(), value)
        case "sameas":
            let argument = try other()
            switch (value, argument) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            case (.namespace(let a), .namespace(let b)): return a == b
            default: return false
            }
        case "lower", "upper":
            try parameters.finish()
            let text = string(value)
            let cased = text.unicodeScalars.contains { $0.properties.isCased }
            return cased && (name == "lower" ? text == text.lowercased() : text == text.uppercased())
        case "escaped": try parameters.finish(); return false
        case "filter":
            return TemplateParser.jinjaFilters.contains(string(try other()))
        case "test":
            return Self.testNames.contains(string(try other()))
        default:
            throw EvaluationFailure(.unsupported, "No test named '\(name)' found.")
        }
    }

    static let testNames: Set<String> = [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string", "mapping",
        "iterable", "sequence", "callable", "odd", "even", "divisibleby", "eq", "equalto", "==", "ne", "!=", "lt",
        "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "sameas", "lower", "upper", "escaped",
        "filter", "test",
    ]
}
