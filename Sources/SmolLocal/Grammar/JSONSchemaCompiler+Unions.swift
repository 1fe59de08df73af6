import SmolCore

extension JSONSchemaCompiler {
    /// One node for "any of these alternatives", deterministic on the value's first byte.
    ///
    /// Literal alternatives are merged into one set; a literal that an unconstrained string or number
    /// alternative also allows is dropped (for `anyOf` only: `oneOf` needs exactly one match); several
    /// object alternatives become a tagged union when they share a required first property with distinct
    /// constant values. Anything else that could start with the same byte is reported: telling such
    /// alternatives apart would need lookahead the token mask cannot afford.
    mutating func union(_ given: [Int32], exclusive: Bool, at path: String) throws(ModelError) -> Int32 {
        // Flatten nested unions into their concrete alternatives.
        var alternatives: [Int32] = []
        for node in given {
            if nodes[Int(node)].kind == .union {
                for target in Set((0..<256).map { dispatch[Int(nodes[Int(node)].first) + $0] }) where target >= 0 {
                    alternatives.append(target)
                }
            } else {
                alternatives.append(node)
            }
        }
        var unique: [Int32] = []
        for a in alternatives where !unique.contains(where: { nodes[Int($0)] == nodes[Int(a)] }) { unique.append(a) }
        if exclusive && unique.count < alternatives.count {
            throw Self.fail(path, "\"oneOf\" alternatives that accept the same values are not supported")
        }
        // Merge literal sets.
        var literalBytes: [[UInt8]] = []
        var others: [Int32] = []
        for a in unique {
            let node = nodes[Int(a)]
            if node.kind == .literals {
                for l in literals[Int(node.first)..<Int(node.first + node.count)] {
                    if exclusive && literalBytes.contains(l) {
                        throw Self.fail(path, "\"oneOf\" alternatives share the value \(String(decoding: l, as: UTF8.self))")
                    }
                    literalBytes.append(l)
                }
            } else {
                others.append(a)
            }
        }
        // Drop literals already allowed by an unconstrained string or number alternative.
        literalBytes.removeAll { literal in
            others.contains { subsumes($0, literal) } && !exclusive
        }
        if exclusive, let literal = literalBytes.first(where: { l in others.contains { subsumes($0, l) } }) {
            throw Self.fail(path, "\"oneOf\" alternatives overlap on \(String(decoding: literal, as: UTF8.self))")
        }
        // Several objects: a tagged union.
        let objects = others.filter { [.object, .map, .tagged].contains(nodes[Int($0)].kind) }
        if objects.count > 1 {
            let tagged = try taggedUnion(objects, at: path)
            others.removeAll { objects.contains($0) }
            others.append(tagged)
        }
        // An integer beside a number whose bounds contain it: the number alone (anyOf only).
        if !exclusive,
           let integer = others.first(where: { nodes[Int($0)].kind == .integer }),
           let number = others.first(where: { nodes[Int($0)].kind == .number }),
           nodes[Int(number)].minimum <= nodes[Int(integer)].minimum, nodes[Int(number)].maximum >= nodes[Int(integer)].maximum {
            others.removeAll { $0 == integer }
        }
        var parts = others
        if !literalBytes.isEmpty { parts.append(literalNode(literalBytes)) }
        if parts.count == 1 { return parts[0] }
        let offset = Int32(dispatch.count)
        dispatch.append(contentsOf: [Int32](repeating: -1, count: 256))
        for part in parts {
            for b in firstBytes(part) {
                let existing = dispatch[Int(offset) + Int(b)]
                guard existing < 0 else {
                    throw Self.fail(path, "alternatives \(describe(existing)) and \(describe(part)) can both start with \"\(String(decoding: [b], as: UTF8.self))\"; only alternatives of different JSON types, distinct constants, or objects told apart by a constant first property are supported")
                }
                dispatch[Int(offset) + Int(b)] = part
            }
        }
        return add(GrammarNode(kind: .union, first: offset))
    }

    private func describe(_ node: Int32) -> String {
        switch nodes[Int(node)].kind {
        case .object, .map, .tagged: return "object"
        case .array: return "array"
        case .string: return "string"
        case .number: return "number"
        case .integer: return "integer"
        case .literals: return "constant"
        case .union: return "union"
        }
    }

    /// Whether `node` allows every value, and in particular the literal `bytes`.
    private func subsumes(_ node: Int32, _ bytes: [UInt8]) -> Bool {
        let n = nodes[Int(node)]
        guard let first = bytes.first else { return false }
        switch n.kind {
        case .string:
            return first == 0x22 && n.minimum == 0 && n.maximum == .max && n.format == .none
        case .number, .integer:
            guard n.minimum == -Self.digitLimit, n.maximum == Self.digitLimit, first == 0x2D || (first >= 0x30 && first <= 0x39),
                  bytes.count <= 18, !bytes.contains(where: { $0 == 0x65 || $0 == 0x45 })
            else { return false }
            return n.kind == .number || !bytes.contains(0x2E)
        default:
            return false
        }
    }

    /// Object alternatives whose first declared property is the same required key holding constants.
    private mutating func taggedUnion(_ objects: [Int32], at path: String) throws(ModelError) -> Int32 {
        let failure = Self.fail(path, "several object alternatives are supported only when each declares the same required first property with distinct constant values (a tag such as {\"const\": \"a\"})")
        var tagKey: [UInt8]?
        var tagLiterals: [[UInt8]] = []
        var owners: [Int32] = []
        for object in objects {
            let node = nodes[Int(object)]
            guard node.kind == .object, node.count >= 1, node.requiredMask & 1 != 0 else { throw failure }
            let property = properties[Int(node.first)]
            guard tagKey == nil || tagKey == property.key else { throw failure }
            tagKey = property.key
            let value = nodes[Int(property.value)]
            guard value.kind == .literals else { throw failure }
            for literal in literals[Int(value.first)..<Int(value.first + value.count)] {
                guard !tagLiterals.contains(literal) else { throw failure }
                tagLiterals.append(literal)
                owners.append(object)
            }
        }
        let tag = literalNode(tagLiterals)
        let tagNode = nodes[Int(tag)]
        let first = Int32(tagTargets.count)
        for literal in literals[Int(tagNode.first)..<Int(tagNode.first + tagNode.count)] {
            tagTargets.append(owners[tagLiterals.firstIndex(of: literal)!])
        }
        return add(GrammarNode(kind: .tagged, first: first, second: tag, count: tagNode.count))
    }
}
