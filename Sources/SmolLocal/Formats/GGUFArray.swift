/// A GGUF metadata array (type 9), kept compactly.
///
/// A file is untrusted: one metadata array can announce millions of elements in a few bytes each, and a
/// boxed ``GGUFValue`` per element costs several times the element's size in the file (a 96 MB byte array
/// used to cost 2.3 GB before any error could be reported). So arrays of numbers and bools are views into
/// the mapped file (no per-element memory at all), string arrays keep one offset per element (never more
/// than the 8-byte length prefix that each element has in the file), and only arrays of arrays hold boxed
/// values. Elements are decoded on access; the parser has already validated every one of them (bounds,
/// bool bytes, UTF-8), so access cannot fail.
///
/// A `Sequence` with `count` and an integer subscript rather than a `Collection`: in release builds,
/// `Array(_:)` of a `Collection` of this recursive element type went through the standard library's
/// specialized `_copyCollectionToContiguousArray` and wrote into a freed buffer (heap-use-after-free under
/// AddressSanitizer, found by the GGUF structure fuzzer); the sequence path appends and is sound.
public struct GGUFArray: Sendable, Equatable, Sequence, CustomStringConvertible {
    enum Storage: Sendable {
        /// Fixed-size elements of GGUF type `type` (0–7 and 10–12 except 8 and 9), `count` of them at `offset`.
        case scalars(type: UInt32, file: MappedFile, offset: Int, count: Int)
        /// Strings: the offset of each element's u64 length prefix.
        case strings(file: MappedFile, offsets: [Int])
        /// Nested arrays, boxed (each one needs at least 12 bytes in the file).
        case arrays([GGUFValue])
    }

    let storage: Storage

    init(_ storage: Storage) {
        self.storage = storage
    }

    /// An array of already decoded values (for arrays built in memory rather than read from a file).
    public init(_ values: [GGUFValue]) {
        storage = .arrays(values)
    }

    /// The size in bytes of one element of fixed-size GGUF type `type`, or nil for strings, arrays and
    /// unknown types.
    static func scalarSize(_ type: UInt32) -> Int? {
        switch type {
        case 0, 1, 7: return 1
        case 2, 3: return 2
        case 4, 5, 6: return 4
        case 10, 11, 12: return 8
        default: return nil
        }
    }

    /// The GGUF element type when every element has the same fixed-size type, else nil.
    public var scalarType: UInt32? {
        if case .scalars(let type, _, _, _) = storage { return type }
        return nil
    }

    /// The number of elements.
    public var count: Int {
        switch storage {
        case .scalars(_, _, _, let count): return count
        case .strings(_, let offsets): return offsets.count
        case .arrays(let values): return values.count
        }
    }

    /// Whether the array has no elements.
    public var isEmpty: Bool { count == 0 }

    /// The element count, so that `Array(_:)` reserves exactly once.
    public var underestimatedCount: Int { count }

    /// Iterates the elements, decoding each on access.
    public struct Iterator: IteratorProtocol {
        let array: GGUFArray
        var position = 0

        /// The next element, or nil after the last.
        public mutating func next() -> GGUFValue? {
            guard position < array.count else { return nil }
            defer { position += 1 }
            return array[position]
        }
    }

    /// An iterator over the elements in order.
    public func makeIterator() -> Iterator { Iterator(array: self) }

    /// The element at `position`, decoded from the file.
    public subscript(position: Int) -> GGUFValue {
        precondition(position >= 0 && position < count, "GGUFArray index \(position) out of range 0..<\(count)")
        switch storage {
        case .scalars(let type, let file, let offset, _):
            let size = Self.scalarSize(type) ?? 1
            return Self.decodeScalar(type, file.allBytes, at: offset + position * size)
        case .strings(let file, let offsets):
            return .string(Self.decodeString(file.allBytes, at: offsets[position]))
        case .arrays(let values):
            return values[position]
        }
    }

    /// Decodes one fixed-size element of GGUF type `type` (validated by the parser) at `at`.
    static func decodeScalar(_ type: UInt32, _ bytes: UnsafeRawBufferPointer, at: Int) -> GGUFValue {
        func load<T: FixedWidthInteger>(_: T.Type) -> T { T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self)) }
        switch type {
        case 0: return .uint8(load(UInt8.self))
        case 1: return .int8(load(Int8.self))
        case 2: return .uint16(load(UInt16.self))
        case 3: return .int16(load(Int16.self))
        case 4: return .uint32(load(UInt32.self))
        case 5: return .int32(load(Int32.self))
        case 6: return .float32(Float(bitPattern: load(UInt32.self)))
        case 7: return .bool(load(UInt8.self) != 0)
        case 10: return .uint64(load(UInt64.self))
        case 11: return .int64(load(Int64.self))
        default: return .float64(Double(bitPattern: load(UInt64.self)))
        }
    }

    /// Decodes the string whose u64 length prefix is at `at` (bounds and UTF-8 validated by the parser).
    static func decodeString(_ bytes: UnsafeRawBufferPointer, at: Int) -> String {
        let length = Int(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self)))
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(at + 8)..<(at + 8 + length)]), as: UTF8.self)
    }

    /// The elements as `Int`s when they are all integers (or bools) that fit, without boxing each one.
    public func integers() -> [Int]? {
        guard case .scalars(let type, let file, let offset, let count) = storage else {
            return allOrNil { $0.intValue }
        }
        guard type != 6, type != 12 else { return nil }
        let size = Self.scalarSize(type) ?? 1
        let bytes = file.allBytes
        var out: [Int] = []
        out.reserveCapacity(count)
        for i in 0..<count {
            // Only u64 values above Int.max do not fit.
            guard let value = Self.decodeScalar(type, bytes, at: offset + i * size).intValue else { return nil }
            out.append(value)
        }
        return out
    }

    /// The elements as `Float`s when they are all numbers, without boxing each one.
    public func floats() -> [Float]? {
        guard case .scalars(let type, let file, let offset, let count) = storage else {
            return allOrNil { $0.doubleValue.map(Float.init) }
        }
        let bytes = file.allBytes
        var out: [Float] = []
        out.reserveCapacity(count)
        if type == 6 {
            for i in 0..<count { out.append(Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 4 * i, as: UInt32.self)))) }
            return out
        }
        let size = Self.scalarSize(type) ?? 1
        for i in 0..<count {
            guard let value = Self.decodeScalar(type, bytes, at: offset + i * size).doubleValue else { return nil }
            out.append(Float(value))
        }
        return out
    }

    /// The elements as `String`s when they are all strings.
    public func strings() -> [String]? {
        if case .strings(let file, let offsets) = storage {
            let bytes = file.allBytes
            return offsets.map { Self.decodeString(bytes, at: $0) }
        }
        // An empty array of any type is an empty string array, as it was when arrays were boxed.
        return allOrNil { $0.stringValue }
    }

    private func allOrNil<T>(_ transform: (GGUFValue) -> T?) -> [T]? {
        var out: [T] = []
        out.reserveCapacity(count)
        for element in self {
            guard let value = transform(element) else { return nil }
            out.append(value)
        }
        return out
    }

    /// The first few elements and the count: error messages quote values, and an array can hold millions.
    public var description: String {
        let shown = prefix(8).map { "\($0)" }.joined(separator: ", ")
        return count > 8 ? "[\(shown), … (\(count) elements)]" : "[\(shown)]"
    }

    /// Element-wise equality (two arrays are equal when they hold equal values, whatever their storage).
    public static func == (lhs: GGUFArray, rhs: GGUFArray) -> Bool {
        lhs.count == rhs.count && (0..<lhs.count).allSatisfy { lhs[$0] == rhs[$0] }
    }
}
