import SmolCore

/// The `quantization` (or `quantization_config`) section of an MLX checkpoint's `config.json`: the default
/// bits and group size, and per-module overrides (`"model.layers.0.mlp.down_proj": {"bits": 6, ...}`, or
/// `false` for a module left unquantized), as mlx-lm writes and reads them.
///
/// Only MLX's `affine` mode is supported; `mxfp4`, `nvfp4`, `mxfp8` and transformers' `quant_method`
/// configurations (GPTQ, AWQ, ...) are typed errors.
public struct MLXQuantization: Sendable, Equatable {
    /// How one module is stored.
    public enum Setting: Sendable, Equatable {
        /// Affine-quantized with these parameters.
        case affine(bits: Int, groupSize: Int)
        /// Not quantized (an override set to `false`).
        case none
    }

    /// The default bits per weight.
    public let bits: Int
    /// The default group size.
    public let groupSize: Int
    /// Overrides by module path (`model.layers.0.mlp.down_proj`).
    public let overrides: [String: Setting]

    /// Reads the section from a parsed `config.json`; nil when the checkpoint is not quantized.
    public init?(config json: JSONValue, path: String) throws(ModelFileError) {
        let key: String
        let section: JSONValue
        if let q = json["quantization"], !q.isNull {
            (key, section) = ("quantization", q)
        } else if let q = json["quantization_config"], !q.isNull {
            (key, section) = ("quantization_config", q)
        } else {
            return nil
        }
        guard section.objectValue != nil else { throw .badConfig(path: path, key: key, reason: "not an object") }
        if let method = section["quant_method"]?.stringValue {
            throw .badConfig(path: path, key: key + ".quant_method",
                             reason: "'\(method)' checkpoints are not supported (only MLX affine quantization)")
        }
        let (bits, groupSize) = try Self.parameters(section, key: key, path: path, defaults: nil)
        var overrides: [String: Setting] = [:]
        for (name, value) in section.objectValue ?? [:] {
            switch value {
            case .bool(false):
                overrides[name] = Setting.none
            case .object:
                let p = try Self.parameters(value, key: key + "." + name, path: path, defaults: (bits, groupSize))
                overrides[name] = .affine(bits: p.bits, groupSize: p.groupSize)
            default:
                continue  // bits, group_size, mode, and flags such as `true`
            }
        }
        self.bits = bits
        self.groupSize = groupSize
        self.overrides = overrides
    }

    /// The setting of the module at `modulePath`.
    public func setting(for modulePath: String) -> Setting {
        overrides[modulePath] ?? .affine(bits: bits, groupSize: groupSize)
    }

    private static func parameters(_ section: JSONValue, key: String, path: String,
                                   defaults: (Int, Int)?) throws(ModelFileError) -> (bits: Int, groupSize: Int) {
        let mode = section["mode"]?.stringValue ?? "affine"
        guard mode == "affine" else {
            throw .badConfig(path: path, key: key + ".mode",
                             reason: "quantization mode '\(mode)' is not supported (only 'affine')")
        }
        func int(_ name: String, _ fallback: Int?) throws(ModelFileError) -> Int {
            guard let value = section[name], !value.isNull else {
                if let fallback { return fallback }
                throw .badConfig(path: path, key: key + "." + name, reason: "missing")
            }
            guard let i = value.intValue else { throw .badConfig(path: path, key: key + "." + name, reason: "not an integer: \(value)") }
            return i
        }
        let bits = try int("bits", defaults?.0)
        let groupSize = try int("group_size", defaults?.1)
        guard [2, 3, 4, 5, 6, 8].contains(bits) else {
            throw .badConfig(path: path, key: key + ".bits", reason: "\(bits) bits is not supported (2, 3, 4, 5, 6 or 8)")
        }
        guard groupSize >= 32, groupSize <= 1024, groupSize % 32 == 0 else {
            throw .badConfig(path: path, key: key + ".group_size", reason: "group size \(groupSize) is not supported (32, 64, 128, ...)")
        }
        return (bits, groupSize)
    }
}
