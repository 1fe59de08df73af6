import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// Issue 13: a checkpoint of the new families with an inconsistent config or a missing tensor is a typed
/// error naming the file, the key or tensor, and what was expected; a model that does not fit in memory
/// is refused before decoding.
@Suite("New families: config and tensor errors, memory budget")
struct FamilyLoadingErrorTests {
    /// A fixture's config.json with `change` applied, parsed.
    static func config(_ fixture: String, _ change: (inout [String: Any]) -> Void) throws -> ModelConfig {
        let path = try FixturePaths.fixture("\(fixture)/config.json")
        var json = try #require(JSONSerialization.jsonObject(with: FixturePaths.data(path)) as? [String: Any])
        change(&json)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: json), as: UTF8.self)
        return try ModelConfig(hfConfig: try JSONValue(parsing: text), path: "config.json")
    }

    static func badKey(_ error: ModelFileError) -> String? {
        if case .badConfig(_, let key, _) = error { return key }
        return nil
    }

    /// Each case: the fixture, the key the error must name, and the change that breaks it.
    static let brokenConfigs: [(fixture: String, key: String, change: String)] = [
        ("tiny-qwen3moe", "num_experts_per_tok", "too many experts per token"),
        ("tiny-qwen3moe", "num_experts", "no expert count"),
        ("tiny-gemma3", "layer_types", "one layer type for six layers"),
        ("tiny-gemma3", "layer_types[0]", "unknown layer type"),
        ("tiny-gemma2", "sliding_window", "sliding layers without a window"),
        ("tiny-gemma2", "attn_logit_softcapping", "negative soft cap"),
        ("tiny-phi3", "partial_rotary_factor", "rotary factor above 1"),
        ("tiny-phi3", "rope_scaling", "yarn scaling"),
        ("tiny-phi3-longrope", "rope_scaling", "three short factors"),
        ("tiny-smollm3", "no_rope_layers", "two flags for four layers"),
        ("tiny-gemma3", "model_type", "the vision-language checkpoint"),
    ]

    static func breakConfig(_ json: inout [String: Any], _ change: String) {
        switch change {
        case "too many experts per token": json["num_experts_per_tok"] = 9
        case "no expert count": json["num_local_experts"] = nil
        case "one layer type for six layers": json["layer_types"] = ["full_attention"]
        case "unknown layer type": json["layer_types"] = Array(repeating: "chunked", count: 6)
        case "sliding layers without a window": json["sliding_window"] = NSNull()
        case "negative soft cap": json["attn_logit_softcapping"] = -1.0
        case "rotary factor above 1": json["partial_rotary_factor"] = 1.5
        case "yarn scaling": json["rope_scaling"] = ["rope_type": "yarn", "factor": 4.0]
        case "three short factors":
            var scaling = json["rope_scaling"] as? [String: Any] ?? [:]
            scaling["short_factor"] = [1.0, 1.0, 1.0]
            json["rope_scaling"] = scaling
        case "two flags for four layers": json["no_rope_layers"] = [1, 1]
        case "the vision-language checkpoint": json["model_type"] = "gemma3"
        default: Issue.record("unknown change \(change)")
        }
    }

    @Test("inconsistent family settings are errors naming the key", arguments: brokenConfigs.indices)
    func inconsistentConfig(_ index: Int) throws {
        let (fixture, key, change) = Self.brokenConfigs[index]
        let error = #expect(throws: ModelFileError.self, "\(change)") { try Self.config(fixture) { Self.breakConfig(&$0, change) } }
        #expect(error.flatMap(Self.badKey) == key, "\(change): \(String(describing: error))")
        #expect(error?.description.contains("config.json") == true)
    }

    /// A copy of `fixture` whose config.json is changed, with the weights linked in place.
    static func folder(_ fixture: String, _ change: (inout [String: Any]) -> Void) throws -> String {
        let source = try FixturePaths.fixture(fixture)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("family-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: source) where name != "config.json" {
            try FileManager.default.createSymbolicLink(atPath: folder + "/" + name, withDestinationPath: source + "/" + name)
        }
        var json = try #require(JSONSerialization.jsonObject(with: FixturePaths.data(source + "/config.json")) as? [String: Any])
        change(&json)
        try JSONSerialization.data(withJSONObject: json).write(to: URL(fileURLWithPath: folder + "/config.json"))
        return folder
    }

    @Test("weights that do not match the config name the tensor and what was expected")
    func tensorMismatches() throws {
        // Phi-3 with one KV head: its fused qkv_proj holds 128 rows, the config implies 64 + 16 + 16.
        let phi = try Self.folder("tiny-phi3") { $0["num_key_value_heads"] = 1 }
        let fused = #expect(throws: ModelFileError.self) { _ = try LlamaModel(checkpointDirectory: phi) }
        #expect(fused?.description.contains("model.layers.0.self_attn.qkv_proj.weight") == true, "\(String(describing: fused))")
        #expect(fused?.description.contains("96 rows") == true, "\(String(describing: fused))")
        // Qwen3 declared over Llama weights: the per-head norms are missing.
        let qwen = try Self.folder("tiny-llama") { $0["model_type"] = "qwen3" }
        let norms = #expect(throws: ModelFileError.self) { _ = try LlamaModel(checkpointDirectory: qwen) }
        #expect(norms == .missing(path: qwen, what: "tensor 'model.layers.0.self_attn.q_norm.weight'"))
        // Qwen3-MoE declared over dense Qwen3 weights: the router is missing.
        let moe = try Self.folder("tiny-qwen3") {
            $0["model_type"] = "qwen3_moe"
            $0["num_experts"] = 4
            $0["num_experts_per_tok"] = 2
            $0["moe_intermediate_size"] = 32
        }
        let router = #expect(throws: ModelFileError.self) { _ = try LlamaModel(checkpointDirectory: moe) }
        #expect(router == .missing(path: moe, what: "tensor 'model.layers.0.mlp.gate.weight'"))
    }

    @Test("cgroup memory limits: v2 memory.max ('max' is none), v1 limit_in_bytes (huge is none)")
    func cgroupMemoryLimits() throws {
        #expect(MemoryBudget.bytes(limitText: "max\n") == nil)
        #expect(MemoryBudget.bytes(limitText: "1073741824\n") == 1_073_741_824)
        #expect(MemoryBudget.bytes(limitText: "9223372036854771712") == nil)
        #expect(MemoryBudget.bytes(limitText: "lots") == nil)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("memcg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/memory", withIntermediateDirectories: true)
        #expect(MemoryBudget.cgroupLimit(root: root) == nil)
        try "536870912\n".write(toFile: root + "/memory/memory.limit_in_bytes", atomically: true, encoding: .utf8)
        #expect(MemoryBudget.cgroupLimit(root: root) == 536_870_912)
        try "268435456\n".write(toFile: root + "/memory.max", atomically: true, encoding: .utf8)
        #expect(MemoryBudget.cgroupLimit(root: root) == 268_435_456)
        let limit = try #require(MemoryBudget.limit)
        #expect(limit > 1 << 26)
    }

    @Test("a model whose weights and KV cache exceed the memory limit is refused, naming both sizes")
    func doesNotFit() throws {
        let model = try LlamaModel(contentsOf: try FixturePaths.fixture("tiny-llama"))
        let weights = model.weightBytes
        #expect(weights > 0 && weights < 2_000_000)
        let c = model.config
        #expect(model.cacheBytes(contextLength: 100) == 2 * c.layerCount * c.kvHeadCount * c.headDim * 2 * 100)
        #expect(model.cacheBytes(contextLength: 100, cacheType: .f32) == 2 * model.cacheBytes(contextLength: 100))
        try MemoryBudget.check(weightBytes: weights, cacheBytes: 1000, source: "m.gguf", limit: weights + 1000)
        let error = #expect(throws: ModelFileError.self) {
            try MemoryBudget.check(weightBytes: 3_000_000_000, cacheBytes: 2_000_000_000, source: "m.gguf", limit: 4_000_000_000)
        }
        #expect(error == .doesNotFit(path: "m.gguf", needed: 5_000_000_000, available: 4_000_000_000,
                                     detail: "weights 3.0 GB + KV cache 2.0 GB; a shorter contextLength makes the cache smaller"))
        #expect(error?.description == "m.gguf: needs 5.0 GB of memory but this process may use 4.0 GB "
                + "(weights 3.0 GB + KV cache 2.0 GB; a shorter contextLength makes the cache smaller)")
    }
}
