import Foundation

/// Python's operators on template values: `+ - * / // % **`, comparisons and `in`.
enum TemplateOperators {
    static func undefinedFailure(_ value: TemplateValue) -> EvaluationFailure? {
        if case .undefined(let hint) = value { return EvaluationFailure(.undefined, hint) }
        return nil
    }

    static func unsupported(_ op: String, _ lhs: TemplateValue, _ rhs: TemplateValue) -> EvaluationFailure {
        EvaluationFailure(.type, "unsupported operand type(s) for \(op): '\(lhs.typeName)' and '\(rhs.typeName)'")
    }

    static func negate(_ value: TemplateValue) throws(EvaluationFailure) -> TemplateValue {
        if let failure = undefinedFailure(value) { throw failure }
        switch value {
        case .int(let number):
            guard number != .min else { throw EvaluationFailure(.type, "integer overflow") }
            return .int(-number)
        case .bool(let flag): return .int(flag ? -1 : 0)
        case .double(let number): return .double(-number)
        default: throw EvaluationFailure(.type, "bad operand type for unary -: '\(value.typeName)'")
        }
    }

    static func positive(_ value: TemplateValue) throws(EvaluationFailure) -> TemplateValue {
        if let failure = undefinedFailure(value) { throw failure }
        switch value {
        case .int, .double: return value
        case .bool(let flag): return .int(flag ? 1 : 0)
        default: throw EvaluationFailure(.type, "bad operand type for unary +: '\(value.typeName)'")
        }
    }

    static func apply(_ op: BinaryOperator, _ lhs: TemplateValue, _ rhs: TemplateValue, limits: TemplateLimits)
        throws(EvaluationFailure) -> TemplateValue
    {
        if let failure = undefinedFailure(lhs) ?? undefinedFailure(rhs) { throw failure }
        if let a = lhs.integerValue, let b = rhs.integerValue { return try integer(op, a, b) }
        if let a = lhs.numericValue, let b = rhs.numericValue { return try float(op, a, b) }
        switch (op, lhs, rhs) {
        case (.add, .string(let a), .string(let b)):
            try checkSize(a.utf8.count + b.utf8.count, limits)
            return .string(a + b)
        case (.add, .list(let a), .list(let b)):
            try checkLength(a.count + b.count, limits)
            return .list(a + b)
        case (.add, .tuple(let a), .tuple(let b)):
            try checkLength(a.count + b.count, limits)
            return .tuple(a + b)
        case (.add, .string, _):
            throw EvaluationFailure(.type, "can only concatenate str (not \"\(rhs.typeName)\") to str")
        case (.add, .list, _):
            throw EvaluationFailure(.type, "can only concatenate list (not \"\(rhs.typeName)\") to list")
        case (.multiply, .string(let text), _), (.multiply, _, .string(let text)):
            guard let count = (lhs.integerValue ?? rhs.integerValue) else { break }
            try checkSize(text.utf8.count * max(count, 0), limits)
            return .string(count > 0 ? String(repeating: text, count: count) : "")
        case (.multiply, .list(let elements), _), (.multiply, _, .list(let elements)):
            guard let count = (lhs.integerValue ?? rhs.integerValue) else { break }
            try checkLength(elements.count * max(count, 0), limits)
            return .list(count > 0 ? Array([[TemplateValue]](repeating: elements, count: count).joined()) : [])
        default:
            break
        }
        throw unsupported(op.rawValue, lhs, rhs)
    }

    private static func checkSize(_ bytes: Int, _ limits: TemplateLimits) throws(EvaluationFailure) {
        guard bytes <= limits.maxOutputBytes else {
            throw EvaluationFailure(.limitExceeded(.outputSize), "string would be larger than \(limits.maxOutputBytes) bytes")
        }
    }

    static func checkLength(_ count: Int, _ limits: TemplateLimits) throws(EvaluationFailure) {
        guard count <= limits.maxCollectionLength else {
            throw EvaluationFailure(
                .limitExceeded(.collectionLength), "list would have more than \(limits.maxCollectionLength) elements")
        }
    }

    private static func overflow() -> EvaluationFailure {
        EvaluationFailure(.type, "integer result does not fit in 64 bits")
    }

    private static func integer(_ op: BinaryOperator, _ a: Int, _ b: Int) throws(EvaluationFailure) -> TemplateValue {
        switch op {
        case .add:
            let (result, overflowed) = a.addingReportingOverflow(b)
            if overflowed { throw overflow() }
            return .int(result)
        case .subtract:
            let (result, overflowed) = a.subtractingReportingOverflow(b)
            if overflowed { throw overflow() }
            return .int(result)
        case .multiply:
            let (result, overflowed) = a.multipliedReportingOverflow(by: b)
            if overflowed { throw overflow() }
            return .int(result)
        case .divide:
            guard b != 0 else { throw EvaluationFailure(.type, "division by zero") }
            return .double(Double(a) / Double(b))
        case .floorDivide:
            guard b != 0 else { throw EvaluationFailure(.type, "integer division or modulo by zero") }
            guard !(a == .min && b == -1) else { throw overflow() }
            let quotient = a / b
            return .int((a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient)
        case .modulo:
            guard b != 0 else { throw EvaluationFailure(.type, "integer division or modulo by zero") }
            guard b != -1 else { return .int(0) }
            let remainder = a % b
            return .int(remainder != 0 && (remainder < 0) != (b < 0) ? remainder + b : remainder)
        case .power:
            if b < 0 {
                guard a != 0 else { throw EvaluationFailure(.type, "0.0 cannot be raised to a negative power") }
                return .double(pow(Double(a), Double(b)))
            }
            var result = 1, base = a, exponent = b
            while exponent > 0 {
                if exponent & 1 == 1 {
                    let (product, overflowed) = result.multipliedReportingOverflow(by: base)
                    if overflowed { throw overflow() }
                    result = product
                }
                exponent >>= 1
                if exponent > 0 {
                    let (square, overflowed) = base.multipliedReportingOverflow(by: base)
                    if overflowed { throw overflow() }
                    base = square
                }
            }
            return .int(result)
        }
    }

    private static func float(_ op: BinaryOperator, _ a: Double, _ b: Double) throws(EvaluationFailure) -> TemplateValue {
        switch op {
        case .add: return .double(a + b)
        case .subtract: return .double(a - b)
        case .multiply: return .double(a * b)
        case .divide:
            guard b != 0 else { throw EvaluationFailure(.type, "float division by zero") }
            return .double(a / b)
        case .floorDivide:
            guard b != 0 else { throw EvaluationFailure(.type, "float floor division by zero") }
            return .double((a / b).rounded(.down))
        case .modulo:
            guard b != 0 else { throw EvaluationFailure(.type, "float modulo") }
            let remainder = a.truncatingRemainder(dividingBy: b)
            // Python gives the result the divisor's sign, zero included (0 % -0.25 is -0.0).
            if remainder == 0 { return .double(b < 0 ? -0.0 : 0.0) }
            return .double((remainder < 0) != (b < 0) ? remainder + b : remainder)
        case .power:
            if a == 0, b < 0 { throw EvaluationFailure(.type, "0.0 cannot be raised to a negative power") }
            let result = pow(a, b)
            if result.isInfinite, a.isFinite, b.isFinite { throw EvaluationFailure(.type, "(34, 'Numerical result out of range')") }
            return .double(result)
        }
    }

    /// Python's `==`.
    static func equals(_ lhs: TemplateValue, _ rhs: TemplateValue) -> Bool {
        switch (lhs, rhs) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a.utf8.elementsEqual(b.utf8)
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            return a.count == b.count && zip(a, b).allSatisfy { equals($0, $1) }
        case (.dict(let a), .dict(let b)):
            guard a.count == b.count else { return false }
            for (position, key) in a.keys.enumerated() {
                guard let other = b[key], equals(a.values[position], other) else { return false }
            }
            return true
        case (.namespace(let a), .namespace(let b)): return a == b
        default:
            if let a = lhs.integerValue, let b = rhs.integerValue { return a == b }
            if let a = lhs.numericValue, let b = rhs.numericValue { return a == b }
            return false
        }
    }

    static func compare(_ op: CompareOperator, _ lhs: TemplateValue, _ rhs: TemplateValue) throws(EvaluationFailure) -> Bool {
        switch op {
        case .equal: return equals(lhs, rhs)
        case .notEqual: return !equals(lhs, rhs)
        case .contains: return try contains(rhs, lhs)
        case .notContains: return try !contains(rhs, lhs)
        case .less: return try order(lhs, rhs, op) < 0
        case .lessOrEqual: return try order(lhs, rhs, op) <= 0
        case .greater: return try order(lhs, rhs, op) > 0
        case .greaterOrEqual: return try order(lhs, rhs, op) >= 0
        }
    }

    /// -1, 0 or 1 as Python orders the two values; a TypeError for unorderable types.
    static func order(_ lhs: TemplateValue, _ rhs: TemplateValue, _ op: CompareOperator) throws(EvaluationFailure) -> Int {
        if let a = lhs.integerValue, let b = rhs.integerValue { return a < b ? -1 : a == b ? 0 : 1 }
        if let a = lhs.numericValue, let b = rhs.numericValue {
            if a.isNaN || b.isNaN { return op == .less || op == .greater ? 0 : 2 }
            return a < b ? -1 : a == b ? 0 : 1
        }
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)):
            return a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars) ? -1 : a.utf8.elementsEqual(b.utf8) ? 0 : 1
        case (.list(let a), .list(let b)), (.tuple(let a), .tuple(let b)):
            for (x, y) in zip(a, b) where !equals(x, y) { return try order(x, y, op) }
            return a.count < b.count ? -1 : a.count == b.count ? 0 : 1
        default:
            if let failure = undefinedFailure(lhs) ?? undefinedFailure(rhs) { throw failure }
            throw EvaluationFailure(
                .type, "'\(op.rawValue)' not supported between instances of '\(lhs.typeName)' and '\(rhs.typeName)'")
        }
    }

    /// Python's `needle in container`.
    static func contains(_ container: TemplateValue, _ needle: TemplateValue) throws(EvaluationFailure) -> Bool {
        switch container {
        case .string(let text):
            guard case .string(let part) = needle else {
                throw EvaluationFailure(.type, "'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return part.isEmpty || text.utf8.firstRange(of: part.utf8) != nil
        case .list(let elements), .tuple(let elements), .iterator(let elements):
            return elements.contains { equals($0, needle) }
        case .dict(let dict):
            guard TemplateDict.isHashable(needle) else {
                throw EvaluationFailure(.type, "unhashable type: '\(needle.typeName)'")
            }
            return dict.position(of: needle) != nil
        case .undefined:
            return false
        default:
            throw EvaluationFailure(.type, "argument of type '\(container.typeName)' is not iterable")
        }
    }
}

