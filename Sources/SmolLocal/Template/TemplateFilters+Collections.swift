extension TemplateRenderer {
    /// Filters over sequences: `join`, `map`, `select`/`reject`(`attr`), `sort`, `unique`, `dictsort`, `min`,
    /// `max`, `sum`.
    func collectionFilter(_ name: String, _ value: TemplateValue, _ parameters: inout ParameterReader)
        throws(EvaluationFailure) -> TemplateValue
    {
        switch name {
        case "join":
            let separator = parameters.optional("d").map { string($0) } ?? ""
            let attributeName = parameters.optional("attribute")
            try parameters.finish()
            var parts: [String] = []
            var bytes = 0
            for element in try iterate(value) {
                parts.append(string(try attributeName.map { a throws(EvaluationFailure) in try attributePath(a, of: element) } ?? element))
                // Sized before joining: a long separator between many parts can be far larger than the input.
                bytes += parts[parts.count - 1].utf8.count + (parts.count > 1 ? separator.utf8.count : 0)
                try TemplateText.checkSize(bytes, limits.maxOutputBytes)
            }
            return .string(parts.joined(separator: separator))
        case "map":
            // jinja2's map, select and reject skip a false input (`none|map(...)` is empty) and return generators.
            let elements = value.isTruthy ? try iterate(value) : []
            if let attributeName = parameters.keywords.first(where: { $0.0 == "attribute" })?.1 {
                let fallback = parameters.keywords.first(where: { $0.0 == "default" })?.1
                var mapped: [TemplateValue] = []
                for element in elements {
                    let member = try attributePath(attributeName, of: element)
                    mapped.append(member.isUndefined ? fallback ?? member : member)
                }
                return .iterator(mapped)
            }
            guard case .string(let filterName)? = parameters.positional.first else {
                throw EvaluationFailure(.type, "map requires a filter argument")
            }
            let rest = Array(parameters.positional.dropFirst())
            var mapped: [TemplateValue] = []
            for element in elements { mapped.append(try filter(filterName, element, rest, parameters.keywords)) }
            return .iterator(mapped)
        case "select", "reject", "selectattr", "rejectattr":
            let usesAttribute = name.hasSuffix("attr")
            var arguments = parameters.positional
            var attributeName: TemplateValue?
            if usesAttribute {
                guard !arguments.isEmpty else { throw EvaluationFailure(.type, "\(name) requires an attribute name") }
                attributeName = arguments.removeFirst()
            }
            var testName: String?
            if !arguments.isEmpty {
                guard case .string(let test) = arguments.removeFirst() else {
                    throw EvaluationFailure(.type, "\(name) test name must be a string")
                }
                testName = test
            }
            let keep = name.hasPrefix("select")
            var kept: [TemplateValue] = []
            for element in value.isTruthy ? try iterate(value) : [] {
                let subject = try attributeName.map { a throws(EvaluationFailure) in try attributePath(a, of: element) } ?? element
                let passes = try testName.map { t throws(EvaluationFailure) in try runTest(t, on: subject, arguments, parameters.keywords) }
                    ?? subject.isTruthy
                if passes == keep { kept.append(element) }
            }
            return .iterator(kept)
        case "sort", "unique", "min", "max":
            let reverse = name == "sort" ? parameters.optional("reverse")?.isTruthy ?? false : false
            let caseSensitive = parameters.optional("case_sensitive")?.isTruthy ?? false
            let attributeName = parameters.optional("attribute")
            try parameters.finish()
            let elements = try iterate(value)
            var keys: [TemplateValue] = []
            for element in elements {
                let key = try attributeName.map { a throws(EvaluationFailure) in try attributePath(a, of: element) } ?? element
                keys.append(caseSensitive ? key : Self.ignoringCase(key))
            }
            if name == "unique" {
                // Python puts the keys in a set.
                if let bad = keys.first(where: { switch $0 { case .list, .dict: return true; default: return false } }) {
                    throw EvaluationFailure(.type, "unhashable type: '\(bad.typeName)'")
                }
                var seen: [TemplateValue] = []
                var result: [TemplateValue] = []
                for (element, key) in zip(elements, keys) {
                    // The keys seen so far are compared one by one, each comparison walking at most this key:
                    // quadratic (and deep for nested keys), so every comparison is paid for.
                    let (steps, overflow) = TemplateWorkMeter.deepSize(key, cap: work.remaining).multipliedReportingOverflow(by: max(seen.count, 1))
                    try work.charge(overflow ? Int.max : steps)
                    guard !seen.contains(where: { TemplateOperators.equals($0, key) }) else { continue }
                    seen.append(key)
                    result.append(element)
                }
                return .iterator(result)
            }
            // A comparison sort: each key takes part in about log n comparisons, each walking at most the key.
            let rounds = Int.bitWidth - keys.count.leadingZeroBitCount
            for key in keys {
                let (steps, overflow) = TemplateWorkMeter.deepSize(key, cap: work.remaining).multipliedReportingOverflow(by: max(rounds, 1))
                try work.charge(overflow ? Int.max : steps)
            }
            let order = try Self.stableOrder(keys)
            if name == "min" { return order.first.map { elements[$0] } ?? .undefined(hint: "No aggregated item, sequence was empty.") }
            if name == "max" {
                // Python's max keeps the first of equal maxima.
                guard let last = order.last else { return .undefined(hint: "No aggregated item, sequence was empty.") }
                let firstEqual = order.first { TemplateOperators.equals(keys[$0], keys[last]) } ?? last
                return elements[firstEqual]
            }
            var sorted = order.map { elements[$0] }
            if reverse { sorted = order.reversedStable(keys: keys).map { elements[$0] } }
            return .list(sorted)
        case "dictsort":
            let caseSensitive = parameters.optional("case_sensitive")?.isTruthy ?? false
            let by = parameters.optional("by").map { string($0) } ?? "key"
            let reverse = parameters.optional("reverse")?.isTruthy ?? false
            try parameters.finish()
            guard case .dict(let dict) = value else {
                if let failure = TemplateOperators.undefinedFailure(value) { throw failure }
                throw EvaluationFailure(.type, "'\(value.typeName)' object has no attribute 'items'")
            }
            let pairs = dict.itemTuples
            var keys: [TemplateValue] = []
            for position in 0..<dict.count {
                let key = by == "value" ? dict.values[position] : dict.keys[position]
                keys.append(caseSensitive ? key : Self.ignoringCase(key))
            }
            let order = try Self.stableOrder(keys)
            return .list((reverse ? order.reversedStable(keys: keys) : order).map { pairs[$0] })
        case "batch":
            let size = try parameters.required("linecount")
            let fill = parameters.optional("fill_with") ?? .none
            try parameters.finish()
            guard let count = size.integerValue, count > 0 else {
                throw EvaluationFailure(.type, "batch size must be a positive integer")
            }
            // The last batch is padded to `count` with `fill_with`: an absurd size would allocate it.
            if !fill.isNone { try TemplateOperators.checkLength(count, limits) }
            var batches: [TemplateValue] = []
            var current: [TemplateValue] = []
            for element in try iterate(value) {
                current.append(element)
                if current.count == count {
                    batches.append(.list(current))
                    current = []
                }
            }
            if !current.isEmpty {
                if !fill.isNone { current += Array(repeating: fill, count: count - current.count) }
                batches.append(.list(current))
            }
            return .iterator(batches)
        case "sum":
            let attributeName = parameters.optional("attribute")
            var total = parameters.optional("start") ?? .int(0)
            try parameters.finish()
            for element in try iterate(value) {
                let term = try attributeName.map { a throws(EvaluationFailure) in try attributePath(a, of: element) } ?? element
                // Summing lists or strings copies the running total each time: quadratic unless paid for.
                try work.charge(TemplateWorkMeter.shallowSize(total) + TemplateWorkMeter.shallowSize(term))
                total = try TemplateOperators.apply(.add, total, term, limits: limits)
            }
            return total
        default:
            if TemplateParser.jinjaFilters.contains(name) {
                throw EvaluationFailure(.unsupported, "the '\(name)' filter is not supported by this interpreter")
            }
            throw EvaluationFailure(.unsupported, "No filter named '\(name)' found.")
        }
    }

    /// jinja2's `make_attrgetter`: `"a.b"` walks attributes; integer parts index.
    func attributePath(_ path: TemplateValue, of value: TemplateValue) throws(EvaluationFailure) -> TemplateValue {
        guard case .string(let text) = path else { return try item(path, of: value) }
        var current = value
        for part in text.split(separator: ".", omittingEmptySubsequences: false) {
            let key: TemplateValue = Int(part).map { .int($0) } ?? .string(String(part))
            current = try item(key, of: current)
        }
        return current
    }

    static func ignoringCase(_ value: TemplateValue) -> TemplateValue {
        if case .string(let text) = value { return .string(text.lowercased()) }
        return value
    }

    /// Indices that sort `keys` ascending, keeping equal keys in their original order (Python's sort is stable).
    static func stableOrder(_ keys: [TemplateValue]) throws(EvaluationFailure) -> [Int] {
        var failure: EvaluationFailure?
        let order = keys.indices.sorted { a, b in
            guard failure == nil else { return a < b }
            do throws(EvaluationFailure) {
                let comparison = try TemplateOperators.order(keys[a], keys[b], .less)
                return comparison == 0 ? a < b : comparison < 0
            } catch {
                failure = error
                return a < b
            }
        }
        if let failure { throw failure }
        return order
    }
}

extension Array where Element == Int {
    /// A descending order that still keeps equal keys in their original order, as `sorted(reverse=True)` does.
    func reversedStable(keys: [TemplateValue]) -> [Int] {
        var groups: [[Int]] = []
        for index in self {
            if let last = groups.last?.last, TemplateOperators.equals(keys[last], keys[index]) {
                groups[groups.count - 1].append(index)
            } else {
                groups.append([index])
            }
        }
        return groups.reversed().flatMap { $0 }
    }
}
