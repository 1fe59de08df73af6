/// A bounds-checked little-endian cursor over a byte buffer; every read that would pass the end
/// throws ``ModelFileError/truncated(path:offset:needed:what:)``.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    let path: String
    var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, path: String, offset: Int = 0) {
        self.bytes = bytes
        self.path = path
        self.offset = offset
    }

    var remaining: Int { bytes.count - offset }

    mutating func require(_ count: Int, _ what: String) throws(ModelFileError) {
        if count < 0 || count > remaining {
            throw .truncated(path: path, offset: offset, needed: count - max(remaining, 0), what: what)
        }
    }

    mutating func read<T: FixedWidthInteger>(_ type: T.Type, _ what: String) throws(ModelFileError) -> T {
        try require(MemoryLayout<T>.size, what)
        let value = bytes.loadUnaligned(fromByteOffset: offset, as: T.self)
        offset += MemoryLayout<T>.size
        return T(littleEndian: value)
    }

    mutating func readF32(_ what: String) throws(ModelFileError) -> Float {
        Float(bitPattern: try read(UInt32.self, what))
    }

    mutating func readF64(_ what: String) throws(ModelFileError) -> Double {
        Double(bitPattern: try read(UInt64.self, what))
    }

    /// Reads `count` bytes as a view.
    mutating func slice(_ count: Int, _ what: String) throws(ModelFileError) -> UnsafeRawBufferPointer {
        try require(count, what)
        let view = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + count)])
        offset += count
        return view
    }

    /// Reads a GGUF string: a u64 byte length and that many bytes of UTF-8.
    mutating func readGGUFString(_ what: String) throws(ModelFileError) -> String {
        let start = offset
        let length = try read(UInt64.self, what + " length")
        guard length <= UInt64(remaining) else {
            throw .truncated(path: path, offset: offset, needed: Int(clamping: length) - remaining, what: what)
        }
        let raw = try slice(Int(length), what)
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw .malformed(path: path, offset: start, reason: "\(what) is not valid UTF-8")
        }
        return text
    }

    /// Skips a GGUF string after checking its bounds and UTF-8, without keeping it.
    mutating func skipGGUFString(_ what: String) throws(ModelFileError) {
        let start = offset
        let length = try read(UInt64.self, what + " length")
        guard length <= UInt64(remaining) else {
            throw .truncated(path: path, offset: offset, needed: Int(clamping: length) - remaining, what: what)
        }
        let raw = try slice(Int(length), what)
        guard Self.isValidUTF8(raw) else {
            throw .malformed(path: path, offset: start, reason: "\(what) is not valid UTF-8")
        }
    }

    /// Whether `bytes` is well-formed UTF-8, checked without building a `String` (ASCII runs are the fast path).
    static func isValidUTF8(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var i = 0
        let n = bytes.count
        while i < n {
            let b0 = bytes[i]
            if b0 < 0x80 { i += 1; continue }
            func continuation(_ k: Int) -> UInt8? { i + k < n && bytes[i + k] & 0xC0 == 0x80 ? bytes[i + k] : nil }
            switch b0 {
            case 0xC2...0xDF:
                guard continuation(1) != nil else { return false }
                i += 2
            case 0xE0...0xEF:
                guard let b1 = continuation(1), continuation(2) != nil else { return false }
                // No overlong forms (E0 80..9F) and no surrogates (ED A0..BF).
                if b0 == 0xE0 && b1 < 0xA0 || b0 == 0xED && b1 > 0x9F { return false }
                i += 3
            case 0xF0...0xF4:
                guard let b1 = continuation(1), continuation(2) != nil, continuation(3) != nil else { return false }
                // No overlong forms (F0 80..8F) and nothing above U+10FFFF (F4 90..).
                if b0 == 0xF0 && b1 < 0x90 || b0 == 0xF4 && b1 > 0x8F { return false }
                i += 4
            default:
                return false
            }
        }
        return true
    }
}
