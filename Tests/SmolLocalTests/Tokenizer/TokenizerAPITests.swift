import Foundation
import Testing

@testable import SmolLocal

@Suite("Tokenizer lookups, special tokens and streaming")
struct TokenizerAPITests {
    @Test("token ↔ id lookups agree with tokenizer.json and tokenizer_config.json")
    func lookups() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("smollm")
        let root = try TokenizerFixtures.json("smollm/tokenizer.json")
        let vocab = try #require(root["model"]?["vocab"]?.objectValue)
        #expect(tokenizer.vocabularySize == vocab.count + 3)  // + <tool_call>, </tool_call>, ABC
        for (token, id) in vocab {
            let expected = try #require(id.intValue.map(Int32.init))
            #expect(tokenizer.id(for: token) == expected)
            #expect(tokenizer.token(for: expected) == token)
        }
        #expect(tokenizer.bosTokenID == tokenizer.id(for: "<|im_start|>"))
        #expect(tokenizer.eosTokenID == tokenizer.id(for: "<|im_end|>"))
        #expect(tokenizer.paddingTokenID == tokenizer.id(for: "<|im_end|>"))
        #expect(tokenizer.unknownTokenID == tokenizer.id(for: "<|endoftext|>"))
        #expect(tokenizer.specialTokenIDs == [0, 1, 2])
        #expect(tokenizer.token(for: Int32(tokenizer.vocabularySize)) == nil)
        #expect(tokenizer.token(for: -1) == nil)
    }

    @Test("decoding an out-of-range id is a typed error")
    func outOfRange() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2")
        let size = tokenizer.vocabularySize
        #expect(throws: TokenizerError.idOutOfRange(id: Int32(size), vocabularySize: size)) {
            try tokenizer.decode([5, Int32(size)])
        }
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        #expect(throws: TokenizerError.idOutOfRange(id: -3, vocabularySize: size)) { try detokenizer.append(-3) }
    }

    /// The ids of the single-byte tokens for the UTF-8 bytes of `text`.
    static func byteIDs(_ text: String, _ tokenizer: Tokenizer) throws -> [Int32] {
        try text.utf8.map { byte in try #require(tokenizer.id(for: String(ByteLevelAlphabet.characters[Int(byte)]))) }
    }

    @Test("a character split over byte tokens is held back until complete")
    func holdsBackPartialCharacters() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2")
        let ids = try Self.byteIDs("a😀é", tokenizer)
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        let pieces = try ids.map { try detokenizer.append($0) }
        #expect(pieces == ["a", "", "", "", "😀", "", "é"])
        #expect(detokenizer.finish() == "")
    }

    @Test("finish flushes a dangling partial character as U+FFFD, like errors=\"replace\"")
    func flushesDanglingBytes() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2")
        let ids = try Self.byteIDs("x😀", tokenizer).dropLast()
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        var text = ""
        for id in ids { text += try detokenizer.append(id) }
        #expect(text == "x")
        #expect(detokenizer.finish() == "\u{FFFD}")
        #expect(try tokenizer.decode(Array(ids)) == "x\u{FFFD}")
    }

    @Test("bytes that can never form a character are replaced at once, not held back")
    func invalidBytesAreNotHeld() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("gpt2")
        // 0xC0 is never valid; 0xE0 0x80 is an invalid start (E0 needs A0...BF next).
        let ids = try [0xC0, 0x41, 0xE0, 0x80].map { byte in
            try #require(tokenizer.id(for: String(ByteLevelAlphabet.characters[byte])))
        }
        var detokenizer = StreamingDetokenizer(tokenizer: tokenizer)
        #expect(try detokenizer.append(ids[0]) == "\u{FFFD}")
        #expect(try detokenizer.append(ids[1]) == "A")
        #expect(try detokenizer.append(ids[2]) == "")
        #expect(try detokenizer.append(ids[3]) == "\u{FFFD}\u{FFFD}")
    }

    @Test("special tokens are split out mid-word and skipped on request")
    func specialTokens() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("qwen2")
        let start = try #require(tokenizer.id(for: "<|im_start|>"))
        let ids = tokenizer.encode("ab<|im_start|>cd")
        #expect(ids.contains(start))
        #expect(try tokenizer.decode(ids, skipSpecialTokens: true) == "abcd")
        #expect(try tokenizer.decode(ids) == "ab<|im_start|>cd")
    }

    @Test("copies of a tokenizer encode concurrently with identical results")
    func concurrentEncoding() async throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama3")
        let vectors = try TokenizerFixtures.vectors("llama3")
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<4 {
                group.addTask { vectors.allSatisfy { tokenizer.encode($0.text) == $0.ids } }
            }
            for try await result in group { #expect(result) }
        }
    }

    @Test("very long words and runs round-trip (the merge loop is not quadratic, the cache skips long words)")
    func longInputs() throws {
        for variant in ["llama3", "gpt2"] {
            let tokenizer = try TokenizerFixtures.tokenizer(variant)
            for text in [
                String(repeating: "a", count: 200_000), String(repeating: "ab", count: 50_000) + " x",
                String(repeating: " ", count: 50_000), String(repeating: "日本語", count: 20_000),
                String(repeating: "1", count: 30_000),
            ] {
                let ids = tokenizer.encode(text)
                #expect(!ids.isEmpty)
                #expect(try tokenizer.decode(ids) == text)
            }
        }
    }
}
