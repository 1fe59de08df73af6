import Foundation
import SmolLocal
import Testing

@Suite("GGUF reader")
struct GGUFReaderTests {
    static func tinyBytes(_ name: String = "tiny-llama-gguf/model-q8_0.gguf") throws -> [UInt8] {
        [UInt8](try FixturePaths.data(try FixturePaths.fixture(name)))
    }

    static func parse(_ bytes: [UInt8]) throws(ModelFileError) -> GGUFFile {
        try GGUFFile(file: try MappedFile(copying: bytes, name: "mem.gguf"))
    }

    @Test("reads the tiny llama GGUF: version, typed metadata, tokenizer arrays and tensor table")
    func readsTinyLlama() throws {
        let gguf = try GGUFFile(path: try FixturePaths.fixture("tiny-llama-gguf/model-q8_0.gguf"))
        #expect(gguf.version == 3)
        #expect(gguf.alignment == 32)
        #expect(gguf.metadata.string("general.architecture") == "llama")
        #expect(gguf.metadata["llama.embedding_length"] == .uint32(64))
        #expect(gguf.metadata.int("llama.block_count") == 2)
        #expect(gguf.metadata.stringArray("tokenizer.ggml.tokens")?.count == 400)
        #expect(gguf.metadata.stringArray("tokenizer.ggml.merges")?.count == 141)
        #expect(gguf.metadata.intArray("tokenizer.ggml.token_type")?.prefix(3) == [3, 3, 3])
        #expect(gguf.metadata.int("tokenizer.ggml.bos_token_id") == 1)
        #expect(gguf.metadata.string("tokenizer.chat_template")?.contains("<|im_start|>") == true)
        #expect(gguf.metadata.keys.first == "general.architecture")
        let q = try #require(gguf.tensor(named: "blk.0.attn_q.weight"))
        #expect(q.type == .q8_0)
        #expect(q.shape == [64, 64])
        #expect(q.byteCount == 64 * 2 * 34)
        #expect(q.offset % 32 == 0 && q.offset >= gguf.dataOffset)
        #expect(try #require(gguf.tensor(named: "blk.0.attn_k.weight")).shape == [32, 64])
        #expect(gguf.tensor(named: "output_norm.weight")?.type == .f32)
        #expect(gguf.tensor(named: "output.weight") == nil)
        let embedding = try #require(gguf.tensor(named: "token_embd.weight"))
        #expect(embedding.offset + embedding.byteCount <= gguf.file.count)
    }

    @Test("the GGUF configuration equals the HF config.json apart from the RoPE layout")
    func configMatchesHF() throws {
        for (gguf, hf, layout) in [("tiny-llama-gguf/model-f32.gguf", "tiny-llama", ModelConfig.RopeLayout.interleaved),
                                   ("tiny-qwen2-gguf/model-f32.gguf", "tiny-qwen2", .rotateHalf)] {
            var fromGGUF = try ModelConfig(gguf: try GGUFFile(path: try FixturePaths.fixture(gguf)))
            let fromHF = try ModelConfig(configJSONAt: try FixturePaths.fixture(hf + "/config.json"))
            #expect(fromGGUF.ropeLayout == layout)
            fromGGUF.ropeLayout = .rotateHalf
            fromGGUF.rmsNormEpsilon = fromHF.rmsNormEpsilon  // GGUF stores it as f32
            #expect(fromGGUF == fromHF, "\(gguf)")
        }
    }

    @Test("every truncation of the header and tensor table is a typed error")
    func truncationsAreTyped() throws {
        let bytes = try Self.tinyBytes()
        let full = try Self.parse(bytes)
        let clock = ContinuousClock()
        let start = clock.now
        var failures = 0
        // Every prefix inside the metadata and tensor table, then a stride through the data.
        let lengths = Array(0..<full.dataOffset) + Array(stride(from: full.dataOffset, to: bytes.count, by: 97))
        for length in lengths {
            do {
                _ = try Self.parse(Array(bytes[0..<length]))
                Issue.record("prefix of \(length) bytes parsed")
            } catch {
                switch error {
                case .truncated(let path, let offset, _, _), .outOfBounds(let path, let offset, _, _, _):
                    #expect(path == "mem.gguf")
                    #expect(offset <= bytes.count)
                    failures += 1
                case .malformed:
                    failures += 1
                default:
                    Issue.record("prefix \(length): unexpected \(error)")
                }
            }
        }
        #expect(failures == lengths.count)
        #expect(clock.now - start < .seconds(60))
    }

    /// The byte offset of the tensor-info entry for `name` (its u64 name length).
    static func tensorInfoOffset(_ bytes: [UInt8], _ name: String) throws -> Int {
        let needle = Array(name.utf8)
        var i = 0
        while i + needle.count <= bytes.count {
            if bytes[i] == needle[0] && Array(bytes[i..<(i + needle.count)]) == needle,
               i >= 8, bytes[i - 8] == UInt8(needle.count) {
                // Tensor infos follow the metadata; the name is not otherwise stored as a length-prefixed string.
                return i - 8
            }
            i += 1
        }
        throw ModelFileError.missing(path: "mem", what: name)
    }

    static func patch<T: FixedWidthInteger>(_ bytes: inout [UInt8], at offset: Int, _ value: T) {
        withUnsafeBytes(of: value.littleEndian) { raw in
            for (k, b) in raw.enumerated() { bytes[offset + k] = b }
        }
    }

    @Test("bad magic, bad version, unknown tensor type, absurd dimensions and bad offsets are typed errors")
    func corruptHeaders() throws {
        let original = try Self.tinyBytes()
        var bytes = original
        bytes[0] = UInt8(ascii: "X")
        #expect { try Self.parse(bytes) } throws: { e in
            if case .badMagic = e as? ModelFileError { return true } else { return false }
        }
        for version: UInt32 in [1, 4, 0xFFFF_FFFF] {
            bytes = original
            Self.patch(&bytes, at: 4, version)
            #expect { try Self.parse(bytes) } throws: { e in
                if case .malformed(_, 4, _) = e as? ModelFileError { return true } else { return false }
            }
        }
        let name = "blk.0.attn_q.weight"
        let info = try Self.tensorInfoOffset(original, name)
        let nDims = info + 8 + name.utf8.count
        let dim0 = nDims + 4
        let type = dim0 + 2 * 8
        let dataOffset = type + 4
        // unknown type id
        bytes = original
        Self.patch(&bytes, at: type, UInt32(77))
        #expect(throws: ModelFileError.unknownTensorType(path: "mem.gguf", offset: type, tensor: name, type: "ggml type 77")) {
            try Self.parse(bytes)
        }
        // absurd dimension and dimension products that overflow
        bytes = original
        Self.patch(&bytes, at: dim0, UInt64(1) << 40)
        #expect { try Self.parse(bytes) } throws: { e in
            if case .malformed(_, dim0, _) = e as? ModelFileError { return true } else { return false }
        }
        // too many dimensions
        bytes = original
        Self.patch(&bytes, at: nDims, UInt32(9))
        #expect { try Self.parse(bytes) } throws: { e in
            if case .malformed(_, nDims, _) = e as? ModelFileError { return true } else { return false }
        }
        // row length not a multiple of the Q8_0 block
        bytes = original
        Self.patch(&bytes, at: dim0, UInt64(33))
        #expect { try Self.parse(bytes) } throws: { e in
            if case .malformed = e as? ModelFileError { return true } else { return false }
        }
        // data offset past the end, and misaligned
        for bad: UInt64 in [UInt64(original.count), 1 << 50, 3] {
            bytes = original
            Self.patch(&bytes, at: dataOffset, bad)
            #expect { try Self.parse(bytes) } throws: { e in
                switch e as? ModelFileError {
                case .outOfBounds, .malformed: return true
                default: return false
                }
            }
        }
        // an array claiming 2^60 elements fails fast instead of allocating
        let tokens = try Self.tensorInfoOffset(original, "tokenizer.ggml.tokens")
        bytes = original
        let countOffset = tokens + 8 + "tokenizer.ggml.tokens".utf8.count + 4 + 4
        Self.patch(&bytes, at: countOffset, UInt64(1) << 60)
        #expect { try Self.parse(bytes) } throws: { e in
            if case .truncated(_, countOffset, _, _) = e as? ModelFileError { return true } else { return false }
        }
        // a huge metadata count
        bytes = original
        Self.patch(&bytes, at: 16, UInt64.max)
        #expect { try Self.parse(bytes) } throws: { e in
            if case .malformed(_, 8, _) = e as? ModelFileError { return true } else { return false }
        }
    }

    @Test("a missing file is a cannotOpen error naming it")
    func missingFile() {
        #expect { try GGUFFile(path: "/nonexistent/x.gguf") } throws: { e in
            if case .cannotOpen("/nonexistent/x.gguf", _) = e as? ModelFileError { return true } else { return false }
        }
    }
}
