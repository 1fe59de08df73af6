import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// A GGUF "gpt2" vocabulary holds the same tokens and merges as `tokenizer.json`; built from the fixture files
/// the way llama.cpp's converter writes them, it must give the ids Hugging Face `tokenizers` gave.
@Suite("GGUF byte-level vocabularies")
struct GGUFVocabularyTests {
    /// The vocabulary `convert_hf_to_gguf.py` would write for a fixture tokenizer.json.
    static func vocabulary(fromFixture variant: String, pre: String) throws -> GGUFVocabulary {
        let root = try TokenizerFixtures.json("\(variant)/tokenizer.json")
        let vocab = try #require(root["model"]?["vocab"]?.objectValue)
        var tokens: [String?] = Array(repeating: nil, count: vocab.count)
        for (token, id) in vocab {
            let index = try #require(id.intValue)
            if index >= tokens.count { tokens += Array(repeating: nil, count: index + 1 - tokens.count) }
            tokens[index] = token
        }
        var types = [Int32](repeating: GGUFVocabulary.TokenType.normal.rawValue, count: tokens.count)
        for added in try #require(root["added_tokens"]?.arrayValue) {
            let index = try #require(added["id"]?.intValue)
            if index >= tokens.count {
                tokens += Array(repeating: nil, count: index + 1 - tokens.count)
                types += Array(repeating: GGUFVocabulary.TokenType.normal.rawValue, count: index + 1 - types.count)
            }
            tokens[index] = try #require(added["content"]?.stringValue)
            let special = added["special"]?.boolValue ?? false
            types[index] = (special ? GGUFVocabulary.TokenType.control : .userDefined).rawValue
        }
        let merges = try #require(root["model"]?["merges"]?.arrayValue).map { merge -> String in
            if let line = merge.stringValue { return line }
            return (merge.arrayValue ?? []).compactMap(\.stringValue).joined(separator: " ")
        }
        return GGUFVocabulary(
            model: "gpt2", pre: pre, tokens: try tokens.map { try #require($0) }, tokenTypes: types, merges: merges,
            bosID: 1, eosID: 2, addBOS: false)
    }

    @Test(
        "a GGUF vocabulary built from tokenizer.json encodes like tokenizers",
        arguments: [("gpt2", "gpt2"), ("smollm", "smollm"), ("llama3", "llama-bpe"), ("qwen2", "qwen2")])
    func matchesTokenizers(variant: String, pre: String) throws {
        let tokenizer = try Tokenizer(gguf: Self.vocabulary(fromFixture: variant, pre: pre))
        var compared = 0
        for vector in try TokenizerFixtures.vectors(variant) {
            // llama.cpp's qwen2 pre-tokenizer skips the NFC normalizer, and GGUF has no lstrip/rstrip/single_word.
            if vector.text.contains("ABC") { continue }
            if variant == "qwen2",
                vector.text.precomposedStringWithCanonicalMapping.unicodeScalars.elementsEqual(vector.text.unicodeScalars)
                    == false || vector.text.contains("[MASK]")
            {
                continue
            }
            #expect(tokenizer.encode(vector.text) == vector.ids, "\(vector.testDescription)")
            #expect(try tokenizer.decode(vector.ids, skipSpecialTokens: true) == vector.decodedSkippingSpecial)
            compared += 1
        }
        #expect(compared >= 150)
        #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenID == 2)
        let toolCall = try #require(tokenizer.id(for: "<tool_call>"))
        #expect(tokenizer.isSpecial(1) && !tokenizer.isSpecial(toolCall))
    }

    @Test("an unknown GGUF pre-tokenizer name is a typed error naming the key")
    func unknownPre() throws {
        var vocabulary = try Self.vocabulary(fromFixture: "gpt2", pre: "gpt2")
        vocabulary.pre = "deepseek-llm"
        #expect(throws: TokenizerError.unsupported(path: "tokenizer.ggml.pre", value: "deepseek-llm")) {
            try Tokenizer(gguf: vocabulary)
        }
        vocabulary.pre = "gpt2"
        vocabulary.model = "bert"
        #expect(throws: TokenizerError.unsupported(path: "tokenizer.ggml.model", value: "bert")) {
            try Tokenizer(gguf: vocabulary)
        }
    }

    @Test("malformed GGUF vocabularies are typed errors naming the key and index")
    func malformedVocabulary() throws {
        let good = try Self.vocabulary(fromFixture: "gpt2", pre: "gpt2")
        var vocabulary = good
        vocabulary.merges?[7] = "nospace"
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: vocabulary) }
        do {
            _ = try Tokenizer(gguf: vocabulary)
        } catch {
            #expect(error.description.contains("tokenizer.ggml.merges[7]"))
        }
        vocabulary = good
        vocabulary.merges?[3] = "Ġ zzzz"
        #expect(throws: TokenizerError.invalidMerge(path: "tokenizer.ggml.merges[3]", merge: "Ġ zzzz")) {
            try Tokenizer(gguf: vocabulary)
        }
        vocabulary = good
        vocabulary.tokenTypes?.removeLast()
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: vocabulary) }
        vocabulary = good
        vocabulary.eosID = Int32(good.tokens.count)
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: vocabulary) }
        vocabulary = good
        vocabulary.tokenTypes?[5] = 9
        #expect(throws: TokenizerError.self) { try Tokenizer(gguf: vocabulary) }
    }
}
