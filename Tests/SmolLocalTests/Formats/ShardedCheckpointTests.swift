import Foundation
import SmolLocal
import Testing

@Suite("sharded HF checkpoints")
struct ShardedCheckpointTests {
    /// A temporary copy of tiny-llama whose tensors are split over two shards with an index.
    static func makeShardedCopy(indexMutation: (inout [String: String]) -> Void = { _ in }) throws -> String {
        let source = try FixturePaths.fixture("tiny-llama")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smol-sharded-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source + "/config.json", toPath: dir + "/config.json")
        // Two identical shard files; the index decides which tensor is read from which.
        try FileManager.default.copyItem(atPath: source + "/model.safetensors", toPath: dir + "/model-00001-of-00002.safetensors")
        try FileManager.default.copyItem(atPath: source + "/model.safetensors", toPath: dir + "/model-00002-of-00002.safetensors")
        let names = try SafetensorsFile(path: source + "/model.safetensors").tensors.map(\.name)
        var map: [String: String] = [:]
        for (i, name) in names.enumerated() {
            map[name] = i % 2 == 0 ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors"
        }
        indexMutation(&map)
        let entries = map.keys.sorted().map { "\"\($0)\": \"\(map[$0]!)\"" }.joined(separator: ", ")
        try "{\"metadata\": {}, \"weight_map\": {\(entries)}}".write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        return dir
    }

    @Test("a model loads from an index over two shards and gives the single-file logits")
    func loadsShards() throws {
        let dir = try Self.makeShardedCopy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let checkpoint = try SafetensorsCheckpoint(directory: dir)
        #expect(checkpoint.tensors["model.embed_tokens.weight"]?.file.path.hasSuffix("00001-of-00002.safetensors") == true)
        let sharded = try InferenceSession(model: try LlamaModel(contentsOf: dir))
        let single = try InferenceSession(model: try LlamaModel(contentsOf: try FixturePaths.fixture("tiny-llama")))
        try sharded.prefill([1, 85, 91, 85, 325])
        try single.prefill([1, 85, 91, 85, 325])
        #expect(Array(sharded.logits) == Array(single.logits))
    }

    @Test("an index naming a missing shard, a path outside the folder or an absent tensor is a typed error")
    func badIndexes() throws {
        let cases: [(String, (inout [String: String]) -> Void)] = [
            ("missing shard", { $0["model.norm.weight"] = "model-00003-of-00003.safetensors" }),
            ("path outside", { $0["model.norm.weight"] = "../model.safetensors" }),
            ("absent tensor", { $0["model.layers.9.mlp.up_proj.weight"] = "model-00001-of-00002.safetensors" }),
        ]
        for (what, mutation) in cases {
            let dir = try Self.makeShardedCopy(indexMutation: mutation)
            defer { try? FileManager.default.removeItem(atPath: dir) }
            #expect(throws: ModelFileError.self, "\(what)") { try SafetensorsCheckpoint(directory: dir) }
        }
        let dir = try Self.makeShardedCopy { $0.removeValue(forKey: "model.norm.weight") }
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(throws: ModelFileError.missing(path: dir, what: "tensor 'model.norm.weight'")) { try LlamaModel(contentsOf: dir) }
    }
}
