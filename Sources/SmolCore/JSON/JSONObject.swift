/// A JSON object that keeps its keys in insertion order, as a Python `dict` does.
///
/// Setting an existing key replaces its value in place (the key keeps its position), and removing a key
/// closes the gap, exactly like `dict`. Keys compare by code points, as Python's do. Two objects are
/// equal when they hold the same members, whatever their order, as JSON objects are.
///
/// Storage is two parallel arrays; objects with more than `indexThreshold` members also keep a hash
/// index, so lookups stay O(1) for large objects while the small objects that dominate API traffic
/// (a streamed chunk is a dozen objects of a few keys) pay no hashing at all.
public struct JSONObject: Sendable {
    /// A key compared by its exact code points, as Python compares `str` keys. Swift's `String`
    /// equality is canonical equivalence, which would make `"\u{E9}"` and `"e\u{301}"` one key.
    struct ExactKey: Hashable, Sendable {
        let string: String
        static func == (lhs: ExactKey, rhs: ExactKey) -> Bool { lhs.string.utf8.elementsEqual(rhs.string.utf8) }
        // Byte-equal strings are canonically equal, so String's own hash stays consistent with `==`.
        func hash(into hasher: inout Hasher) { hasher.combine(string) }
    }

    /// Objects with more members than this keep a hash index.
    static let indexThreshold = 12

    private var orderedKeys: [String] = []
    private var orderedValues: [JSONValue] = []
    private var index: [ExactKey: Int]?

    /// An empty object.
    public init() {}

    /// An object with these members, in this order; a repeated key keeps its first position and its last value.
    public init<S: Sequence>(_ members: S) where S.Element == (String, JSONValue) {
        for (key, value) in members { self[key] = value }
    }

    /// The keys, in insertion order.
    public var keys: [String] { orderedKeys }

    /// The values, in key order.
    public var values: [JSONValue] { orderedValues }

    /// The number of members.
    public var count: Int { orderedKeys.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { orderedKeys.isEmpty }

    private func position(of key: String) -> Int? {
        if let index { return index[ExactKey(string: key)] }
        var utf8 = key
        return utf8.withUTF8 { target in
            for position in orderedKeys.indices {
                var candidate = orderedKeys[position]
                if candidate.utf8.count == target.count, candidate.withUTF8({ $0.elementsEqual(target) }) {
                    return position
                }
            }
            return nil
        }
    }

    /// The value for `key`; setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get { position(of: key).map { orderedValues[$0] } }
        set {
            guard let newValue else {
                removeValue(forKey: key)
                return
            }
            if let position = position(of: key) {
                orderedValues[position] = newValue
                return
            }
            orderedKeys.append(key)
            orderedValues.append(newValue)
            if index != nil {
                index?[ExactKey(string: key)] = orderedKeys.count - 1
            } else if orderedKeys.count > Self.indexThreshold {
                rebuildIndex()
            }
        }
    }

    /// Whether the object has a member named `key`.
    public func contains(_ key: String) -> Bool { position(of: key) != nil }

    /// Removes the member named `key` and returns its value (Python's `dict.pop(key, None)`).
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let position = position(of: key) else { return nil }
        orderedKeys.remove(at: position)
        let old = orderedValues.remove(at: position)
        if index != nil {
            if orderedKeys.count > Self.indexThreshold { rebuildIndex() } else { index = nil }
        }
        return old
    }

    /// Sets every member of `other`, in its order (Python's `dict.update`).
    public mutating func merge(_ other: JSONObject) {
        for (key, value) in other { self[key] = value }
    }

    /// Reserves room for `capacity` members.
    public mutating func reserveCapacity(_ capacity: Int) {
        orderedKeys.reserveCapacity(capacity)
        orderedValues.reserveCapacity(capacity)
    }

    private mutating func rebuildIndex() {
        var built: [ExactKey: Int] = [:]
        built.reserveCapacity(orderedKeys.count)
        for (position, key) in orderedKeys.enumerated() { built[ExactKey(string: key)] = position }
        index = built
    }
}

extension JSONObject: Sequence {
    /// Iterates over the members in insertion order.
    public func makeIterator() -> AnyIterator<(key: String, value: JSONValue)> {
        var position = 0
        let keys = orderedKeys, values = orderedValues
        return AnyIterator {
            guard position < keys.count else { return nil }
            defer { position += 1 }
            return (keys[position], values[position])
        }
    }
}

extension JSONObject: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self.init(elements)
    }
}

extension JSONObject: Hashable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (position, key) in lhs.orderedKeys.enumerated() {
            guard let other = rhs.position(of: key), rhs.orderedValues[other] == lhs.orderedValues[position] else {
                return false
            }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-insensitive, to agree with `==`.
        var combined = 0
        for position in orderedKeys.indices {
            var member = Hasher()
            member.combine(orderedKeys[position])
            member.combine(orderedValues[position])
            combined &+= member.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}

extension JSONObject: CustomStringConvertible {
    /// The object as Python's `json.dumps(obj, ensure_ascii=False)` would print it.
    public var description: String { JSONEmitter().string(from: .object(self)) }
}
