import Foundation
import SmolLocal
import Testing

@Suite("sharded HF checkpoints")
struct ShardedCheckpointTests {
    static let firstShard = "model-00001-of-00002.safetensors"
    static let secondShard = "model-00002-of-00002.safetensors"

    /// Which shard a tiny-llama tensor is written to: alternating in the single file's order.
    static func shardAssignment() throws -> [String: String] {
        let names = try SafetensorsFile(path: try FixturePaths.fixture("tiny-llama") + "/model.safetensors").tensors.map(\.name)
        var map: [String: String] = [:]
        for (i, name) in names.enumerated() { map[name] = i % 2 == 0 ? firstShard : secondShard }
        return map
    }

    /// A temporary copy of tiny-llama whose tensors are split over two shards with an index. Each shard holds
    /// only the tensors `shardAssignment` gives it (no overlap), so a tensor is found only through the index;
    /// `indexMutation` then edits the index alone.
    static func makeShardedCopy(indexMutation: (inout [String: String]) -> Void = { _ in }) throws -> String {
        let source = try FixturePaths.fixture("tiny-llama")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("smol-sharded-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: source + "/config.json", toPath: dir + "/config.json")
        let file = try SafetensorsFile(path: source + "/model.safetensors")
        var map = try shardAssignment()
        for shard in [firstShard, secondShard] {
            try writeSafetensors(file.tensors.filter { map[$0.name] == shard }, metadata: file.metadata, to: dir + "/" + shard)
        }
        indexMutation(&map)
        let entries = map.keys.sorted().map { "\"\($0)\": \"\(map[$0]!)\"" }.joined(separator: ", ")
        try "{\"metadata\": {}, \"weight_map\": {\(entries)}}".write(toFile: dir + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        return dir
    }

    /// Writes `tensors` (their dtype, shape and bytes) as a safetensors file with `metadata`.
    static func writeSafetensors(_ tensors: [TensorRef], metadata: [String: String], to path: String) throws {
        let meta = metadata.keys.sorted().map { "\"\($0)\":\"\(metadata[$0]!)\"" }.joined(separator: ",")
        var header: [String] = ["\"__metadata__\":{\(meta)}"]
        var data = [UInt8]()
        for t in tensors {
            let begin = data.count
            data += Array(t.bytes)
            header.append("\"\(t.name)\":{\"dtype\":\"\(t.type.description)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(begin),\(data.count)]}")
        }
        var json = Array(("{" + header.joined(separator: ",") + "}").utf8)
        while json.count % 8 != 0 { json.append(0x20) }
        var out = [UInt8]()
        withUnsafeBytes(of: UInt64(json.count).littleEndian) { out += $0 }
        try Data(out + json + data).write(to: URL(fileURLWithPath: path))
    }

    @Test("a model loads from an index over two disjoint shards, each tensor from its own shard, with the single-file logits")
    func loadsShards() throws {
        let dir = try Self.makeShardedCopy()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let checkpoint = try SafetensorsCheckpoint(directory: dir)
        let single = try SafetensorsFile(path: try FixturePaths.fixture("tiny-llama") + "/model.safetensors")
        let assignment = try Self.shardAssignment()
        #expect(checkpoint.tensors.count == single.tensors.count)
        #expect(assignment.values.contains(Self.firstShard) && assignment.values.contains(Self.secondShard))
        for tensor in single.tensors {
            let shard = try #require(assignment[tensor.name])
            let loaded = try #require(checkpoint.tensors[tensor.name], "\(tensor.name)")
            #expect(loaded.file.path.hasSuffix("/" + shard), "\(tensor.name) is read from \(loaded.file.path), not \(shard)")
            #expect(Array(loaded.bytes) == Array(tensor.bytes), "\(tensor.name)")
        }
        for shard in [Self.firstShard, Self.secondShard] {
            let stored = Set(try SafetensorsFile(path: dir + "/" + shard).tensors.map(\.name))
            #expect(stored == Set(assignment.filter { $0.value == shard }.keys), "\(shard) holds only its own tensors")
        }
        let sharded = try InferenceSession(model: try LlamaModel(contentsOf: dir))
        let reference = try InferenceSession(model: try LlamaModel(contentsOf: try FixturePaths.fixture("tiny-llama")))
        try sharded.prefill([1, 85, 91, 85, 325])
        try reference.prefill([1, 85, 91, 85, 325])
        #expect(Array(sharded.logits) == Array(reference.logits))
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
