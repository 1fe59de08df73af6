import Foundation
import Testing

@testable import SmolLocal

/// Encodes and decodes the committed corpus with each trained tokenizer and compares with what Hugging Face
/// `tokenizers` 0.23.3 produced (scripts/fixtures/make_tokenizer_vectors.py).
@Suite("Byte-level BPE tokenizers match Hugging Face tokenizers")
struct ByteLevelVectorTests {
    static let variants = ["gpt2", "gpt2-prefix", "smollm", "llama3", "qwen2"]

    @Test("encode gives the oracle's ids for every corpus string", arguments: variants)
    func encodeMatches(variant: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(variant)
        let vectors = try TokenizerFixtures.vectors(variant)
        #expect(vectors.count >= 150)
        var mismatches: [String] = []
        for vector in vectors {
            let ids = tokenizer.encode(vector.text)
            if ids != vector.ids {
                mismatches.append("\(vector.testDescription): got \(ids) expected \(vector.ids)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.prefix(12).joined(separator: "\n"))")
    }

    @Test("parseSpecialTokens false leaves special tokens as text, like encode_special_tokens", arguments: variants)
    func specialsAsText(variant: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(variant)
        for vector in try TokenizerFixtures.vectors(variant) {
            let ids = tokenizer.encode(vector.text, parseSpecialTokens: false)
            #expect(ids == vector.idsWithSpecialsAsText, "\(vector.testDescription)")
        }
    }

    @Test("decode gives the oracle's text with and without special tokens", arguments: variants)
    func decodeMatches(variant: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(variant)
        for vector in try TokenizerFixtures.vectors(variant) {
            #expect(try tokenizer.decode(vector.ids) == vector.decoded, "\(vector.testDescription)")
            #expect(
                try tokenizer.decode(vector.ids, skipSpecialTokens: true) == vector.decodedSkippingSpecial,
                "\(vector.testDescription)")
        }
    }

    @Test("streaming detokenization concatenates to the decoded text", arguments: variants)
    func streamingMatchesDecode(variant: String) throws {
        let tokenizer = try TokenizerFixtures.tokenizer(variant)
        for vector in try TokenizerFixtures.vectors(variant) {
            for skip in [false, true] {
                var detokenizer = StreamingDetokenizer(tokenizer: tokenizer, skipSpecialTokens: skip)
                var text = ""
                for id in vector.ids {
                    let piece = try detokenizer.append(id)
                    // Each piece is complete text: no U+FFFD unless the oracle's decode has one too.
                    if piece.contains("\u{FFFD}") { #expect(vector.decoded.contains("\u{FFFD}")) }
                    text += piece
                }
                text += detokenizer.finish()
                #expect(text == (skip ? vector.decodedSkippingSpecial : vector.decoded), "\(vector.testDescription)")
            }
        }
    }

    @Test("addSpecialTokens applies the TemplateProcessing post-processor (Llama-3 BOS)")
    func templateProcessingAddsBOS() throws {
        let tokenizer = try TokenizerFixtures.tokenizer("llama3")
        for vector in try TokenizerFixtures.vectors("llama3") {
            let expected = try #require(vector.idsWithSpecialTokens)
            #expect(tokenizer.encode(vector.text, addSpecialTokens: true) == expected, "\(vector.testDescription)")
        }
    }
}
