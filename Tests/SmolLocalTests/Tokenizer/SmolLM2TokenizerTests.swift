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

    @Test("special token ids come from the GGUF metadata, and EOS is transformers' (smollm2-reference.json)")
    func specialTokens() throws {
        let tokenizer = try Tokenizer(gguf: smolLM2Vocabulary())
        let (root, _) = try Self.entries()
        let control = try #require(root["control_token_ids"]?.arrayValue).compactMap { $0.intValue.map(Int32.init) }
        #expect(tokenizer.specialTokenIDs == Set(control))
        // The ids as the file stores them (raw metadata, not the vocabulary's interpretation).
        let metadata = try GGUFFile(path: try FixturePaths.smolLM2GGUF()).metadata
        let bos = try #require(metadata.int("tokenizer.ggml.bos_token_id"))
        let padding = try #require(metadata.int("tokenizer.ggml.padding_token_id"))
        #expect(tokenizer.bosTokenID == Int32(bos) && tokenizer.paddingTokenID == Int32(padding))
        if metadata.bool("tokenizer.ggml.add_bos_token") == false {
            #expect(tokenizer.encode("Hi", addSpecialTokens: true) == tokenizer.encode("Hi"))
        } else {
            #expect(tokenizer.encode("Hi", addSpecialTokens: true) == [Int32(bos)] + tokenizer.encode("Hi"))
        }
        // transformers' EOS and its greedy answer: the ids before EOS are the tokenization of a recorded text, so the
        // rest of transformers' decoded answer is the EOS token's text.
        let reference = try JSONValue(parsing: [UInt8](FixturePaths.data(FixturePaths.fixture("smollm2-reference.json"))))
        let eos = try #require(reference["eos_token_id"]?.intValue)
        #expect(tokenizer.eosTokenID == Int32(eos))
        #expect(metadata.int("tokenizer.ggml.eos_token_id") == eos)
        let newIDs = try #require(reference["chat"]?["greedy_new_ids"]?.arrayValue).compactMap { $0.intValue.map(Int32.init) }
        let greedyText = try #require(reference["chat"]?["greedy_text"]?.stringValue)
        try #require(newIDs.last == Int32(eos))
        let answerCase = try #require(reference["tokenizer_cases"]?.arrayValue?.first {
            $0["ids"]?.arrayValue?.compactMap { $0.intValue.map(Int32.init) } == Array(newIDs.dropLast())
        }, "a tokenizer case holds the answer before EOS")
        let answerText = try #require(answerCase["text"]?.stringValue)
        try #require(greedyText.hasPrefix(answerText))
        #expect(tokenizer.token(for: Int32(eos)) == String(greedyText.dropFirst(answerText.count)))
        #expect(try tokenizer.decode(newIDs) == greedyText)
        #expect(try tokenizer.decode(newIDs, skipSpecialTokens: true) == answerText)
    }
}
