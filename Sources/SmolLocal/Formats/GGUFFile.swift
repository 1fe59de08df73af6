/// A GGUF model file (versions 2 and 3): metadata, tensor descriptions and the tensors' data, mapped read-only.
///
/// Parsing checks every count, size and offset against the file, so a truncated or corrupt file throws a
/// ``ModelFileError`` naming the byte offset instead of crashing or reading outside the mapping.
public struct GGUFFile: Sendable {
    /// The mapped file.
    public let file: MappedFile
    /// The GGUF version (2 or 3).
    public let version: Int
    /// The metadata key/value pairs in file order.
    public let metadata: GGUFMetadata
    /// The tensors in file order.
    public let tensors: [TensorRef]
    /// The data alignment (`general.alignment`, default 32).
    public let alignment: Int
    /// The absolute offset where tensor data starts.
    public let dataOffset: Int
    private let byName: [String: Int]

    /// The largest number of dimensions ggml supports.
    static let maxDimensions = 4

    /// Opens and parses the GGUF file at `path`.
    public init(path: String) throws(ModelFileError) {
        try self.init(file: try MappedFile(path: path))
    }

    /// Parses an already mapped GGUF file.
    public init(file: MappedFile) throws(ModelFileError) {
        self.file = file
        let path = file.path
        var r = ByteReader(file.allBytes, path: path)
        guard file.count >= 4 else {
            throw .truncated(path: path, offset: 0, needed: 4 - file.count, what: "GGUF magic")
        }
        let magic = try r.slice(4, "GGUF magic")
        guard Array(magic) == Array("GGUF".utf8) else {
            throw .badMagic(path: path, found: magic.map { String($0, radix: 16) }.joined(separator: " "), expected: "GGUF")
        }
        let versionOffset = r.offset
        let version = try r.read(UInt32.self, "GGUF version")
        guard version == 2 || version == 3 else {
            throw .malformed(path: path, offset: versionOffset, reason: "unsupported GGUF version \(version) (expected 2 or 3)")
        }
        self.version = Int(version)
        let countsOffset = r.offset
        let tensorCount = try r.read(UInt64.self, "tensor count")
        let kvCount = try r.read(UInt64.self, "metadata count")
        // Each key/value pair needs at least 8 (key length) + 4 (type) + 1 bytes, each tensor info 8+4+8+4+8.
        guard kvCount <= UInt64(r.remaining / 13), tensorCount <= UInt64(r.remaining / 32) else {
            throw .malformed(path: path, offset: countsOffset, reason: "tensor count \(tensorCount) / metadata count \(kvCount) cannot fit in the file")
        }
        var metadata = GGUFMetadata()
        var budget = MetadataBudget(fileSize: file.count)
        for _ in 0..<Int(kvCount) {
            let keyOffset = r.offset
            let key = try r.readGGUFString("metadata key")
            // The key, its boxed value and its index entry: a rough upper bound of what one pair costs.
            try budget.spend(key.utf8.count + 4 * MemoryLayout<GGUFValue>.stride, at: keyOffset, path: path)
            let value = try GGUFFile.readValue(&r, key: key, file: file, budget: &budget)
            if !metadata.append(key, value) {
                throw .malformed(path: path, offset: keyOffset, reason: "duplicate metadata key '\(key)'")
            }
        }
        self.metadata = metadata
        var alignment = 32
        if let a = metadata["general.alignment"] {
            guard let v = a.intValue, v > 0, v.nonzeroBitCount == 1, v <= 1 << 20 else {
                throw .malformed(path: path, offset: 0, reason: "general.alignment must be a power of two, got \(a)")
            }
            alignment = v
        }
        self.alignment = alignment

        struct Info { var name: String; var dims: [Int]; var type: TensorType; var relative: Int; var bytes: Int; var at: Int }
        var infos: [Info] = []
        infos.reserveCapacity(Int(tensorCount))
        var seen = Set<String>()
        for _ in 0..<Int(tensorCount) {
            let at = r.offset
            let name = try r.readGGUFString("tensor name")
            guard seen.insert(name).inserted else {
                throw .malformed(path: path, offset: at, reason: "duplicate tensor name '\(name)'")
            }
            let nDimsOffset = r.offset
            let nDims = try r.read(UInt32.self, "tensor '\(name)' dimension count")
            guard nDims >= 1, nDims <= UInt32(GGUFFile.maxDimensions) else {
                throw .malformed(path: path, offset: nDimsOffset, reason: "tensor '\(name)' has \(nDims) dimensions (1...4 allowed)")
            }
            var dims: [Int] = []
            for _ in 0..<Int(nDims) {
                let dOffset = r.offset
                let d = try r.read(UInt64.self, "tensor '\(name)' dimension")
                guard d <= UInt64(Int32.max) else {
                    throw .malformed(path: path, offset: dOffset, reason: "tensor '\(name)' has an absurd dimension \(d)")
                }
                dims.append(Int(d))
            }
            let typeOffset = r.offset
            let rawType = try r.read(UInt32.self, "tensor '\(name)' type")
            guard rawType < 1000, let type = TensorType(rawValue: Int(rawType)) else {
                throw .unknownTensorType(path: path, offset: typeOffset, tensor: name, type: "ggml type \(rawType)")
            }
            let relOffset = r.offset
            let rel = try r.read(UInt64.self, "tensor '\(name)' offset")
            guard let count = checkedProduct(dims), dims[0] % type.blockSize == 0,
                  let rowBytes = type.rowBytes(dims[0]) else {
                throw .malformed(path: path, offset: nDimsOffset, reason: "tensor '\(name)' shape \(dims) is invalid for \(type)")
            }
            let (bytes, overflow) = rowBytes.multipliedReportingOverflow(by: dims[0] == 0 ? 0 : count / dims[0])
            guard !overflow, rel <= UInt64(Int.max / 2), Int(rel) % alignment == 0 else {
                throw .malformed(path: path, offset: relOffset, reason: "tensor '\(name)' offset \(rel) is misaligned or absurd")
            }
            infos.append(Info(name: name, dims: dims, type: type, relative: Int(rel), bytes: bytes, at: at))
        }
        let (padded, o) = r.offset.addingReportingOverflow(alignment - 1)
        guard !o else { throw .malformed(path: path, offset: r.offset, reason: "offset overflow") }
        let dataOffset = padded / alignment * alignment
        self.dataOffset = dataOffset
        var tensors: [TensorRef] = []
        var byName: [String: Int] = [:]
        for info in infos {
            let absolute = dataOffset + info.relative
            guard absolute <= file.count, info.bytes <= file.count - absolute else {
                throw .outOfBounds(path: path, offset: absolute, count: info.bytes, fileSize: file.count,
                                   what: "data of tensor '\(info.name)' (described at byte \(info.at))")
            }
            byName[info.name] = tensors.count
            tensors.append(TensorRef(name: info.name, type: info.type, shape: info.dims.reversed(),
                                     file: file, offset: absolute, byteCount: info.bytes))
        }
        self.tensors = tensors
        self.byName = byName
    }

    /// The tensor named `name`, if the file has it.
    public func tensor(named name: String) -> TensorRef? {
        byName[name].map { tensors[$0] }
    }

    private static func readValue(_ r: inout ByteReader, key: String, file: MappedFile, budget: inout MetadataBudget)
        throws(ModelFileError) -> GGUFValue
    {
        let typeOffset = r.offset
        let type = try r.read(UInt32.self, "type of '\(key)'")
        return try readValue(&r, type: type, typeOffset: typeOffset, key: key, depth: 0, file: file, budget: &budget)
    }

    private static func readValue(_ r: inout ByteReader, type: UInt32, typeOffset: Int, key: String, depth: Int,
                                  file: MappedFile, budget: inout MetadataBudget) throws(ModelFileError) -> GGUFValue
    {
        let what = "value of '\(key)'"
        switch type {
        case 0: return .uint8(try r.read(UInt8.self, what))
        case 1: return .int8(try r.read(Int8.self, what))
        case 2: return .uint16(try r.read(UInt16.self, what))
        case 3: return .int16(try r.read(Int16.self, what))
        case 4: return .uint32(try r.read(UInt32.self, what))
        case 5: return .int32(try r.read(Int32.self, what))
        case 6: return .float32(try r.readF32(what))
        case 7:
            let at = r.offset
            let b = try r.read(UInt8.self, what)
            guard b <= 1 else { throw .malformed(path: r.path, offset: at, reason: "bool '\(key)' has value \(b)") }
            return .bool(b == 1)
        case 8:
            let text = try r.readGGUFString(what)
            try budget.spend(text.utf8.count, at: typeOffset, path: r.path)
            return .string(text)
        case 9:
            guard depth < 8 else { throw .malformed(path: r.path, offset: typeOffset, reason: "arrays nested too deeply in '\(key)'") }
            let elemTypeOffset = r.offset
            let elemType = try r.read(UInt32.self, "array element type of '\(key)'")
            let countOffset = r.offset
            let count = try r.read(UInt64.self, "array length of '\(key)'")
            let minSize: UInt64
            switch elemType {
            case 0, 1, 7: minSize = 1
            case 2, 3: minSize = 2
            case 4, 5, 6: minSize = 4
            case 8, 10, 11, 12: minSize = 8
            case 9: minSize = 12
            default:
                throw .malformed(path: r.path, offset: elemTypeOffset, reason: "unknown metadata value type \(elemType) in array '\(key)'")
            }
            guard count <= UInt64(r.remaining) / minSize else {
                throw .truncated(path: r.path, offset: countOffset, needed: Int(clamping: count &* minSize) - r.remaining,
                                 what: "array '\(key)' of \(count) elements")
            }
            let elementCount = Int(count)
            if let size = GGUFArray.scalarSize(elemType) {
                // Numbers and bools stay in the file: the array is a view, so its memory does not grow with it.
                let start = r.offset
                let raw = try r.slice(elementCount * size, "array '\(key)' of \(count) elements")
                if elemType == 7, let bad = raw.firstIndex(where: { $0 > 1 }) {
                    throw .malformed(path: r.path, offset: start + bad, reason: "bool in array '\(key)' has value \(raw[bad])")
                }
                return .array(GGUFArray(.scalars(type: elemType, file: file, offset: start, count: elementCount)))
            }
            if elemType == 8 {
                // One offset per string: never more memory than the 8-byte length prefix each has in the file.
                try budget.spend(elementCount * MemoryLayout<Int>.stride, at: countOffset, path: r.path)
                var offsets: [Int] = []
                offsets.reserveCapacity(elementCount)
                let what = "string in array '\(key)'"
                for _ in 0..<elementCount {
                    offsets.append(r.offset)
                    try r.skipGGUFString(what)
                }
                return .array(GGUFArray(.strings(file: file, offsets: offsets)))
            }
            try budget.spend(elementCount * MemoryLayout<GGUFValue>.stride, at: countOffset, path: r.path)
            var items: [GGUFValue] = []
            items.reserveCapacity(elementCount)
            for _ in 0..<elementCount {
                items.append(try readValue(&r, type: elemType, typeOffset: elemTypeOffset, key: key, depth: depth + 1,
                                           file: file, budget: &budget))
            }
            return .array(GGUFArray(.arrays(items)))
        case 10: return .uint64(try r.read(UInt64.self, what))
        case 11: return .int64(try r.read(Int64.self, what))
        case 12: return .float64(try r.readF64(what))
        default:
            throw .malformed(path: r.path, offset: typeOffset, reason: "unknown metadata value type \(type) for '\(key)'")
        }
    }
}

/// The memory that parsed metadata may take, bounded by the file's size.
///
/// Numeric arrays cost nothing (they are views of the file) and string arrays one `Int` per element, but
/// nested arrays, strings and many small pairs are boxed; without a bound a small hostile file could still
/// ask for several times its size. Real files spend almost all of their bytes on tensors, so their metadata
/// is far below this.
struct MetadataBudget {
    /// What may still be spent.
    private(set) var remaining: Int
    /// The total allowed: the file's size plus 1 MiB so that tiny test files are not refused.
    let limit: Int

    init(fileSize: Int) {
        limit = fileSize + (1 << 20)
        remaining = limit
    }

    mutating func spend(_ bytes: Int, at offset: Int, path: String) throws(ModelFileError) {
        guard bytes >= 0, bytes <= remaining else {
            throw .malformed(path: path, offset: offset,
                             reason: "metadata would need more than \(limit) bytes of memory (the file's size plus 1 MiB)")
        }
        remaining -= bytes
    }
}
