import SmolCore

/// transformers' `tojson` filter: `json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)`.
enum TemplateJSON {
    /// The value as JSON, or a TypeError for values `json.dumps` cannot serialize (undefined, namespaces).
    static func json(_ value: TemplateValue) throws(EvaluationFailure) -> JSONValue {
        switch value {
        case .none: return .null
        case .bool(let flag): return .bool(flag)
        case .int(let number): return .int(number)
        case .double(let number): return .double(number)
        case .string(let text): return .string(text)
        case .list(let elements), .tuple(let elements):
            var array: [JSONValue] = []
            array.reserveCapacity(elements.count)
            for element in elements { array.append(try json(element)) }
            return .array(array)
        case .dict(let dict):
            var object = JSONObject()
            object.reserveCapacity(dict.count)
            for position in 0..<dict.count { object[try jsonKey(dict.keys[position])] = try json(dict.values[position]) }
            return .object(object)
        default:
            throw EvaluationFailure(.type, "Object of type \(value.typeName) is not JSON serializable")
        }
    }

    /// `json.dumps` turns `int`, `float`, `bool` and `None` keys into strings and rejects the rest.
    private static func jsonKey(_ key: TemplateValue) throws(EvaluationFailure) -> String {
        switch key {
        case .string(let text): return text
        case .int(let number): return String(number)
        case .double(let number):
            return number.isNaN ? "NaN" : number.isInfinite ? (number < 0 ? "-Infinity" : "Infinity") : Python.repr(number)
        case .bool(let flag): return flag ? "true" : "false"
        case .none: return "null"
        default: throw EvaluationFailure(.type, "keys must be str, int, float, bool or None, not \(key.typeName)")
        }
    }

    static func dumps(_ value: TemplateValue, ensureASCII: Bool, indent: TemplateValue, separators: TemplateValue,
                      sortKeys: Bool) throws(EvaluationFailure) -> String
    {
        if case .undefined = value {
            throw EvaluationFailure(.type, "Object of type Undefined is not JSON serializable")
        }
        let document = try json(value)
        var indentText: String?
        switch indent {
        case .none: indentText = nil
        case .string(let text): indentText = text
        default:
            guard let width = indent.integerValue else {
                throw EvaluationFailure(.type, "indent must be an int, a string or None")
            }
            indentText = String(repeating: " ", count: max(width, 0))
        }
        if separators.isNone, indentText?.allSatisfy({ $0 == " " }) ?? true {
            // The common case goes through SmolCore's byte-exact json.dumps.
            return JSONEmitter(indent: indentText.map { $0.count }, ensureASCII: ensureASCII, sortKeys: sortKeys)
                .string(from: document)
        }
        var itemSeparator = indentText == nil ? ", " : ","
        var keySeparator = ": "
        if case .list(let pair) = separators, pair.count == 2, case .string(let item) = pair[0], case .string(let key) = pair[1] {
            itemSeparator = item
            keySeparator = key
        } else if case .tuple(let pair) = separators, pair.count == 2, case .string(let item) = pair[0],
            case .string(let key) = pair[1]
        {
            itemSeparator = item
            keySeparator = key
        } else if !separators.isNone {
            throw EvaluationFailure(.type, "separators must be a pair of strings")
        }
        var out = ""
        let scalarEmitter = JSONEmitter(ensureASCII: ensureASCII)
        func write(_ value: JSONValue, level: Int) {
            func newline(_ depth: Int) {
                guard let indentText else { return }
                out += "\n" + String(repeating: indentText, count: depth)
            }
            switch value {
            case .array(let elements):
                guard !elements.isEmpty else { out += "[]"; return }
                out += "["
                for (position, element) in elements.enumerated() {
                    if position > 0 { out += itemSeparator }
                    newline(level + 1)
                    write(element, level: level + 1)
                }
                newline(level)
                out += "]"
            case .object(let object):
                guard !object.isEmpty else { out += "{}"; return }
                out += "{"
                var members = Array(object)
                if sortKeys { members.sort { $0.key.unicodeScalars.lexicographicallyPrecedes($1.key.unicodeScalars) } }
                for (position, member) in members.enumerated() {
                    if position > 0 { out += itemSeparator }
                    newline(level + 1)
                    out += scalarEmitter.string(from: .string(member.key)) + keySeparator
                    write(member.value, level: level + 1)
                }
                newline(level)
                out += "}"
            default:
                out += scalarEmitter.string(from: value)
            }
        }
        write(document, level: 0)
        return out
    }
}
