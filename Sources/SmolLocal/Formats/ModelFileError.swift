/// Why a model file (GGUF, safetensors, config.json) could not be read.
///
/// Every case names the file and, where it applies, the byte offset of the problem.
public enum ModelFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file could not be opened or mapped.
    case cannotOpen(path: String, reason: String)
    /// The file ends before a structure that it announces.
    case truncated(path: String, offset: Int, needed: Int, what: String)
    /// The magic number at the start is not the expected one.
    case badMagic(path: String, found: String, expected: String)
    /// A structure is malformed (bad version, bad UTF-8, absurd count, overflow, ...).
    case malformed(path: String, offset: Int, reason: String)
    /// A tensor type this engine does not know.
    case unknownTensorType(path: String, offset: Int, tensor: String, type: String)
    /// A byte range lies (partly) outside the file.
    case outOfBounds(path: String, offset: Int, count: Int, fileSize: Int, what: String)
    /// A tensor, key or file that the model needs is missing.
    case missing(path: String, what: String)
    /// A tensor has a shape or type the model cannot use.
    case badTensor(path: String, tensor: String, reason: String)
    /// A configuration value is missing or out of range.
    case badConfig(path: String, key: String, reason: String)
    /// The model and its KV cache need more memory than this process may use.
    case doesNotFit(path: String, needed: Int, available: Int, detail: String)

    /// A one-line English description naming the file and the location.
    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "\(path): cannot open: \(reason)"
        case .truncated(let path, let offset, let needed, let what):
            return "\(path): truncated at byte \(offset): \(what) needs \(needed) more bytes"
        case .badMagic(let path, let found, let expected):
            return "\(path): bad magic \(found), expected \(expected)"
        case .malformed(let path, let offset, let reason):
            return "\(path): malformed at byte \(offset): \(reason)"
        case .unknownTensorType(let path, let offset, let tensor, let type):
            return "\(path): tensor '\(tensor)' at byte \(offset) has unknown type \(type)"
        case .outOfBounds(let path, let offset, let count, let fileSize, let what):
            return "\(path): \(what) at bytes \(offset)..<\(offset &+ count) lies outside the file (\(fileSize) bytes)"
        case .missing(let path, let what):
            return "\(path): missing \(what)"
        case .badTensor(let path, let tensor, let reason):
            return "\(path): tensor '\(tensor)': \(reason)"
        case .badConfig(let path, let key, let reason):
            return "\(path): config '\(key)': \(reason)"
        case .doesNotFit(let path, let needed, let available, let detail):
            return "\(path): needs \(MemoryBudget.format(needed)) of memory but this process may use "
                + "\(MemoryBudget.format(available)) (\(detail))"
        }
    }
}
