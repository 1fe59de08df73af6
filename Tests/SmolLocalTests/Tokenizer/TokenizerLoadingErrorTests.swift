import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// Broken or unsupported tokenizer.json files must fail loudly, naming the field, instead of mis-tokenizing.
@Suite("tokenizer.json load errors")
struct TokenizerLoadingErrorTests {
    /// The qwen2 fixture with `edit` applied to its JSON.
    static func load(_ edit: (inout JSONObject) -> Void) throws -> Tokenizer {
        guard case .object(var root) = try TokenizerFixtures.json("qwen2/tokenizer.json") else {
            throw TokenizerError.invalidField(path: "", reason: "fixture is not an object")
        }
        edit(&root)
        return try Tokenizer(tokenizerJSON: Array(JSONEmitter().string(from: .object(root)).utf8))
    }

    static func setting(_ value: JSONValue, at path: [String], in object: inout JSONObject) {
        guard let first = path.first else { return }
        if path.count == 1 {
            object[first] = value
            return
        }
        var child = object[first]?.objectValue ?? JSONObject()
        setting(value, at: Array(path.dropFirst()), in: &child)
        object[first] = .object(child)
    }

    @Test("the unedited fixture loads (the edits below are what breaks it)")
    func baselineLoads() throws {
        _ = try Self.load { _ in }
    }

    @Test("malformed JSON is reported with its position")
    func malformedJSON() {
        #expect(throws: TokenizerError.self) { try Tokenizer(tokenizerJSON: Array("{\"model\": [".utf8)) }
        do {
            _ = try Tokenizer(tokenizerJSON: Array("{\"model\": [".utf8))
        } catch {
            #expect(error.description.contains("tokenizer.json"))
            #expect(error.description.contains("line 1"))
        }
    }

    @Test("an unknown model type names model.type")
    func unknownModel() {
        #expect(throws: TokenizerError.unsupported(path: "model.type", value: "WordPiece")) {
            try Self.load { Self.setting("WordPiece", at: ["model", "type"], in: &$0) }
        }
    }

    @Test("an unknown normalizer names its path")
    func unknownNormalizer() {
        #expect(throws: TokenizerError.unsupported(path: "normalizer.type", value: "NFKC")) {
            try Self.load { Self.setting("NFKC", at: ["normalizer", "type"], in: &$0) }
        }
    }

    @Test("an unknown pre-tokenizer or regex names its path")
    func unknownPreTokenizer() {
        #expect(throws: TokenizerError.unsupported(path: "pre_tokenizer.type", value: "Metaspace")) {
            try Self.load { $0["pre_tokenizer"] = ["type": "Metaspace"] }
        }
        #expect(throws: TokenizerError.unsupported(path: "pre_tokenizer.pattern.Regex", value: "\"\\\\w+\"")) {
            try Self.load {
                $0["pre_tokenizer"] = [
                    "type": "Split", "pattern": ["Regex": "\\w+"], "behavior": "Isolated", "invert": false,
                ]
            }
        }
        #expect(throws: TokenizerError.unsupported(path: "pre_tokenizer", value: "a pre-tokenizer without ByteLevel")) {
            try Self.load { $0["pre_tokenizer"] = ["type": "Digits", "individual_digits": true] }
        }
    }

    @Test("byte_fallback BPE (SentencePiece-style tokenizer.json) is rejected")
    func byteFallback() {
        #expect(throws: TokenizerError.unsupported(path: "model.byte_fallback", value: "true (only byte-level BPE is supported)")) {
            try Self.load { Self.setting(true, at: ["model", "byte_fallback"], in: &$0) }
        }
    }

    @Test("a merge with an unknown token names its index")
    func badMerge() {
        #expect(throws: TokenizerError.invalidMerge(path: "model.merges[0]", merge: "Ġ qqqqq")) {
            try Self.load { root in
                var merges = root["model"]?["merges"]?.arrayValue ?? []
                merges[0] = ["Ġ", "qqqqq"]
                Self.setting(.array(merges), at: ["model", "merges"], in: &root)
            }
        }
        #expect(throws: TokenizerError.invalidField(path: "model.merges[1]", reason: "a merge string must be two tokens separated by one space")) {
            try Self.load { root in
                var merges = root["model"]?["merges"]?.arrayValue ?? []
                merges[1] = "abc"
                Self.setting(.array(merges), at: ["model", "merges"], in: &root)
            }
        }
    }

    @Test("a vocab entry with a non-integer id names its key")
    func badVocabEntry() {
        #expect(throws: TokenizerError.self) {
            try Self.load { Self.setting("x", at: ["model", "vocab", "Ġ"], in: &$0) }
        }
        do {
            _ = try Self.load { Self.setting(-4, at: ["model", "vocab", "Ġ"], in: &$0) }
            Issue.record("a negative id loaded")
        } catch {
            #expect("\(error)".contains("model.vocab.Ġ"))
        }
    }

    @Test("a missing model names the field")
    func missingModel() {
        #expect(throws: TokenizerError.missingField(path: "model")) {
            try Self.load { _ = $0.removeValue(forKey: "model") }
        }
    }
}
