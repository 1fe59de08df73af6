/// CRC-32/IEEE (the checksum of zlib's `crc32`, Python's `binascii.crc32`, gzip and PNG): reflected
/// polynomial `0xEDB88320`, initial value and final XOR `0xFFFFFFFF`.
///
/// AWS event-stream frames carry two of these. The implementation is "slicing-by-8": eight 256-entry
/// tables let the loop fold eight input bytes per step with independent lookups, several times faster
/// than the classic byte-at-a-time table loop.
///
/// ```swift
/// CRC32.checksum(Array("123456789".utf8))  // 0xCBF43926, the standard check value
/// ```
enum CRC32 {
    /// The reflected IEEE polynomial.
    static let polynomial: UInt32 = 0xEDB8_8320

    /// Eight tables of 256 entries, flattened: `tables[k * 256 + b]` is the CRC contribution of byte `b`
    /// followed by `k` zero bytes.
    static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for byte in 0..<256 {
            var crc = UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ polynomial : crc >> 1 }
            tables[byte] = crc
        }
        for slice in 1..<8 {
            for byte in 0..<256 {
                let previous = tables[(slice - 1) * 256 + byte]
                tables[slice * 256 + byte] = (previous >> 8) ^ tables[Int(previous & 0xFF)]
            }
        }
        return tables
    }()

    /// The CRC-32 of `bytes`, or of the bytes that produced `previous` followed by `bytes` when
    /// `previous` is given (as `zlib.crc32(data, previous)`).
    static func checksum(_ bytes: UnsafeRawBufferPointer, continuing previous: UInt32 = 0) -> UInt32 {
        var crc = ~previous
        guard var pointer = bytes.baseAddress else { return previous }
        var remaining = bytes.count
        tables.withUnsafeBufferPointer { table in
            while remaining >= 8 {
                let low = UInt32(littleEndian: pointer.loadUnaligned(as: UInt32.self)) ^ crc
                let high = UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
                crc = table[7 * 256 + Int(low & 0xFF)] ^ table[6 * 256 + Int((low >> 8) & 0xFF)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xFF)] ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xFF)] ^ table[2 * 256 + Int((high >> 8) & 0xFF)]
                    ^ table[256 + Int((high >> 16) & 0xFF)] ^ table[Int(high >> 24)]
                pointer += 8
                remaining -= 8
            }
            while remaining > 0 {
                crc = table[Int((crc ^ UInt32(pointer.load(as: UInt8.self))) & 0xFF)] ^ (crc >> 8)
                pointer += 1
                remaining -= 1
            }
        }
        return ~crc
    }

    /// The CRC-32 of a byte sequence (contiguous storage is read in place; anything else is copied once).
    static func checksum(_ bytes: some Sequence<UInt8>, continuing previous: UInt32 = 0) -> UInt32 {
        if let crc = bytes.withContiguousStorageIfAvailable({ checksum(UnsafeRawBufferPointer($0), continuing: previous) }) {
            return crc
        }
        return Array(bytes).withUnsafeBytes { checksum($0, continuing: previous) }
    }
}
