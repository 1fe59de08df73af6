#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SmolCore

/// The tensors of a Hugging Face checkpoint folder: one `model.safetensors`, or the shards listed in
/// `model.safetensors.index.json`.
public struct SafetensorsCheckpoint: Sendable {
    /// The folder.
    public let directory: String
    /// Every tensor by name.
    public let tensors: [String: TensorRef]

    /// Opens the checkpoint in `directory`.
    public init(directory: String) throws(ModelFileError) {
        self.directory = directory
        let indexPath = directory + "/model.safetensors.index.json"
        var result: [String: TensorRef] = [:]
        if access(indexPath, R_OK) == 0 {
            let index = try readJSONFile(indexPath)
            guard let map = index["weight_map"]?.objectValue else {
                throw .badConfig(path: indexPath, key: "weight_map", reason: "missing or not an object")
            }
            var shards: [String: SafetensorsFile] = [:]
            for (name, value) in map {
                guard let shard = value.stringValue, !shard.contains("/"), !shard.hasPrefix(".") else {
                    throw .badConfig(path: indexPath, key: "weight_map.\(name)", reason: "not a file name in the folder")
                }
                if shards[shard] == nil {
                    shards[shard] = try SafetensorsFile(path: directory + "/" + shard)
                }
                guard let tensor = shards[shard]?.tensor(named: name) else {
                    throw .missing(path: directory + "/" + shard, what: "tensor '\(name)' listed in the index")
                }
                result[name] = tensor
            }
        } else {
            let file = try SafetensorsFile(path: directory + "/model.safetensors")
            for t in file.tensors { result[t.name] = t }
        }
        self.tensors = result
    }
}

/// Reads and parses a JSON file, mapping failures to ``ModelFileError``.
func readJSONFile(_ path: String) throws(ModelFileError) -> JSONValue {
    let file = try MappedFile(path: path)
    do {
        return try JSONValue(parsing: file.allBytes)
    } catch {
        throw .malformed(path: path, offset: error.position, reason: "JSON: \(error.message)")
    }
}
