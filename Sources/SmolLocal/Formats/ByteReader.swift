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
}
