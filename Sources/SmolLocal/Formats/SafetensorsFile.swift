import SmolCore

/// A safetensors file: a little-endian u64 header length, a JSON header, then raw tensor data, mapped read-only.
///
/// Every tensor's byte range is checked against the file and its shape and dtype, and no two tensors may overlap.
public struct SafetensorsFile: Sendable {
    /// The mapped file.
    public let file: MappedFile
    /// The tensors in header order.
    public let tensors: [TensorRef]
    /// The optional `__metadata__` string map.
    public let metadata: [String: String]
    private let byName: [String: Int]

    /// Header sizes above this are treated as corrupt (real headers are well under a few MB).
    static let maxHeaderBytes = 100_000_000
    /// The most JSON values (keys included) a header may hold: about 12 per tensor, so 160,000 tensors,
    /// far beyond any real file, while the parsed header stays around a hundred MB at worst.
    static let maxHeaderValues = 2_000_000

    /// Opens and parses the safetensors file at `path`.
    public init(path: String) throws(ModelFileError) {
        try self.init(file: try MappedFile(path: path))
    }

    /// Parses an already mapped safetensors file.
    public init(file: MappedFile) throws(ModelFileError) {
        self.file = file
        let path = file.path
        var r = ByteReader(file.allBytes, path: path)
        let headerLength = try r.read(UInt64.self, "safetensors header length")
        guard headerLength <= UInt64(SafetensorsFile.maxHeaderBytes) else {
            throw .malformed(path: path, offset: 0, reason: "header length \(headerLength) is absurd")
        }
        let headerBytes = try r.slice(Int(headerLength), "safetensors JSON header")
        // A 100 MB header of `0,0,0,…` would parse into 50 million boxed values (gigabytes): count first.
        guard JSONValueBudget.valueCount(headerBytes, limit: Self.maxHeaderValues) <= Self.maxHeaderValues else {
            throw .malformed(path: path, offset: 8, reason: "header holds more than \(Self.maxHeaderValues) JSON values")
        }
        let header: JSONValue
        do {
            header = try JSONValue(parsing: headerBytes)
        } catch {
            throw .malformed(path: path, offset: 8 + error.position, reason: "header JSON: \(error.message)")
        }
        guard let object = header.objectValue else {
            throw .malformed(path: path, offset: 8, reason: "header is not a JSON object")
        }
        let dataStart = 8 + Int(headerLength)
        let dataSize = file.count - dataStart
        var tensors: [TensorRef] = []
        var metadata: [String: String] = [:]
        var byName: [String: Int] = [:]
        for (name, entry) in object {
            if name == "__metadata__" {
                // mlx's `save_safetensors` writes `"__metadata__": null` when there is none.
                if entry.isNull { continue }
                guard let meta = entry.objectValue else {
                    throw .malformed(path: path, offset: 8, reason: "__metadata__ is not an object")
                }
                for (k, v) in meta {
                    guard let s = v.stringValue else {
                        throw .malformed(path: path, offset: 8, reason: "__metadata__['\(k)'] is not a string")
                    }
                    metadata[k] = s
                }
                continue
            }
            guard let dtypeName = entry["dtype"]?.stringValue,
                  let shapeValues = entry["shape"]?.arrayValue,
                  let offsets = entry["data_offsets"]?.arrayValue, offsets.count == 2,
                  let begin = offsets[0].intValue, let end = offsets[1].intValue else {
                throw .malformed(path: path, offset: 8, reason: "tensor '\(name)' lacks dtype, shape or data_offsets")
            }
            guard let type = SafetensorsFile.tensorType(dtypeName) else {
                throw .unknownTensorType(path: path, offset: 8, tensor: name, type: dtypeName)
            }
            var shape: [Int] = []
            for v in shapeValues {
                guard let d = v.intValue, d >= 0, d <= Int(Int32.max) else {
                    throw .malformed(path: path, offset: 8, reason: "tensor '\(name)' has an invalid dimension \(v)")
                }
                shape.append(d)
            }
            guard let count = checkedProduct(shape) else {
                throw .malformed(path: path, offset: 8, reason: "tensor '\(name)' shape \(shape) overflows")
            }
            let (bytes, overflow) = count.multipliedReportingOverflow(by: type.blockBytes)
            guard !overflow, begin >= 0, end >= begin, end - begin == bytes else {
                throw .malformed(path: path, offset: 8,
                                 reason: "tensor '\(name)' data_offsets [\(begin), \(end)] do not match \(dtypeName) \(shape)")
            }
            guard end <= dataSize else {
                throw .outOfBounds(path: path, offset: dataStart + begin, count: bytes, fileSize: file.count, what: "data of tensor '\(name)'")
            }
            byName[name] = tensors.count
            tensors.append(TensorRef(name: name, type: type, shape: shape, file: file, offset: dataStart + begin, byteCount: bytes))
        }
        let sorted = tensors.filter { $0.byteCount > 0 }.sorted { $0.offset < $1.offset }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.offset + a.byteCount > b.offset {
            throw .malformed(path: path, offset: a.offset, reason: "tensors '\(a.name)' and '\(b.name)' overlap")
        }
        self.tensors = tensors
        self.metadata = metadata
        self.byName = byName
    }

    /// The tensor named `name`, if the file has it.
    public func tensor(named name: String) -> TensorRef? {
        byName[name].map { tensors[$0] }
    }

    static func tensorType(_ dtype: String) -> TensorType? {
        switch dtype {
        case "F32": return .f32
        case "F16": return .f16
        case "BF16": return .bf16
        case "U32": return .u32
        case "I32": return .i32
        case "I64": return .i64
        case "F64": return .f64
        case "I16": return .i16
        case "I8": return .i8
        default: return nil
        }
    }
}
