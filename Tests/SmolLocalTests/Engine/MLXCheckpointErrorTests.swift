import Foundation
import SmolLocal
import Testing

/// Broken or unsupported MLX checkpoints are typed errors naming the file and the tensor or key.
@Suite("MLX checkpoint errors and sharding")
struct MLXCheckpointErrorTests {
    struct StoredTensor {
        var name: String
        var dtype: String
        var shape: [Int]
        var bytes: [UInt8]
    }

    /// A temporary copy of an MLX fixture variant whose config and tensors went through the mutations.
    /// `shardOf` (when given) assigns every tensor to a shard file named by its result, with an index.
    static func copy(_ variant: String = "q4-bf16", config: (inout [String: Any]) -> Void = { _ in },
                     tensors: (inout [StoredTensor]) -> Void = { _ in },
                     shardOf: ((String) -> String)? = nil) throws -> String {
        let source = try FixturePaths.fixture("tiny-llama-mlx/" + variant)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smol-mlx-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for file in ["tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "generation_config.json"] {
            try FileManager.default.copyItem(atPath: source + "/" + file, toPath: dir + "/" + file)
        }
        var json = try #require(try JSONSerialization.jsonObject(with: try FixturePaths.data(source + "/config.json")) as? [String: Any])
        config(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: dir + "/config.json"))
        let file = try SafetensorsFile(path: source + "/model.safetensors")
        var stored = file.tensors.map { StoredTensor(name: $0.name, dtype: $0.type.description, shape: $0.shape, bytes: Array($0.bytes)) }
        tensors(&stored)
        guard let shardOf else {
            try write(stored, to: dir + "/model.safetensors")
            return dir
        }
        var shards: [String: [StoredTensor]] = [:]
        for t in stored { shards[shardOf(t.name), default: []].append(t) }
        for (name, list) in shards { try write(list, to: dir + "/" + name) }
        let map = stored.map { "\"\($0.name)\": \"\(shardOf($0.name))\"" }.joined(separator: ", ")
        try "{\"metadata\": {}, \"weight_map\": {\(map)}}".write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        return dir
    }

    static func write(_ tensors: [StoredTensor], to path: String) throws {
        var header: [String] = ["\"__metadata__\":{\"format\":\"mlx\"}"]
        var data = [UInt8]()
        for t in tensors {
            let begin = data.count
            data += t.bytes
            header.append("\"\(t.name)\":{\"dtype\":\"\(t.dtype)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(data.count)]}")
        }
        var json = Array(("{" + header.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        try Data(out + json + data).write(to: URL(fileURLWithPath: path))
    }

    static func loadError(_ dir: String) -> ModelFileError? {
        do {
            _ = try LlamaModel(contentsOf: dir)
            return nil
        } catch {
            return error
        }
    }

    static func setQuantization(_ key: String, _ value: Any) -> (inout [String: Any]) -> Void {
        { json in
            for section in ["quantization", "quantization_config"] {
                var q = json[section] as? [String: Any] ?? [:]
                q[key] = value
                json[section] = q
            }
        }
    }

    @Test("a non-affine mode (mxfp4) is refused by name")
    func mxfp4Refused() throws {
        let dir = try FixturePaths.fixture("tiny-llama-mlx/mxfp4")
        #expect(Self.loadError(dir) == .badConfig(path: dir + "/config.json", key: "quantization.mode",
                                                   reason: "quantization mode 'mxfp4' is not supported (only 'affine')"))
    }

    @Test("config values that contradict the tensors, or are unsupported, are typed errors naming them")
    func configErrors() throws {
        let cases: [(String, (inout [String: Any]) -> Void, (ModelFileError) -> Bool)] = [
            ("bits 8 declared for 4-bit codes", Self.setQuantization("bits", 8), {
                if case .badTensor(let path, "model.embed_tokens.weight", let reason) = $0 { return path.hasSuffix("model.safetensors") && reason.contains("implies") }
                return false
            }),
            ("group size 32 declared for groups of 64", Self.setQuantization("group_size", 32), {
                if case .badTensor(_, "model.embed_tokens.scales", let reason) = $0 { return reason.contains("group size") }
                return false
            }),
            ("7 bits", Self.setQuantization("bits", 7), {
                if case .badConfig(_, "quantization.bits", _) = $0 { return true }
                return false
            }),
            ("a quantized module declared `false`", Self.setQuantization("model.layers.0.self_attn.q_proj", false), {
                if case .badConfig(_, "quantization.model.layers.0.self_attn.q_proj", _) = $0 { return true }
                return false
            }),
            ("an override in another mode", Self.setQuantization("model.layers.1.mlp.up_proj", ["bits": 4, "group_size": 32, "mode": "nvfp4"]), {
                if case .badConfig(_, "quantization.model.layers.1.mlp.up_proj.mode", _) = $0 { return true }
                return false
            }),
            ("no quantization section", { $0["quantization"] = nil; $0["quantization_config"] = nil }, {
                if case .badConfig(_, "quantization", let reason) = $0 { return reason.contains("model.embed_tokens") }
                return false
            }),
            ("a transformers quant_method", { $0["quantization"] = nil; $0["quantization_config"] = ["quant_method": "gptq", "bits": 4] }, {
                if case .badConfig(_, "quantization_config.quant_method", _) = $0 { return true }
                return false
            }),
        ]
        for (what, mutation, check) in cases {
            let dir = try Self.copy(config: mutation)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let error = Self.loadError(dir)
            #expect(error.map(check) == true, "\(what): \(error.map(String.init(describing:)) ?? "loaded")")
        }
    }

    @Test("missing biases or scales, mismatched shapes and wrong types are typed errors naming file and tensor")
    func tensorErrors() throws {
        let cases: [(String, (inout [StoredTensor]) -> Void, (ModelFileError) -> Bool)] = [
            ("biases removed", { $0.removeAll { $0.name == "model.layers.1.mlp.up_proj.biases" } }, {
                if case .missing(let path, let what) = $0 { return path.hasSuffix("model.safetensors") && what.contains("model.layers.1.mlp.up_proj.biases") }
                return false
            }),
            ("scales removed from U32 codes", { $0.removeAll { $0.name == "model.layers.0.self_attn.k_proj.scales" } }, {
                if case .missing(_, let what) = $0 { return what.contains("model.layers.0.self_attn.k_proj.scales") }
                return false
            }),
            ("biases of another shape", { ts in
                if let i = ts.firstIndex(where: { $0.name == "model.layers.0.mlp.gate_proj.biases" }) {
                    ts[i].shape = [64, 2]  // 128 rows × 1 group stored as 64 × 2: same bytes, wrong shape
                }
            }, {
                if case .badTensor(_, "model.layers.0.mlp.gate_proj.biases", _) = $0 { return true }
                return false
            }),
            ("scales as I32", { ts in
                if let i = ts.firstIndex(where: { $0.name == "model.layers.0.mlp.up_proj.scales" }) {
                    ts[i].dtype = "I16"
                }
            }, {
                if case .badTensor(_, "model.layers.0.mlp.up_proj.scales", let reason) = $0 { return reason.contains("I16") }
                return false
            }),
            ("codes with a missing row", { ts in
                if let i = ts.firstIndex(where: { $0.name == "model.layers.1.self_attn.o_proj.weight" }) {
                    ts[i].shape = [63, 8]
                    ts[i].bytes.removeLast(32)
                }
            }, {
                if case .badTensor(_, "model.layers.1.self_attn.o_proj.weight", _) = $0 { return true }
                return false
            }),
        ]
        for (what, mutation, check) in cases {
            let dir = try Self.copy(tensors: mutation)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let error = Self.loadError(dir)
            #expect(error.map(check) == true, "\(what): \(error.map(String.init(describing:)) ?? "loaded")")
        }
    }

    @Test("a checkpoint sharded over two files with an index gives the single-file logits")
    func sharded() throws {
        let dir = try Self.copy(shardOf: { $0.hasPrefix("model.layers.1.") ? "model-00002-of-00002.safetensors" : "model-00001-of-00002.safetensors" })
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let sharded = try InferenceSession(model: try LlamaModel(contentsOf: dir))
        let single = try InferenceSession(model: try LlamaModel(contentsOf: try FixturePaths.fixture("tiny-llama-mlx/q4-bf16")))
        try sharded.prefill([1, 85, 91, 85, 325])
        try single.prefill([1, 85, 91, 85, 325])
        #expect(Array(sharded.logits) == Array(single.logits))
        #expect(try SafetensorsCheckpoint(directory: dir).tensors["model.layers.1.mlp.up_proj.scales"]?.file.path.hasSuffix("00002-of-00002.safetensors") == true)
    }
}
