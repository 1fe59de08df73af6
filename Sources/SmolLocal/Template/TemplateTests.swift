extension TemplateRenderer {
    static let filterNames: Set<String> = [
        "tojson", "trim", "length", "count", "string", "safe", "e", "escape", "forceescape", "upper", "lower",
        "capitalize", "title", "replace", "default", "d", "indent", "wordcount", "int", "float", "abs", "round",
        "first", "last", "list", "reverse", "items", "attr", "join", "map", "select", "reject", "selectattr",
        "rejectattr", "sort", "unique", "min", "max", "dictsort", "sum",
    ]

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
        func integer() throws(EvaluationFailure) -> Int {
            guard let number = value.integerValue else {
                if let failure = TemplateOperators.undefinedFailure(value) { throw failure }
                throw EvaluationFailure(.type, "unsupported operand type(s) for %: '\(value.typeName)' and 'int'")
            }
            return number
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
        case "callable": try parameters.finish(); if case .function = value { return true } else { return false }
        case "odd": try parameters.finish(); return try integer() % 2 != 0
        case "even": try parameters.finish(); return try integer() % 2 == 0
        case "divisibleby":
            let divisor = try other()
            guard let number = divisor.integerValue, number != 0 else {
                throw EvaluationFailure(.type, "divisibleby needs a non-zero integer")
            }
            return try integer() % number == 0
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
            return Self.filterNames.contains(string(try other()))
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
