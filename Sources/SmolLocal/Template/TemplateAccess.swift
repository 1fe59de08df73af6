extension TemplateRenderer {
    /// How jinja2 names a value's type in "has no attribute" messages (`'dict object'`).
    static func objectDescription(_ value: TemplateValue) -> String {
        value.isNone ? "None" : "\(value.typeName) object"
    }

    /// `value.name`: jinja2's sandboxed `getattr`, which tries the Python attribute (a method) first and
    /// then the item, so `message.items` is the method while `message.role` is the key.
    func attribute(_ name: String, of value: TemplateValue) throws(EvaluationFailure) -> TemplateValue {
        switch value {
        case .undefined(let hint):
            throw EvaluationFailure(.undefined, hint)
        case .dict(let dict):
            if TemplateMethods.isMethod(name, of: value) { return .function(.method(receiver: value, name: name)) }
            if let member = dict[name] { return member }
        case .namespace(let handle):
            if let member = namespaces[handle][name] { return member }
        case .loop(let state):
            if let member = loopAttribute(name, of: state) { return member }
        default:
            if TemplateMethods.isMethod(name, of: value) { return .function(.method(receiver: value, name: name)) }
        }
        return .undefined(hint: "'\(Self.objectDescription(value))' has no attribute '\(name)'")
    }

    /// `value[key]`: jinja2's `getitem`, which tries the item first and then, for string keys, the attribute.
    func item(_ key: TemplateValue, of value: TemplateValue) throws(EvaluationFailure) -> TemplateValue {
        switch (value, key) {
        case (.undefined(let hint), _):
            throw EvaluationFailure(.undefined, hint)
        case (.dict(let dict), _):
            guard TemplateDict.isHashable(key) else { throw EvaluationFailure(.type, "unhashable type: '\(key.typeName)'") }
            if let member = dict[key] { return member }
        case (.list(let elements), _), (.tuple(let elements), _):
            if let index = key.integerValue {
                let position = index < 0 ? index + elements.count : index
                if elements.indices.contains(position) { return elements[position] }
                return .undefined(hint: "\(Self.objectDescription(value)) has no element \(index)")
            }
        case (.string(let text), _):
            if let index = key.integerValue {
                let scalars = Array(text.unicodeScalars)
                let position = index < 0 ? index + scalars.count : index
                if scalars.indices.contains(position) { return .string(String(scalars[position])) }
                return .undefined(hint: "\(Self.objectDescription(value)) has no element \(index)")
            }
        default:
            break
        }
        if case .string(let name) = key { return try attribute(name, of: value) }
        return .undefined(hint: "\(Self.objectDescription(value)) has no element \(repr(key))")
    }

    private func loopAttribute(_ name: String, of state: LoopState) -> TemplateValue? {
        switch name {
        case "index": return .int(state.index0 + 1)
        case "index0": return .int(state.index0)
        case "revindex": return .int(state.length - state.index0)
        case "revindex0": return .int(state.length - state.index0 - 1)
        case "first": return .bool(state.index0 == 0)
        case "last": return .bool(state.index0 == state.length - 1)
        case "length": return .int(state.length)
        case "depth": return .int(state.depth0 + 1)
        case "depth0": return .int(state.depth0)
        case "previtem":
            return state.index0 > 0 ? state.items[state.index0 - 1] : .undefined(hint: "there is no previous item")
        case "nextitem":
            return state.index0 + 1 < state.length ? state.items[state.index0 + 1] : .undefined(hint: "there is no next item")
        case "cycle": return .function(.loopCycle(state))
        default: return nil
        }
    }

    /// Python's slicing `value[start:stop:step]` for lists, tuples and strings.
    func slice(_ value: TemplateValue, start: TemplateValue?, stop: TemplateValue?, step: TemplateValue?)
        throws(EvaluationFailure) -> TemplateValue
    {
        func bound(_ value: TemplateValue?) throws(EvaluationFailure) -> Int? {
            guard let value, !value.isNone else { return nil }
            guard let number = value.integerValue else {
                throw EvaluationFailure(.type, "slice indices must be integers or None")
            }
            return number
        }
        let stepValue = try bound(step) ?? 1
        guard stepValue != 0 else { throw EvaluationFailure(.type, "slice step cannot be zero") }
        let startValue = try bound(start), stopValue = try bound(stop)

        func indices(count: Int) -> [Int] {
            func clamp(_ raw: Int?, _ fallback: Int, low: Int, high: Int) -> Int {
                guard var index = raw else { return fallback }
                if index < 0 { index += count }
                return min(max(index, low), high)
            }
            var result: [Int] = []
            if stepValue > 0 {
                var index = clamp(startValue, 0, low: 0, high: count)
                let end = clamp(stopValue, count, low: 0, high: count)
                while index < end {
                    result.append(index)
                    index += stepValue
                }
            } else {
                var index = clamp(startValue, count - 1, low: -1, high: count - 1)
                let end = clamp(stopValue, -1, low: -1, high: count - 1)
                while index > end {
                    result.append(index)
                    index += stepValue
                }
            }
            return result
        }

        switch value {
        case .list(let elements): return .list(indices(count: elements.count).map { elements[$0] })
        case .tuple(let elements): return .tuple(indices(count: elements.count).map { elements[$0] })
        case .string(let text):
            let scalars = Array(text.unicodeScalars)
            var out = String.UnicodeScalarView()
            for index in indices(count: scalars.count) { out.append(scalars[index]) }
            return .string(String(out))
        case .undefined(let hint):
            throw EvaluationFailure(.undefined, hint)
        case .dict:
            throw EvaluationFailure(.type, "unhashable type: 'slice'")
        default:
            // jinja2 compiles a slice to a plain Python subscript (not its forgiving getitem), so this raises.
            throw EvaluationFailure(.type, "'\(value.typeName)' object is not subscriptable")
        }
    }

    /// The elements `for x in value` visits: list items, dict keys, string characters; nothing for undefined.
    func iterate(_ value: TemplateValue) throws(EvaluationFailure) -> [TemplateValue] {
        // Every caller walks what it gets (loops, join, map, sort, ...), so the walk is paid for here.
        try work.charge(TemplateWorkMeter.shallowSize(value))
        switch value {
        case .list(let elements), .tuple(let elements), .iterator(let elements): return elements
        case .dict(let dict): return dict.keys
        case .string(let text): return text.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        default: throw EvaluationFailure(.type, "'\(value.typeName)' object is not iterable")
        }
    }

    /// Python's `len(value)`.
    func length(_ value: TemplateValue) throws(EvaluationFailure) -> Int {
        switch value {
        case .list(let elements), .tuple(let elements): return elements.count
        case .dict(let dict): return dict.count
        case .string(let text): return text.unicodeScalars.count
        case .undefined: return 0
        case .namespace(let handle): return namespaces[handle].count
        default: throw EvaluationFailure(.type, "object of type '\(value.typeName)' has no len()")
        }
    }
}
