/// A Python `dict` that keeps insertion order.
///
/// Keys are usually strings (everything that comes from JSON), but template literals may use any hashable
/// Python value (`{0: 'a', 512: 'b'}`), so keys are template values compared with Python's `==` (`1`, `1.0`
/// and `True` are one key). String keys compare by code points, as Python's do.
struct TemplateDict: Sendable {
    private(set) var keys: [TemplateValue] = []
    private(set) var values: [TemplateValue] = []
    /// String keys to positions, built once the dict is large; Swift's String hashing is canonical
    /// equivalence, so a hit is confirmed by code points.
    private var index: [String: Int]?

    private static let indexThreshold = 12

    init() {}

    var count: Int { keys.count }
    var isEmpty: Bool { keys.isEmpty }

    mutating func reserveCapacity(_ capacity: Int) {
        keys.reserveCapacity(capacity)
        values.reserveCapacity(capacity)
    }

    /// Whether Python can use `value` as a dict key.
    static func isHashable(_ value: TemplateValue) -> Bool {
        switch value {
        case .none, .bool, .int, .double, .string, .undefined, .namespace, .function, .loop, .iterator: return true
        case .tuple(let elements): return elements.allSatisfy(isHashable)
        case .list, .dict: return false
        }
    }

    func position(of key: String) -> Int? {
        if let index {
            guard let position = index[key] else { return nil }
            if case .string(let found) = keys[position], found.utf8.elementsEqual(key.utf8) { return position }
        }
        for position in keys.indices {
            if case .string(let candidate) = keys[position], candidate.utf8.elementsEqual(key.utf8) { return position }
        }
        return nil
    }

    func position(of key: TemplateValue) -> Int? {
        if case .string(let text) = key { return position(of: text) }
        return keys.firstIndex { TemplateOperators.equals($0, key) }
    }

    subscript(key: String) -> TemplateValue? {
        get { position(of: key).map { values[$0] } }
        set { self[.string(key)] = newValue }
    }

    subscript(key: TemplateValue) -> TemplateValue? {
        get { position(of: key).map { values[$0] } }
        set {
            guard let newValue else { return }
            if let position = position(of: key) {
                values[position] = newValue
                return
            }
            keys.append(key)
            values.append(newValue)
            if index != nil {
                if case .string(let text) = key, index?[text] == nil { index?[text] = keys.count - 1 }
            } else if keys.count > Self.indexThreshold {
                var built: [String: Int] = [:]
                for (position, key) in keys.enumerated() {
                    if case .string(let text) = key, built[text] == nil { built[text] = position }
                }
                index = built
            }
        }
    }

    /// The members as `(key, value)` tuples, as `dict.items()` yields them.
    var itemTuples: [TemplateValue] {
        zip(keys, values).map { .tuple([$0, $1]) }
    }
}
