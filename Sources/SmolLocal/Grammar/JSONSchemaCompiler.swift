import SmolCore

/// Compiles JSON schemas into a ``JSONGrammar``, or says up front which keyword at which path it cannot
/// honour (``/SmolCore/ModelError/invalidInput(message:location:)`` with the JSON path as location).
///
/// Supported: `type` (a name or a list), `nullable` (accepted; `null` is written only where `type` allows
/// it, since JSON Schema validators ignore `nullable`), `enum`, `const`, `properties`, `required`,
/// `additionalProperties` (boolean or schema), `items` (one schema), `minItems`, `maxItems`,
/// `uniqueItems: false`, `minLength`, `maxLength`, `format` (see ``StringFormat``), `minimum`, `maximum`,
/// `exclusiveMinimum`, `exclusiveMaximum` (numbers), `anyOf` / `oneOf` whose alternatives start with
/// different bytes (different JSON types, distinct literals) or are objects told apart by a const first
/// property, `allOf` with one schema, `$ref` to `#/$defs/…` or `#/definitions/…` (not recursive), and
/// annotations (`title`, `description`, `default`, `examples`, …), which are ignored.
///
/// The grammar generates a subset of the valid documents, chosen so that generation cannot get stuck:
/// properties in declaration order (declared ones only when `properties` is given), numbers without
/// exponents, at most one space between tokens.
struct JSONSchemaCompiler {
    static let annotations: Set<String> = [
        "title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly",
        "writeOnly", "$defs", "definitions", "discriminator", "$anchor",
    ]
    static let structural: Set<String> = [
        "type", "nullable", "enum", "const", "anyOf", "oneOf", "allOf", "$ref", "properties", "required",
        "additionalProperties", "items", "minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "format",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    ]
    /// How deeply free JSON (`{}`, `json_object`) may nest before only scalars are allowed.
    static let freeDepth = 8
    static let digitLimit: Int64 = 999_999_999_999_999_999

    var nodes: [GrammarNode] = []
    var properties: [GrammarProperty] = []
    var candidates: [UInt64] = []
    var literals: [[UInt8]] = []
    var dispatch: [Int32] = []
    var tagTargets: [Int32] = []
    /// The document `$ref`s resolve against.
    var document: JSONValue = .null {
        didSet { refCache.removeAll() }
    }
    var refCache: [String: Int32] = [:]
    var refsInProgress: [String] = []
    private var freeNodes: [Int32] = []
    private var freeStringNode: Int32 = -1

    func grammar(root: Int32, prefix: [UInt8] = [], suffix: [UInt8] = [], key: String) -> JSONGrammar {
        JSONGrammar(nodes: nodes, properties: properties, candidates: candidates, literals: literals,
                    dispatch: dispatch, tagTargets: tagTargets, root: root, prefix: prefix, suffix: suffix, key: key)
    }

    static func fail(_ path: String, _ message: String) -> ModelError {
        .invalidInput(message: "\(message) (at \(path))", location: path)
    }

    // MARK: - Building blocks

    mutating func add(_ node: GrammarNode) -> Int32 {
        nodes.append(node)
        return Int32(nodes.count - 1)
    }

    /// A literal set of the given byte strings (deduplicated, sorted).
    mutating func literalNode(_ values: [[UInt8]]) -> Int32 {
        let sorted = Array(Set(values)).sorted { $0.lexicographicallyPrecedes($1) }
        let first = Int32(literals.count)
        literals.append(contentsOf: sorted)
        return add(GrammarNode(kind: .literals, first: first, count: Int32(sorted.count)))
    }

    mutating func freeString() -> Int32 {
        if freeStringNode < 0 { freeStringNode = add(GrammarNode(kind: .string)) }
        return freeStringNode
    }

    /// Any JSON value, nesting at most `freeDepth` levels.
    mutating func freeValue() -> Int32 {
        if freeNodes.isEmpty {
            var below: Int32 = -1
            for level in 0...Self.freeDepth {
                var alternatives = [
                    freeString(),
                    add(GrammarNode(kind: .number, minimum: -Self.digitLimit, maximum: Self.digitLimit)),
                    literalNode([Array("true".utf8), Array("false".utf8), Array("null".utf8)]),
                ]
                if level > 0 {
                    alternatives.append(add(GrammarNode(kind: .map, first: freeString(), second: below)))
                    alternatives.append(add(GrammarNode(kind: .array, first: below)))
                }
                // Built without checks: the alternatives' first bytes are disjoint by construction.
                let offset = Int32(dispatch.count)
                dispatch.append(contentsOf: [Int32](repeating: -1, count: 256))
                for alternative in alternatives {
                    for b in firstBytes(alternative) { dispatch[Int(offset) + Int(b)] = alternative }
                }
                below = add(GrammarNode(kind: .union, first: offset))
                freeNodes.append(below)
            }
        }
        return freeNodes[freeNodes.count - 1]
    }

    /// An object with free keys and free values (`{"type": "json_object"}`).
    mutating func freeObject() -> Int32 {
        let value = freeValue()
        return add(GrammarNode(kind: .map, first: freeString(), second: value))
    }

    func firstBytes(_ index: Int32) -> [UInt8] {
        let node = nodes[Int(index)]
        switch node.kind {
        case .object, .map, .tagged: return [0x7B]
        case .array: return [0x5B]
        case .string: return [0x22]
        case .number, .integer: return (node.minimum < 0 ? [UInt8(0x2D)] : []) + Array(UInt8(0x30)...UInt8(0x39))
        case .literals: return Array(Set(literals[Int(node.first)..<Int(node.first + node.count)].map { $0[0] })).sorted()
        case .union: return (0..<256).filter { dispatch[Int(node.first) + $0] >= 0 }.map { UInt8($0) }
        }
    }

    /// An object of declared properties, generated in order; `required` names among `keys`.
    mutating func objectNode(keys: [String], values: [Int32], required: Set<String>, path: String) throws(ModelError) -> Int32 {
        guard keys.count <= 64 else { throw Self.fail(path, "objects with more than 64 properties are not supported") }
        let first = Int32(properties.count)
        var requiredMask: UInt64 = 0
        for (i, key) in keys.enumerated() {
            properties.append(GrammarProperty(key: JSONEmitter().bytes(from: .string(key)), value: values[i]))
            if required.contains(key) { requiredMask |= 1 << UInt64(i) }
        }
        let candidateOffset = Int32(candidates.count)
        for after in 0...keys.count {
            var mask: UInt64 = 0
            var j = after
            while j < keys.count {
                mask |= 1 << UInt64(j)
                if requiredMask & (1 << UInt64(j)) != 0 { break }
                j += 1
            }
            candidates.append(mask)
        }
        return add(GrammarNode(kind: .object, first: first, second: candidateOffset, count: Int32(keys.count),
                               requiredMask: requiredMask))
    }
}
