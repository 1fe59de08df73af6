/// A JSON object that keeps its keys in insertion order, as a Python `dict` does.
///
/// Setting an existing key replaces its value in place (the key keeps its position), and removing a key
/// closes the gap, exactly like `dict`. Lookups are O(1). Two objects are equal when they hold the same
/// members, whatever their order, as JSON objects are.
public struct JSONObject: Sendable {
    /// A key compared by its exact code points, as Python compares `str` keys. Swift's `String`
    /// equality is canonical equivalence, which would make `"\u{E9}"` and `"e\u{301}"` one key.
    struct ExactKey: Hashable, Sendable {
        let string: String
        static func == (lhs: ExactKey, rhs: ExactKey) -> Bool { lhs.string.utf8.elementsEqual(rhs.string.utf8) }
        // Byte-equal strings are canonically equal, so String's own hash stays consistent with `==`.
        func hash(into hasher: inout Hasher) { hasher.combine(string) }
    }

    private var orderedKeys: [String] = []
    private var storage: [ExactKey: JSONValue] = [:]

    /// An empty object.
    public init() {}

    /// An object with these members, in this order; a repeated key keeps its first position and its last value.
    public init<S: Sequence>(_ members: S) where S.Element == (String, JSONValue) {
        for (key, value) in members { self[key] = value }
    }

    /// The keys, in insertion order.
    public var keys: [String] { orderedKeys }

    /// The values, in key order.
    public var values: [JSONValue] { orderedKeys.map { storage[ExactKey(string: $0)]! } }

    /// The number of members.
    public var count: Int { orderedKeys.count }

    /// Whether the object has no members.
    public var isEmpty: Bool { orderedKeys.isEmpty }

    /// The value for `key`; setting `nil` removes the member.
    public subscript(key: String) -> JSONValue? {
        get { storage[ExactKey(string: key)] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: ExactKey(string: key)) == nil { orderedKeys.append(key) }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Whether the object has a member named `key`.
    public func contains(_ key: String) -> Bool { storage[ExactKey(string: key)] != nil }

    /// Removes the member named `key` and returns its value (Python's `dict.pop(key, None)`).
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSONValue? {
        guard let old = storage.removeValue(forKey: ExactKey(string: key)) else { return nil }
        if let index = orderedKeys.firstIndex(where: { $0.utf8.elementsEqual(key.utf8) }) { orderedKeys.remove(at: index) }
        return old
    }

    /// Sets every member of `other`, in its order (Python's `dict.update`).
    public mutating func merge(_ other: JSONObject) {
        for (key, value) in other { self[key] = value }
    }
}

extension JSONObject: Sequence {
    /// Iterates over the members in insertion order.
    public func makeIterator() -> AnyIterator<(key: String, value: JSONValue)> {
        var index = 0
        return AnyIterator {
            guard index < orderedKeys.count else { return nil }
            defer { index += 1 }
            let key = orderedKeys[index]
            return (key, storage[ExactKey(string: key)]!)
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
        lhs.storage == rhs.storage
    }

    public func hash(into hasher: inout Hasher) {
        // Order-insensitive, to agree with `==`.
        var combined = 0
        for (key, value) in storage {
            var member = Hasher()
            member.combine(key)
            member.combine(value)
            combined &+= member.finalize()
        }
        hasher.combine(storage.count)
        hasher.combine(combined)
    }
}

extension JSONObject: CustomStringConvertible {
    /// The object as Python's `json.dumps(obj, ensure_ascii=False)` would print it.
    public var description: String { JSONEmitter().string(from: .object(self)) }
}
