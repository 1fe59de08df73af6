import Foundation
import SmolCore

extension JSONSchemaCompiler {
    /// Compiles `schema`, found at `path`.
    mutating func compile(_ schema: JSONValue, at path: String) throws(ModelError) -> Int32 {
        let object: JSONObject
        switch schema {
        case .bool(true): return freeValue()
        case .bool(false): throw Self.fail(path, "the schema `false` admits no value")
        case .object(let o): object = o
        default: throw Self.fail(path, "a schema must be an object or a boolean, got \(schema.typeName)")
        }
        for key in object.keys where !Self.annotations.contains(key) && !Self.structural.contains(key) {
            throw Self.fail("\(path).\(key)", "unsupported JSON schema keyword \"\(key)\"")
        }
        let constraints = object.keys.filter { Self.structural.contains($0) }
        if case .string(let reference)? = object["$ref"] {
            if let other = constraints.first(where: { $0 != "$ref" }) {
                throw Self.fail("\(path).\(other)", "\"\(other)\" beside \"$ref\" is not supported")
            }
            return try resolve(reference, at: "\(path).$ref")
        } else if object["$ref"] != nil {
            throw Self.fail("\(path).$ref", "\"$ref\" must be a string")
        }
        // OpenAPI's `nullable` is accepted but adds nothing: JSON Schema validators ignore it, so `null` is
        // written only where `type` allows it, and the output is valid under both readings.
        let types = try typeList(object, at: path)
        if object["enum"] != nil || object["const"] != nil {
            return try enumNode(object, types: types, at: path)
        }
        for combinator in ["anyOf", "oneOf"] {
            guard let value = object[combinator] else { continue }
            if let other = constraints.first(where: { $0 != combinator && $0 != "nullable" }) {
                throw Self.fail("\(path).\(other)", "\"\(other)\" beside \"\(combinator)\" is not supported")
            }
            guard case .array(let branches) = value, !branches.isEmpty else {
                throw Self.fail("\(path).\(combinator)", "\"\(combinator)\" must be a non-empty array")
            }
            var alternatives: [Int32] = []
            for (i, branch) in branches.enumerated() {
                alternatives.append(try compile(branch, at: "\(path).\(combinator)[\(i)]"))
            }
            return try union(alternatives, exclusive: combinator == "oneOf", at: "\(path).\(combinator)")
        }
        if let value = object["allOf"] {
            guard case .array(let branches) = value, branches.count == 1, constraints.count == 1 else {
                throw Self.fail("\(path).allOf", "\"allOf\" is supported only with a single schema and nothing beside it")
            }
            return try compile(branches[0], at: "\(path).allOf[0]")
        }
        let resolvedTypes = types ?? inferredTypes(object)
        guard let resolved = resolvedTypes else { return freeValue() }
        if resolved.count == 1 { return try typed(object, resolved[0], at: path) }
        var alternatives: [Int32] = []
        for type in resolved { alternatives.append(try typed(object, type, at: path)) }
        return try union(alternatives, exclusive: false, at: "\(path).type")
    }

    private func typeList(_ object: JSONObject, at path: String) throws(ModelError) -> [String]? {
        switch object["type"] {
        case nil: return nil
        case .string(let name)?: return [name]
        case .array(let names)?:
            var list: [String] = []
            for name in names {
                guard case .string(let s) = name else { throw Self.fail("\(path).type", "\"type\" lists must hold strings") }
                if !list.contains(s) { list.append(s) }
            }
            guard !list.isEmpty else { throw Self.fail("\(path).type", "an empty \"type\" list admits no value") }
            return list
        default:
            throw Self.fail("\(path).type", "\"type\" must be a string or a list of strings")
        }
    }

    /// The type a schema without `type` describes, from its keywords; `nil` for any value.
    private func inferredTypes(_ object: JSONObject) -> [String]? {
        var types: [String] = []
        if ["properties", "required", "additionalProperties"].contains(where: { object[$0] != nil }) { types.append("object") }
        if ["items", "minItems", "maxItems"].contains(where: { object[$0] != nil }) { types.append("array") }
        if ["minLength", "maxLength", "format"].contains(where: { object[$0] != nil }) { types.append("string") }
        if ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"].contains(where: { object[$0] != nil }) {
            types.append("number")
        }
        return types.isEmpty ? nil : types
    }

    private mutating func resolve(_ reference: String, at path: String) throws(ModelError) -> Int32 {
        if let cached = refCache[reference] { return cached }
        guard reference.hasPrefix("#/") else {
            throw Self.fail(path, "only local references (\"#/$defs/…\") are supported, got \"\(reference)\"")
        }
        guard !refsInProgress.contains(reference) else {
            throw Self.fail(path, "recursive \"$ref\" (\(reference)) is not supported")
        }
        var target = document
        for raw in reference.dropFirst(2).split(separator: "/", omittingEmptySubsequences: false) {
            let part = raw.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            if case .object(let o) = target, let next = o[part] {
                target = next
            } else if case .array(let a) = target, let i = Int(part), a.indices.contains(i) {
                target = a[i]
            } else {
                throw Self.fail(path, "\"$ref\" \"\(reference)\" points at nothing")
            }
        }
        refsInProgress.append(reference)
        let node = try compile(target, at: String(reference.dropFirst(2)).replacingOccurrences(of: "/", with: "."))
        refsInProgress.removeLast()
        refCache[reference] = node
        return node
    }

    private func jsonType(of value: JSONValue) -> [String] {
        switch value {
        case .null: return ["null"]
        case .bool: return ["boolean"]
        case .int: return ["integer", "number"]
        case .double(let d): return d.rounded() == d ? ["integer", "number"] : ["number"]
        case .string: return ["string"]
        case .array: return ["array"]
        case .object: return ["object"]
        }
    }

    private mutating func enumNode(_ object: JSONObject, types: [String]?, at path: String) throws(ModelError) -> Int32 {
        var values: [JSONValue] = []
        if let constant = object["const"] { values.append(constant) }
        if let list = object["enum"] {
            guard case .array(let items) = list else { throw Self.fail("\(path).enum", "\"enum\" must be an array") }
            values += object["const"] == nil ? items : items.filter { $0 == object["const"]! }
        }
        if let types { values = values.filter { jsonType(of: $0).contains(where: types.contains) } }
        guard !values.isEmpty else { throw Self.fail(path, "\"enum\"/\"const\" admit no value of the allowed types") }
        return literalNode(values.map { JSONEmitter().bytes(from: $0) })
    }

    private mutating func typed(_ object: JSONObject, _ type: String, at path: String) throws(ModelError) -> Int32 {
        switch type {
        case "null": return literalNode([Array("null".utf8)])
        case "boolean": return literalNode([Array("false".utf8), Array("true".utf8)])
        case "string": return try stringNode(object, at: path)
        case "integer", "number": return try numberNode(object, integer: type == "integer", at: path)
        case "array": return try arrayNode(object, at: path)
        case "object": return try objectSchema(object, at: path)
        default: throw Self.fail("\(path).type", "unsupported type \"\(type)\"")
        }
    }

    private func count(_ object: JSONObject, _ key: String, at path: String) throws(ModelError) -> Int64? {
        guard let value = object[key] else { return nil }
        guard let number = value.doubleValue, number >= 0, number.rounded() == number, number < 1e15 else {
            throw Self.fail("\(path).\(key)", "\"\(key)\" must be a non-negative integer")
        }
        return Int64(number)
    }

    private mutating func stringNode(_ object: JSONObject, at path: String) throws(ModelError) -> Int32 {
        var node = GrammarNode(kind: .string)
        node.minimum = try count(object, "minLength", at: path) ?? 0
        node.maximum = try count(object, "maxLength", at: path) ?? .max
        guard node.minimum <= node.maximum else { throw Self.fail(path, "\"minLength\" exceeds \"maxLength\"") }
        if let format = object["format"] {
            guard case .string(let name) = format, let parsed = StringFormat(name: name) else {
                throw Self.fail("\(path).format", "unsupported string format \(format) (supported: \(StringFormat.supportedNames.joined(separator: ", ")))")
            }
            if object["minLength"] != nil || object["maxLength"] != nil {
                throw Self.fail("\(path).format", "\"format\" together with \"minLength\"/\"maxLength\" is not supported")
            }
            node.format = parsed
        }
        if node.minimum == 0, node.maximum == .max, node.format == .none { return freeString() }
        return add(node)
    }

    private mutating func numberNode(_ object: JSONObject, integer: Bool, at path: String) throws(ModelError) -> Int32 {
        var lower = -Double.infinity, upper = Double.infinity
        var low = -Self.digitLimit, high = Self.digitLimit
        for key in ["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"] {
            guard let value = object[key] else { continue }
            guard let bound = value.doubleValue, bound.isFinite else {
                throw Self.fail("\(path).\(key)", "\"\(key)\" must be a number (the draft-4 boolean form is not supported)")
            }
            let clamped = min(max(bound, -1e18), 1e18)
            switch key {
            case "minimum": lower = max(lower, bound); low = max(low, Int64(clamped.rounded(.up)))
            case "exclusiveMinimum": lower = max(lower, bound); low = max(low, Int64(clamped.rounded(.down)) + 1)
            case "maximum": upper = min(upper, bound); high = min(high, Int64(clamped.rounded(.down)))
            default: upper = min(upper, bound); high = min(high, Int64(clamped.rounded(.up)) - 1)
            }
        }
        guard low <= high else {
            throw Self.fail(path, "the bounds admit no \(integer ? "integer" : "integer-valued number"); constrained generation writes numbers whose integer part is within the bounds")
        }
        return add(GrammarNode(kind: integer ? .integer : .number, minimum: low, maximum: high,
                               lowerBound: lower, upperBound: upper))
    }

    private mutating func arrayNode(_ object: JSONObject, at path: String) throws(ModelError) -> Int32 {
        let minimum = try count(object, "minItems", at: path) ?? 0
        let maximum = try count(object, "maxItems", at: path) ?? .max
        guard minimum <= maximum else { throw Self.fail(path, "\"minItems\" exceeds \"maxItems\"") }
        if let unique = object["uniqueItems"], unique != .bool(false), maximum > 1 {
            throw Self.fail("\(path).uniqueItems", "\"uniqueItems\" is not supported")
        }
        let items: Int32
        switch object["items"] {
        case nil: items = freeValue()
        case .array?: throw Self.fail("\(path).items", "tuple \"items\" (an array of schemas) is not supported")
        case let schema?: items = try compile(schema, at: "\(path).items")
        }
        return add(GrammarNode(kind: .array, first: items, minimum: minimum, maximum: maximum))
    }

    private mutating func objectSchema(_ object: JSONObject, at path: String) throws(ModelError) -> Int32 {
        var declared: JSONObject = [:]
        switch object["properties"] {
        case nil: break
        case .object(let o)?: declared = o
        default: throw Self.fail("\(path).properties", "\"properties\" must be an object")
        }
        var required: [String] = []
        if let list = object["required"] {
            guard case .array(let names) = list, let strings = Optional(names.compactMap(\.stringValue)),
                  strings.count == names.count
            else { throw Self.fail("\(path).required", "\"required\" must be an array of strings") }
            required = strings
        }
        let additional = object["additionalProperties"] ?? .bool(true)
        if case .bool = additional {} else if case .object = additional {} else {
            throw Self.fail("\(path).additionalProperties", "\"additionalProperties\" must be a boolean or a schema")
        }
        if declared.isEmpty && required.isEmpty && additional != .bool(false) {
            let value: Int32
            if additional == .bool(true) {
                value = freeValue()
            } else {
                value = try compile(additional, at: "\(path).additionalProperties")
            }
            return add(GrammarNode(kind: .map, first: freeString(), second: value))
        }
        var keys: [String] = []
        var values: [Int32] = []
        for (key, schema) in declared {
            keys.append(key)
            values.append(try compile(schema, at: "\(path).properties.\(key)"))
        }
        for name in required where declared[name] == nil {
            guard additional != .bool(false) else {
                throw Self.fail("\(path).required", "required property \"\(name)\" is not allowed by \"additionalProperties\": false")
            }
            keys.append(name)
            if additional == .bool(true) {
                values.append(freeValue())
            } else {
                values.append(try compile(additional, at: "\(path).additionalProperties"))
            }
        }
        return try objectNode(keys: keys, values: values, required: Set(required), path: path)
    }
}
