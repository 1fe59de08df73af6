import Foundation
import SmolLocal
import Testing

@Suite("safetensors reader")
struct SafetensorsReaderTests {
    static func parse(_ bytes: [UInt8]) throws(ModelFileError) -> SafetensorsFile {
        try SafetensorsFile(file: try MappedFile(copying: bytes, name: "mem.safetensors"))
    }

    /// A safetensors file with the given header JSON and `dataBytes` zero bytes of data.
    static func make(_ header: String, dataBytes: Int) -> [UInt8] {
        var out = [UInt8]()
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { out += $0 }
        return out + h + [UInt8](repeating: 0, count: dataBytes)
    }

    @Test("reads the tiny llama checkpoint: names, dtypes, shapes and in-bounds data")
    func readsTinyLlama() throws {
        let file = try SafetensorsFile(path: try FixturePaths.fixture("tiny-llama/model.safetensors"))
        let embed = try #require(file.tensor(named: "model.embed_tokens.weight"))
        #expect(embed.type == .f32)
        #expect(embed.shape == [400, 64])
        #expect(embed.byteCount == 400 * 64 * 4)
        #expect(file.tensor(named: "lm_head.weight") == nil)
        #expect(file.tensors.count == 2 * 9 + 2)
        let checkpoint = try SafetensorsCheckpoint(directory: try FixturePaths.fixture("tiny-qwen2"))
        #expect(checkpoint.tensors["model.layers.1.self_attn.q_proj.bias"]?.shape == [64])
    }

    @Test("reads F16, BF16, U32 and I32 tensors and the metadata map")
    func readsDtypes() throws {
        let header = #"{"__metadata__":{"format":"mlx"},"a":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"BF16","shape":[4],"data_offsets":[8,16]},"c":{"dtype":"U32","shape":[1,2],"data_offsets":[16,24]},"#
            + #""d":{"dtype":"I32","shape":[],"data_offsets":[24,28]}}"#
        let file = try Self.parse(Self.make(header, dataBytes: 28))
        #expect(file.metadata == ["format": "mlx"])
        #expect(file.tensor(named: "a")?.type == .f16)
        #expect(file.tensor(named: "b")?.type == .bf16)
        #expect(file.tensor(named: "c")?.type == .u32)
        #expect(file.tensor(named: "d")?.shape == [])
        #expect(file.tensor(named: "d")?.elementCount == 1)
    }

    @Test("corrupt headers are typed errors", arguments: [
        (#"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}"#, 12, "overlap"),
        (#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}"#, 8, "shape mismatch"),
        (#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, 8, "past the end"),
        (#"{"a":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}"#, 4, "unknown dtype"),
        (#"{"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#, 4, "absurd shape"),
        (#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#, 4, "negative dimension"),
        (#"{"a":{"dtype":"F32","shape":[1]}}"#, 4, "missing offsets"),
        (#"{"a":"#, 0, "bad JSON"),
        (#"[1,2]"#, 0, "not an object"),
    ])
    func corruptHeaders(_ header: String, _ dataBytes: Int, _ what: String) {
        #expect(throws: ModelFileError.self, "\(what)") { try Self.parse(Self.make(header, dataBytes: dataBytes)) }
    }

    @Test("every truncation of a real file, and an absurd header length, are typed errors")
    func truncations() throws {
        let bytes = [UInt8](try FixturePaths.data(try FixturePaths.fixture("tiny-llama/model.safetensors")))
        for length in Array(0..<2200) + Array(stride(from: 2200, to: bytes.count, by: 1009)) {
            #expect(throws: ModelFileError.self, "prefix \(length)") { try Self.parse(Array(bytes[0..<length])) }
        }
        var huge = bytes
        withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { for (i, b) in $0.enumerated() { huge[i] = b } }
        #expect { try Self.parse(huge) } throws: { e in
            if case .malformed(_, 0, _) = e as? ModelFileError { return true } else { return false }
        }
    }
}
