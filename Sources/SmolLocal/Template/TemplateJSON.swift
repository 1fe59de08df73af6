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

    /// How many values `document` holds and how deeply they nest, for sizing indented output.
    static func shape(_ document: JSONValue) -> (count: Int, depth: Int) {
        var count = 0, deepest = 0
        var pending: [(JSONValue, Int)] = [(document, 1)]
        while let (value, depth) = pending.popLast() {
            count += 1
            deepest = max(deepest, depth)
            switch value {
            case .array(let elements): pending.append(contentsOf: elements.map { ($0, depth + 1) })
            case .object(let members): for (_, member) in members { pending.append((member, depth + 1)) }
            default: break
            }
        }
        return (count, deepest)
    }

    /// Refuses output that would pass `maxBytes` because every value gets a line indented `depth` times
    /// `width` bytes and a separator of `separatorBytes`: `tojson(indent=10**9)` must not build a gigabyte.
    static func checkIndentedSize(count: Int, depth: Int, width: Int, separatorBytes: Int, maxBytes: Int)
        throws(EvaluationFailure)
    {
        let (indentation, o1) = depth.multipliedReportingOverflow(by: width)
        let (perValue, o2) = indentation.addingReportingOverflow(separatorBytes)
        let (total, o3) = count.multipliedReportingOverflow(by: perValue)
        try TemplateText.checkSize(o1 || o2 || o3 ? Int.max : total, maxBytes)
    }

    static func dumps(_ value: TemplateValue, ensureASCII: Bool, indent: TemplateValue, separators: TemplateValue,
                      sortKeys: Bool, maxBytes: Int) throws(EvaluationFailure) -> String
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
            // Checked before the indent string itself is built: the width alone may be absurd.
            try TemplateText.checkSize(width, maxBytes)
            indentText = String(repeating: " ", count: max(width, 0))
        }
        let (count, depth) = shape(document)
        try checkIndentedSize(count: count, depth: depth, width: indentText?.utf8.count ?? 0, separatorBytes: 0, maxBytes: maxBytes)
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
        try checkIndentedSize(count: count, depth: depth, width: indentText?.utf8.count ?? 0,
                              separatorBytes: itemSeparator.utf8.count + keySeparator.utf8.count, maxBytes: maxBytes)
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
