import Foundation

extension TemplateRenderer {
    mutating func applyFilter(_ name: String, to value: TemplateValue, _ arguments: Arguments, at location: SourceLocation)
        throws(ChatTemplateError) -> TemplateValue
    {
        let (positional, keywords) = try evaluateArguments(arguments)
        // Most filters walk their input; these few do not (unless it is a string, whose length is counted).
        if case .string = value {
            try spend(TemplateWorkMeter.shallowSize(value), at: location)
        } else if !Self.constantTimeFilters.contains(name) {
            try spend(TemplateWorkMeter.shallowSize(value), at: location)
        }
        return try located(location) { () throws(EvaluationFailure) in try filter(name, value, positional, keywords) }
    }

    /// Filters whose cost does not grow with a list or dict input.
    static let constantTimeFilters: Set<String> = ["length", "count", "first", "last", "default", "d", "attr", "int", "float", "abs", "round"]

    /// Applies the jinja2 filter `name` (with transformers' `tojson`).
    func filter(_ name: String, _ value: TemplateValue, _ positional: [TemplateValue], _ keywords: [(String, TemplateValue)])
        throws(EvaluationFailure) -> TemplateValue
    {
        var parameters = ParameterReader(function: name, positional, keywords)
        switch name {
        case "tojson":
            // Converting walks the whole value, which may share its elements many times over.
            try work.charge(TemplateWorkMeter.deepSize(value, cap: work.remaining))
            let ensureASCII = parameters.optional("ensure_ascii")?.isTruthy ?? false
            let indent = parameters.optional("indent") ?? .none
            let separators = parameters.optional("separators") ?? .none
            let sortKeys = parameters.optional("sort_keys")?.isTruthy ?? false
            try parameters.finish()
            return .string(try TemplateJSON.dumps(
                value, ensureASCII: ensureASCII, indent: indent, separators: separators, sortKeys: sortKeys,
                maxBytes: limits.maxOutputBytes))
        case "trim":
            let characters = parameters.optional("chars") ?? .none
            try parameters.finish()
            var set: Set<Unicode.Scalar>?
            if case .string(let chars) = characters { set = Set(chars.unicodeScalars) }
            return .string(TemplateMethods.strip(string(value), set, leading: true, trailing: true))
        case "length", "count":
            try parameters.finish()
            return .int(try length(value))
        case "string":
            try parameters.finish()
            return .string(string(value))
        case "safe":
            // Markup(value) is a str; the escaping that Markup applies when concatenated is not modelled.
            try parameters.finish()
            return .string(string(value))
        case "e", "escape", "forceescape":
            try parameters.finish()
            var out = ""
            for scalar in string(value).unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&#34;"
                case "'": out += "&#39;"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return .string(out)
        case "upper", "lower", "capitalize", "title":
            try parameters.finish()
            let text = string(value)
            switch name {
            case "upper": return .string(text.uppercased())
            case "lower": return .string(text.lowercased())
            case "capitalize": return .string(TemplateText.capitalize(text))
            default: return .string(TemplateText.jinjaTitle(text))
            }
        case "replace":
            let old = string(try parameters.required("old"))
            let new = string(try parameters.required("new"))
            let count = parameters.optional("count")?.integerValue ?? -1
            try parameters.finish()
            return .string(try TemplateText.replace(string(value), old, new, count: count, maxBytes: limits.maxOutputBytes))
        case "default", "d":
            let fallback = parameters.optional("default_value") ?? .string("")
            let boolean = parameters.optional("boolean")?.isTruthy ?? false
            try parameters.finish()
            if value.isUndefined || (boolean && !value.isTruthy) { return fallback }
            return value
        case "indent":
            // jinja2 appends "\n" to the value itself, so anything but a string fails as Python's += does.
            switch value {
            case .string: break
            case .undefined(let hint): throw EvaluationFailure(.undefined, hint)
            case .list: throw EvaluationFailure(.type, "'list' object has no attribute 'splitlines'")
            default: throw EvaluationFailure(.type, "unsupported operand type(s) for +=: '\(value.typeName)' and 'str'")
            }
            let width = parameters.optional("width") ?? .int(4)
            let first = parameters.optional("first")?.isTruthy ?? false
            let blank = parameters.optional("blank")?.isTruthy ?? false
            try parameters.finish()
            let prefix: String
            if case .string(let text) = width {
                prefix = text
            } else {
                // Checked before the prefix itself is built: `indent(10**15)` must not allocate a petabyte.
                let spaces = max(width.integerValue ?? 4, 0)
                try TemplateText.checkSize(spaces, limits.maxOutputBytes)
                prefix = String(repeating: " ", count: spaces)
            }
            // Every line gets the prefix: a long prefix on many short lines multiplies the size.
            let text = string(value)
            let lines = text.utf8.reduce(1) { $0 + ($1 == 0x0A ? 1 : 0) }
            let (prefixBytes, overflow) = prefix.utf8.count.multipliedReportingOverflow(by: lines)
            try TemplateText.checkSize(overflow ? Int.max : text.utf8.count + prefixBytes, limits.maxOutputBytes)
            return .string(TemplateText.indent(text, by: prefix, first: first, blank: blank))
        case "wordcount":
            try parameters.finish()
            var count = 0
            var inWord = false
            for scalar in string(value).unicodeScalars {
                let isWord = scalar == "_" || scalar.properties.isAlphabetic || scalar.properties.numericType != nil
                if isWord, !inWord { count += 1 }
                inWord = isWord
            }
            return .int(count)
        case "int":
            // Python's int() calls Undefined.__int__, which raises.
            if let failure = TemplateOperators.undefinedFailure(value) { throw failure }
            let fallback = parameters.optional("default") ?? .int(0)
            let base = parameters.optional("base")?.integerValue ?? 10
            try parameters.finish()
            return Self.toInt(value, base: base) ?? fallback
        case "float":
            if let failure = TemplateOperators.undefinedFailure(value) { throw failure }
            let fallback = parameters.optional("default") ?? .double(0)
            try parameters.finish()
            return Self.toFloat(value) ?? fallback
        case "abs":
            try parameters.finish()
            switch value {
            case .int(let number):
                guard number != .min else { throw EvaluationFailure(.type, "integer overflow") }
                return .int(abs(number))
            case .bool(let flag): return .int(flag ? 1 : 0)
            case .double(let number): return .double(abs(number))
            default: throw EvaluationFailure(.type, "bad operand type for abs(): '\(value.typeName)'")
            }
        case "round":
            let precision = parameters.optional("precision")?.integerValue ?? 0
            let method = parameters.optional("method").map { string($0) } ?? "common"
            try parameters.finish()
            return try Self.round(value, precision: precision, method: method)
        case "first", "last":
            try parameters.finish()
            let elements = try iterate(value)
            if name == "last", case .iterator = value { throw EvaluationFailure(.type, "'generator' object is not reversible") }
            guard let element = name == "first" ? elements.first : elements.last else {
                return .undefined(hint: "No \(name) item, sequence was empty.")
            }
            return element
        case "list":
            try parameters.finish()
            return .list(try iterate(value))
        case "reverse":
            try parameters.finish()
            if case .string(let text) = value { return .string(String(String.UnicodeScalarView(text.unicodeScalars.reversed()))) }
            guard let elements = try? iterate(value) else { throw EvaluationFailure(.type, "argument must be iterable") }
            return .iterator(elements.reversed())
        case "items":
            try parameters.finish()
            switch value {
            case .undefined: return .iterator([])
            case .dict(let dict): return .iterator(dict.itemTuples)
            default: throw EvaluationFailure(.type, "Can only get item pairs from a mapping.")
            }
        case "format":
            // jinja2: `soft_str(value) % (kwargs or args)`.
            guard parameters.positional.isEmpty || parameters.keywords.isEmpty else {
                throw EvaluationFailure(.type, "can't handle positional and keyword arguments at the same time")
            }
            var mapping = TemplateDict()
            for (key, member) in parameters.keywords { mapping[key] = member }
            let arguments: TemplateValue = parameters.keywords.isEmpty ? .tuple(parameters.positional) : .dict(mapping)
            return .string(try percentFormat(string(value), arguments))
        case "attr":
            let attributeName = string(try parameters.required("name"))
            try parameters.finish()
            return try attribute(attributeName, of: value)
        default:
            return try collectionFilter(name, value, &parameters)
        }
    }

    static func toInt(_ value: TemplateValue, base: Int) -> TemplateValue? {
        switch value {
        case .int, .bool: return value.integerValue.map { .int($0) }
        case .double(let number):
            guard number.isFinite, let truncated = Int(exactly: number.rounded(.towardZero)) else { return nil }
            return .int(truncated)
        case .string(let text):
            let trimmed = TemplateMethods.strip(text, nil, leading: true, trailing: true).replacingOccurrences(of: "_", with: "")
            if let number = Int(trimmed, radix: base) { return .int(number) }
            var digits = trimmed.lowercased()
            for prefix in ["0x", "0o", "0b"] where base == 16 && prefix == "0x" || base == 8 && prefix == "0o" || base == 2 && prefix == "0b" {
                if digits.hasPrefix(prefix) { digits.removeFirst(2) }
            }
            if let number = Int(digits, radix: base) { return .int(number) }
            // jinja2 falls back to int(float(value)).
            if base == 10, let number = Double(trimmed), number.isFinite, let truncated = Int(exactly: number.rounded(.towardZero)) {
                return .int(truncated)
            }
            return nil
        default:
            return nil
        }
    }

    static func toFloat(_ value: TemplateValue) -> TemplateValue? {
        switch value {
        case .int, .bool, .double: return value.numericValue.map { .double($0) }
        case .string(let text):
            let trimmed = TemplateMethods.strip(text, nil, leading: true, trailing: true).lowercased()
            switch trimmed {
            case "inf", "+inf", "infinity", "+infinity": return .double(.infinity)
            case "-inf", "-infinity": return .double(-.infinity)
            case "nan", "+nan", "-nan": return .double(.nan)
            default: return Double(trimmed.replacingOccurrences(of: "_", with: "")).map { .double($0) }
            }
        default:
            return nil
        }
    }

    /// jinja2's `round`: `common` is Python's `round` (half to even), `ceil`/`floor` always give a float.
    static func round(_ value: TemplateValue, precision: Int, method: String) throws(EvaluationFailure) -> TemplateValue {
        guard let number = value.numericValue else {
            throw EvaluationFailure(.type, "type \(value.typeName) doesn't define __round__ method")
        }
        let scale = pow(10.0, Double(precision))
        switch method {
        case "common":
            if let integer = value.integerValue, precision >= 0 { return .int(integer) }
            if precision == 0 { return .double(number.rounded(.toNearestOrEven)) }
            // Python rounds the exact decimal value; scaling first is exact for the usual small precisions.
            return .double((number * scale).rounded(.toNearestOrEven) / scale)
        case "ceil": return .double((number * scale).rounded(.up) / scale)
        case "floor": return .double((number * scale).rounded(.down) / scale)
        default: throw EvaluationFailure(.type, "method must be common, ceil or floor")
        }
    }
}
