/// One typed GGUF metadata value, exactly as stored in the file.
public enum GGUFValue: Sendable, Equatable {
    /// GGUF type 0.
    case uint8(UInt8)
    /// GGUF type 1.
    case int8(Int8)
    /// GGUF type 2.
    case uint16(UInt16)
    /// GGUF type 3.
    case int16(Int16)
    /// GGUF type 4.
    case uint32(UInt32)
    /// GGUF type 5.
    case int32(Int32)
    /// GGUF type 6.
    case float32(Float)
    /// GGUF type 7.
    case bool(Bool)
    /// GGUF type 8 (UTF-8).
    case string(String)
    /// GGUF type 9: elements all of one type (nested arrays are allowed by the format), stored compactly.
    case array(GGUFArray)
    /// GGUF type 10.
    case uint64(UInt64)
    /// GGUF type 11.
    case int64(Int64)
    /// GGUF type 12.
    case float64(Double)

    /// The value as an `Int` when it is an integer of any width that fits (or a bool).
    public var intValue: Int? {
        switch self {
        case .uint8(let v): return Int(v)
        case .int8(let v): return Int(v)
        case .uint16(let v): return Int(v)
        case .int16(let v): return Int(v)
        case .uint32(let v): return Int(v)
        case .int32(let v): return Int(v)
        case .uint64(let v): return Int(exactly: v)
        case .int64(let v): return Int(v)
        case .bool(let v): return v ? 1 : 0
        default: return nil
        }
    }

    /// The value as a `Double` when it is a number.
    public var doubleValue: Double? {
        switch self {
        case .float32(let v): return Double(v)
        case .float64(let v): return v
        default: return intValue.map(Double.init)
        }
    }

    /// The string, when this is a string.
    public var stringValue: String? {
        if case .string(let v) = self { return v }
        return nil
    }

    /// The boolean, when this is a bool.
    public var boolValue: Bool? {
        if case .bool(let v) = self { return v }
        return nil
    }

    /// The elements, when this is an array (decoded one by one on access).
    public var arrayValue: GGUFArray? {
        if case .array(let v) = self { return v }
        return nil
    }
}

/// GGUF metadata: the key/value pairs in file order, with lookup by key.
public struct GGUFMetadata: Sendable, Sequence {
    /// The keys in file order.
    public private(set) var keys: [String] = []
    private var values: [GGUFValue] = []
    private var index: [String: Int] = [:]

    /// An empty metadata map.
    public init() {}

    /// The number of keys.
    public var count: Int { keys.count }

    /// Adds a pair; returns false when the key is already present (the first value is kept).
    @discardableResult
    mutating func append(_ key: String, _ value: GGUFValue) -> Bool {
        if index[key] != nil { return false }
        index[key] = keys.count
        keys.append(key)
        values.append(value)
        return true
    }

    /// The value for `key`.
    public subscript(key: String) -> GGUFValue? {
        index[key].map { values[$0] }
    }

    /// Iterates the pairs in file order.
    public func makeIterator() -> AnyIterator<(key: String, value: GGUFValue)> {
        var position = 0
        return AnyIterator {
            guard position < keys.count else { return nil }
            defer { position += 1 }
            return (keys[position], values[position])
        }
    }

    /// The string for `key`, when present and a string.
    public func string(_ key: String) -> String? { self[key]?.stringValue }
    /// The integer for `key`, when present and an integer.
    public func int(_ key: String) -> Int? { self[key]?.intValue }
    /// The number for `key`, when present and numeric.
    public func double(_ key: String) -> Double? { self[key]?.doubleValue }
    /// The boolean for `key`, when present and a bool.
    public func bool(_ key: String) -> Bool? { self[key]?.boolValue }

    /// The array of strings for `key`, when present and every element is a string.
    public func stringArray(_ key: String) -> [String]? { self[key]?.arrayValue?.strings() }

    /// The array of integers for `key`, when present and every element is an integer.
    public func intArray(_ key: String) -> [Int]? { self[key]?.arrayValue?.integers() }

    /// The array of numbers for `key` as `Float`, when present and every element is numeric.
    public func floatArray(_ key: String) -> [Float]? { self[key]?.arrayValue?.floats() }
}
