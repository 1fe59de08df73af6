import Foundation
import Testing

@testable import SmolLocal

/// Small hostile GGUF files whose metadata would cost many times the file's size if every array element
/// were boxed: parsing must stay within a bound proportional to the file and end in a typed error.
@Suite("Hostile GGUF metadata stays bounded")
struct GGUFHostileMetadataTests {
    /// A GGUF v3 header with no tensors and the given metadata pairs (already encoded after their key).
    static func file(_ pairs: [(key: String, encoded: [UInt8])]) -> [UInt8] {
        var out = Array("GGUF".utf8)
        append(&out, UInt32(3))
        append(&out, UInt64(0))
        append(&out, UInt64(pairs.count))
        for (key, encoded) in pairs {
            append(&out, UInt64(key.utf8.count))
            out += Array(key.utf8)
            out += encoded
        }
        return out
    }

    static func append<T: FixedWidthInteger>(_ out: inout [UInt8], _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { out += $0 }
    }

    /// The array header: type 9, element type, element count.
    static func arrayHeader(elementType: UInt32, count: Int) -> [UInt8] {
        var out: [UInt8] = []
        append(&out, UInt32(9))
        append(&out, elementType)
        append(&out, UInt64(count))
        return out
    }

    /// Writes `bytes` to a fresh temporary file (mapped from disk, as a real model file would be).
    static func temporaryFile(_ bytes: [UInt8], _ name: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString).gguf").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// The process's peak resident set, in bytes.
    static func peakResident() -> Int {
        var usage = rusage()
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        return usage.ru_maxrss * 1024
    }

    @Test("a 96 MB byte array is a view of the file: bounded memory, then the missing-architecture error")
    func hugeByteArray() throws {
        let count = 96 << 20
        var bytes = Self.file([("junk", Self.arrayHeader(elementType: 0, count: count))])
        bytes.append(contentsOf: repeatElement(0x41, count: count))
        let path = try Self.temporaryFile(bytes, "hostile-bytes")
        bytes = []
        defer { try? FileManager.default.removeItem(atPath: path) }

        let before = Self.peakResident()
        let clock = ContinuousClock()
        let start = clock.now
        let gguf = try GGUFFile(path: path)
        let array = try #require(gguf.metadata["junk"]?.arrayValue)
        let elapsed = clock.now - start
        let growth = Self.peakResident() - before
        print("hostile 96 MB byte array: parsed in \(elapsed), peak RSS grew by \(growth >> 20) MiB")
        // The array holds no per-element memory at all: it is a typed view of the mapping.
        guard case .scalars(let type, _, _, let stored) = array.storage, type == 0, stored == count else {
            Issue.record("a byte array is stored as \(array.storage), not as a view")
            return
        }
        #expect(array.count == count)
        #expect(array[count - 1] == .uint8(0x41))
        // Boxing one value per byte needed about 24 bytes each (2.3 GB); other suites running in parallel can
        // raise the process's peak too, so the bound is generous but still far below the boxed cost.
        #expect(growth < 512 << 20)
        #expect(elapsed < .seconds(2))
        #expect(throws: ModelFileError.badConfig(path: path, key: "general.architecture", reason: "missing")) {
            try ModelConfig(gguf: gguf)
        }
    }

    @Test("arrays of every fixed-size type decode their elements from the file")
    func fixedSizeArraysDecode() throws {
        var u16 = Self.arrayHeader(elementType: 2, count: 3)
        for v: UInt16 in [1, 2, 65535] { Self.append(&u16, v) }
        var f32 = Self.arrayHeader(elementType: 6, count: 2)
        for v: Float in [0.5, -2] { Self.append(&f32, v.bitPattern) }
        var i64 = Self.arrayHeader(elementType: 11, count: 2)
        for v: Int64 in [-7, 1 << 40] { Self.append(&i64, v) }
        var bools = Self.arrayHeader(elementType: 7, count: 2)
        bools += [1, 0]
        var big = Self.arrayHeader(elementType: 10, count: 1)
        Self.append(&big, UInt64.max)
        var strings = Self.arrayHeader(elementType: 8, count: 2)
        for s in ["é", ""] {
            Self.append(&strings, UInt64(s.utf8.count))
            strings += Array(s.utf8)
        }
        let bytes = Self.file([("u16", u16), ("f32", f32), ("i64", i64), ("bools", bools), ("big", big), ("s", strings)])
        let gguf = try GGUFFile(file: try MappedFile(copying: bytes, name: "arrays.gguf"))
        let m = gguf.metadata
        #expect(m.intArray("u16") == [1, 2, 65535])
        #expect(m.floatArray("u16") == [1, 2, 65535])
        #expect(m.floatArray("f32") == [0.5, -2])
        #expect(m.intArray("f32") == nil)
        #expect(m.intArray("i64") == [-7, 1 << 40])
        #expect(m["bools"]?.arrayValue.map(Array.init) == [.bool(true), .bool(false)])
        #expect(m.intArray("big") == nil, "u64 above Int.max does not fit")
        #expect(m.stringArray("s") == ["é", ""])
        #expect(m.stringArray("u16") == nil)
        #expect(m["u16"] == .array(GGUFArray([.uint16(1), .uint16(2), .uint16(65535)])))
    }

    @Test("a bad bool or bad UTF-8 inside an array is a typed error naming its byte")
    func invalidElements() throws {
        var bools = Self.arrayHeader(elementType: 7, count: 3)
        bools += [1, 0, 2]
        let boolFile = Self.file([("b", bools)])
        #expect(throws: ModelFileError.malformed(path: "b.gguf", offset: boolFile.count - 1, reason: "bool in array 'b' has value 2")) {
            try GGUFFile(file: try MappedFile(copying: boolFile, name: "b.gguf"))
        }
        for bad: [UInt8] in [[0xC0, 0x80], [0xED, 0xA0, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xE2, 0x82], [0xFF]] {
            var strings = Self.arrayHeader(elementType: 8, count: 1)
            Self.append(&strings, UInt64(bad.count))
            strings += bad
            #expect(throws: ModelFileError.self) {
                try GGUFFile(file: try MappedFile(copying: Self.file([("s", strings)]), name: "s.gguf"))
            }
        }
    }

    @Test("millions of empty nested arrays exceed the metadata memory bound instead of boxing them all")
    func nestedArraysAreBounded() throws {
        let count = 4_000_000
        var bytes = Self.file([("nest", Self.arrayHeader(elementType: 9, count: count))])
        let headerEnd = bytes.count
        var empty: [UInt8] = []
        Self.append(&empty, UInt32(0))
        Self.append(&empty, UInt64(0))
        bytes.reserveCapacity(headerEnd + count * empty.count)
        for _ in 0..<count { bytes += empty }
        let clock = ContinuousClock()
        let start = clock.now
        #expect { try GGUFFile(file: try MappedFile(copying: bytes, name: "nest.gguf")) } throws: { error in
            guard case .malformed(_, let offset, let reason) = error as? ModelFileError else { return false }
            return offset == headerEnd - 8 && reason.contains("bytes of memory")
        }
        #expect(clock.now - start < .seconds(2))
    }

    @Test("millions of empty strings in one array cost one offset each, never more than the file")
    func emptyStrings() throws {
        let count = 2_000_000
        var bytes = Self.file([("tokenizer.ggml.tokens", Self.arrayHeader(elementType: 8, count: count))])
        bytes += repeatElement(0, count: 8 * count)
        let gguf = try GGUFFile(file: try MappedFile(copying: bytes, name: "strings.gguf"))
        let array = try #require(gguf.metadata["tokenizer.ggml.tokens"]?.arrayValue)
        guard case .strings(_, let offsets) = array.storage else {
            Issue.record("a string array is stored as \(array.storage)")
            return
        }
        #expect(offsets.count == count)
        #expect(array[count - 1] == .string(""))
    }

    @Test("a zero dimension does not hide a shape whose other dimensions overflow when multiplied in another order")
    func zeroDimensionShape() throws {
        var bytes = Array("GGUF".utf8)
        Self.append(&bytes, UInt32(3))
        Self.append(&bytes, UInt64(1))
        Self.append(&bytes, UInt64(0))
        Self.append(&bytes, UInt64(1))
        bytes += Array("t".utf8)
        let nDims = bytes.count
        Self.append(&bytes, UInt32(4))
        // ggml order: the zero first, so the file's own check (in this order) saw 0 and accepted it, while
        // `elementCount` multiplies the reversed shape and trapped on overflow.
        for d: UInt64 in [0, UInt64(Int32.max), UInt64(Int32.max), UInt64(Int32.max)] { Self.append(&bytes, d) }
        Self.append(&bytes, UInt32(0))
        Self.append(&bytes, UInt64(0))
        while bytes.count % 32 != 0 { bytes.append(0) }
        #expect { try GGUFFile(file: try MappedFile(copying: bytes, name: "zero.gguf")) } throws: { error in
            guard case .malformed(_, let offset, _) = error as? ModelFileError else { return false }
            return offset == nDims
        }
    }
}
