import SmolCore

/// A value while a template renders: Python's types as jinja2 sees them.
///
/// Lists and tuples are kept apart because Python prints them differently (`[1]` and `(1,)`);
/// `int` and `float` are kept apart because `1` and `1.0` print differently. A namespace is a handle
/// into the renderer's namespace store, since `{% set ns.x = … %}` mutates it in place for every holder.
enum TemplateValue: Sendable {
    /// jinja2's `Undefined`; the hint is the message jinja2 raises when it is used wrongly.
    case undefined(hint: String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([TemplateValue])
    case tuple([TemplateValue])
    case dict(TemplateDict)
    /// A `namespace(...)` object: an index into the renderer's namespace store.
    case namespace(Int)
    /// The `loop` variable of a `for` loop.
    case loop(LoopState)
    /// A global function, a macro or a method bound to its receiver.
    case function(TemplateFunction)
    /// A one-shot Python iterator, as jinja2's `map`, `select`, `reject`, `unique`, `items` and `reverse`
    /// filters return: iterable, always true, but without `len`, indexing or a JSON form.
    case iterator([TemplateValue])

    static func undefinedName(_ name: String) -> TemplateValue {
        .undefined(hint: "'\(name)' is undefined")
    }
}

/// The state behind a `loop` variable.
struct LoopState: Sendable {
    var index0: Int
    var items: [TemplateValue]
    var depth0: Int
    var length: Int { items.count }
}

/// Something a template can call.
indirect enum TemplateFunction: Sendable {
    /// A global such as `range` or `raise_exception`.
    case builtin(String)
    /// A `{% macro %}`.
    case macro(MacroDefinition)
    /// A method looked up on a value and not yet called, like `message.content.strip`.
    case method(receiver: TemplateValue, name: String)
    /// `loop.cycle` bound to its loop.
    case loopCycle(LoopState)
}

extension TemplateValue {
    /// Builds the template view of a JSON value, refusing values nested deeper than `limit` (deeper values
    /// could exhaust the stack when printed, compared or released).
    static func converting(_ json: JSONValue, limit: Int, depth: Int = 0) throws(EvaluationFailure) -> TemplateValue {
        switch json {
        case .null: return .none
        case .bool(let value): return .bool(value)
        case .int(let value): return .int(value)
        case .double(let value): return .double(value)
        case .string(let value): return .string(value)
        case .array(let elements):
            guard depth < limit else { throw nestingFailure(limit) }
            var values: [TemplateValue] = []
            values.reserveCapacity(elements.count)
            for element in elements { values.append(try converting(element, limit: limit, depth: depth + 1)) }
            return .list(values)
        case .object(let object):
            guard depth < limit else { throw nestingFailure(limit) }
            var dict = TemplateDict()
            dict.reserveCapacity(object.count)
            for (key, value) in object { dict[key] = try converting(value, limit: limit, depth: depth + 1) }
            return .dict(dict)
        }
    }

    static func nestingFailure(_ limit: Int) -> EvaluationFailure {
        EvaluationFailure(.limitExceeded(.nestingDepth), "a value nests lists or dicts deeper than \(limit) levels")
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    var isNone: Bool {
        if case .none = self { return true }
        return false
    }

    /// Python's truthiness (`Undefined` is false).
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let value): return value
        case .int(let value): return value != 0
        case .double(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .list(let elements), .tuple(let elements): return !elements.isEmpty
        case .dict(let dict): return !dict.isEmpty
        case .namespace, .loop, .function, .iterator: return true
        }
    }

    /// Python's type name, as used in jinja2 and Python error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "str"
        case .list: return "list"
        case .tuple: return "tuple"
        case .dict: return "dict"
        case .namespace: return "Namespace"
        case .loop: return "LoopContext"
        case .function: return "function"
        case .iterator: return "generator"
        }
    }

    /// The number as a Double, for `int`, `float` and `bool` (Python's `bool` is an `int`).
    var numericValue: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .bool(let value): return value ? 1 : 0
        default: return nil
        }
    }

    /// The integer for `int` and `bool`.
    var integerValue: Int? {
        switch self {
        case .int(let value): return value
        case .bool(let value): return value ? 1 : 0
        default: return nil
        }
    }
}
