import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// A GGUF "llama" (SentencePiece BPE, byte fallback) vocabulary against SentencePiece itself and llama.cpp
/// (scripts/fixtures/make_sentencepiece_vectors.py).
@Suite("SentencePiece BPE vocabularies")
struct SentencePieceTests {
    struct Entry {
        var text: String
        var sentencePieceIDs: [Int32]
        var sentencePieceDecoded: String
        var llamaCppIDs: [Int32]
        var llamaCppDetokenized: String
    }

    static func vocabulary() throws -> GGUFVocabulary {
        let root = try TokenizerFixtures.json("sentencepiece/vocabulary.json")
        return GGUFVocabulary(
            model: try #require(root["model"]?.stringValue),
            tokens: try #require(root["tokens"]?.arrayValue).map { try #require($0.stringValue) },
            tokenTypes: try #require(root["token_types"]?.arrayValue).map { try #require($0.intValue.map(Int32.init)) },
            scores: try #require(root["scores"]?.arrayValue).map { try #require($0.doubleValue.map(Float.init)) },
            bosID: 1, eosID: 2, unknownID: 0, addBOS: root["add_bos"]?.boolValue,
            addSpacePrefix: root["add_space_prefix"]?.boolValue)
    }

    static func entries() throws -> [Entry] {
        try #require(TokenizerFixtures.json("sentencepiece/vectors.json")["entries"]?.arrayValue).map { entry in
            func ids(_ key: String) throws -> [Int32] {
                try #require(entry[key]?.arrayValue).map { try #require($0.intValue.flatMap { Int32(exactly: $0) }) }
            }
            return Entry(
                text: try #require(entry["text"]?.stringValue), sentencePieceIDs: try ids("sentencepiece_ids"),
                sentencePieceDecoded: try #require(entry["sentencepiece_decoded"]?.stringValue),
                llamaCppIDs: try ids("llama_cpp_ids"),
                llamaCppDetokenized: try #require(entry["llama_cpp_detokenized"]?.stringValue))
        }
    }

    @Test("encodes like llama.cpp, and like SentencePiece where no user-defined token is involved")
    func encodeMatches() throws {
        let tokenizer = try Tokenizer(gguf: Self.vocabulary())
        let entries = try Self.entries()
        #expect(entries.count >= 150)
        var compared = 0
        for entry in entries {
            let ids = tokenizer.encode(entry.text)
            #expect(ids == entry.llamaCppIDs, "\(entry.text.debugDescription)")
            // llama.cpp (and so this tokenizer) puts a fresh ▁ after a special token; SentencePiece does not.
            if !entry.text.contains("<|im_") {
                #expect(ids == entry.sentencePieceIDs, "\(entry.text.debugDescription)")
                compared += 1
            }
        }
        #expect(compared >= 150)
    }

    @Test("decodes like SentencePiece and streams the same text")
    func decodeMatches() throws {
        let tokenizer = try Tokenizer(gguf: Self.vocabulary())
        for entry in try Self.entries() where !entry.text.contains("<|im_") {
            let decoded = try tokenizer.decode(entry.sentencePieceIDs, skipSpecialTokens: true)
            #expect(decoded == entry.sentencePieceDecoded, "\(entry.text.debugDescription)")
            var detokenizer = StreamingDetokenizer(tokenizer: tokenizer, skipSpecialTokens: true)
            var streamed = ""
            for id in entry.sentencePieceIDs { streamed += try detokenizer.append(id) }
            streamed += detokenizer.finish()
            #expect(streamed == decoded, "\(entry.text.debugDescription)")
        }
    }

    @Test("addSpecialTokens adds BOS (add_bos_token), and control tokens are special")
    func specialTokens() throws {
        let tokenizer = try Tokenizer(gguf: Self.vocabulary())
        #expect(tokenizer.encode("Hello", addSpecialTokens: true) == [1] + tokenizer.encode("Hello"))
        #expect(tokenizer.specialTokenIDs == [1, 2])
        #expect(tokenizer.token(for: 1) == "<s>")
        #expect(try tokenizer.decode([1] + tokenizer.encode("Hello"), skipSpecialTokens: true) == "Hello")
    }

    @Test("a vocabulary without byte tokens or unknown token is a typed error")
    func missingByteTokens() throws {
        var vocabulary = try Self.vocabulary()
        vocabulary.unknownID = nil
        vocabulary.tokenTypes = vocabulary.tokenTypes?.map { $0 == 6 ? 1 : $0 }
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: vocabulary) }
        vocabulary = try Self.vocabulary()
        vocabulary.scores = nil
        #expect(throws: TokenizerError.missingField(path: "tokenizer.ggml.scores")) { try Tokenizer(gguf: vocabulary) }
    }
}
