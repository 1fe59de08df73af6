import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// The real SmolLM2-135M-Instruct vocabulary (49,152 tokens, 48,900 merges, pre "smollm") against ids that
/// llama.cpp and Hugging Face `tokenizers` both produced (scripts/fixtures/make_smollm2_tokenizer_vectors.py).
@Suite("SmolLM2 GGUF vocabulary")
struct SmolLM2TokenizerTests {
    struct Entry {
        var text: String
        var llamaCppIDs: [Int32]
        var tokenizersIDs: [Int32]
        var llamaCppIDsSpecialsAsText: [Int32]
        var decoded: String
    }

    static func entries() throws -> (JSONValue, [Entry]) {
        let root = try TokenizerFixtures.json("smollm2-gguf-vectors.json")
        let entries = try #require(root["entries"]?.arrayValue).map { entry in
            func ids(_ key: String) throws -> [Int32] {
                try #require(entry[key]?.arrayValue).map { try #require($0.intValue.flatMap { Int32(exactly: $0) }) }
            }
            return Entry(
                text: try #require(entry["text"]?.stringValue), llamaCppIDs: try ids("llama_cpp_ids"),
                tokenizersIDs: try ids("tokenizers_ids"),
                llamaCppIDsSpecialsAsText: try ids("llama_cpp_ids_specials_as_text"), decoded: try #require(entry["tokenizers_decoded"]?.stringValue))
        }
        return (root, entries)
    }

    @Test("encodes like llama.cpp and tokenizers, decodes like tokenizers")
    func matchesOracles() throws {
        let tokenizer = try Tokenizer(gguf: smolLM2Vocabulary())
        let (root, entries) = try Self.entries()
        #expect(tokenizer.vocabularySize == root["vocabulary_size"]?.intValue)
        #expect(entries.count >= 40)
        for entry in entries {
            let ids = tokenizer.encode(entry.text)
            #expect(ids == entry.llamaCppIDs, "\(entry.text.debugDescription)")
            #expect(ids == entry.tokenizersIDs, "\(entry.text.debugDescription)")
            #expect(
                tokenizer.encode(entry.text, parseSpecialTokens: false) == entry.llamaCppIDsSpecialsAsText,
                "\(entry.text.debugDescription)")
            #expect(try tokenizer.decode(entry.llamaCppIDs) == entry.decoded, "\(entry.text.debugDescription)")
        }
    }

    @Test("special token ids come from the GGUF metadata")
    func specialTokens() throws {
        let tokenizer = try Tokenizer(gguf: smolLM2Vocabulary())
        let (root, _) = try Self.entries()
        let control = try #require(root["control_token_ids"]?.arrayValue).compactMap { $0.intValue.map(Int32.init) }
        #expect(tokenizer.specialTokenIDs == Set(control))
        #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenID == 2 && tokenizer.paddingTokenID == 2)
        #expect(tokenizer.token(for: 2) == "<|im_end|>")
        #expect(tokenizer.encode("Hi", addSpecialTokens: true) == tokenizer.encode("Hi"))  // add_bos_token = false
        // The reference greedy answer from the spec: "The capital of France is Paris.<|im_end|>".
        #expect(
            try tokenizer.decode([504, 3575, 282, 4649, 314, 7042, 30, 2], skipSpecialTokens: true)
                == "The capital of France is Paris.")
    }
}
