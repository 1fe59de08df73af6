import Foundation
import SmolCore
import SmolTestSupport
import Testing

@testable import SmolLocal

/// Mutated model files, tokenizers and templates end in a value or a typed error: never a crash, a hang or
/// an unbounded allocation. Corpora live in `Fixtures/fuzz/<name>` (seeds from
/// `scripts/fixtures/make_fuzz_seeds.py`, plus `regress-*` inputs that once failed).
@Suite("Fuzzing the local readers")
struct FormatFuzzTests {
    /// Text that exercises added tokens, byte fallback, digits and non-ASCII when a fuzzed tokenizer loads.
    static let sample = "ab é 12 <|im_start|>x\u{00A0}🌍"

    /// Touches everything a tensor table promises: each tensor's bytes must lie inside the file.
    static func checkTensors(_ tensors: [TensorRef], fileSize: Int) {
        for tensor in tensors {
            #expect(tensor.offset >= 0 && tensor.byteCount >= 0 && tensor.offset <= fileSize - tensor.byteCount,
                    "tensor \(tensor.name) at \(tensor.offset)+\(tensor.byteCount) outside \(fileSize) bytes")
            _ = tensor.elementCount
            _ = tensor.rowCount
            _ = tensor.bytes.last
        }
    }

    /// Encodes and decodes the sample with a tokenizer that a fuzzed input produced.
    static func exercise(_ tokenizer: Tokenizer) {
        let ids = tokenizer.encode(sample)
        _ = try? tokenizer.decode(ids)
        _ = try? tokenizer.decode([0, 1, 2, -1, Int32.max])
    }

    @Test("mutated GGUF files parse or fail with ModelFileError; accepted ones decode every value")
    func gguf() throws {
        let report = try FuzzMutator.run("gguf") { bytes in
            guard let file = try? MappedFile(copying: bytes, name: "fuzz.gguf"),
                  let gguf = try? GGUFFile(file: file) else { return false }
            for (_, value) in gguf.metadata {
                if let array = value.arrayValue {
                    _ = Array(array)
                    _ = array.strings()
                    _ = array.integers()
                    _ = array.floats()
                }
            }
            Self.checkTensors(gguf.tensors, fileSize: bytes.count)
            _ = try? ModelConfig(gguf: gguf)
            if let vocabulary = try? GGUFVocabulary(metadata: gguf.metadata),
               let tokenizer = try? Tokenizer(gguf: vocabulary) {
                Self.exercise(tokenizer)
            }
            if let source = gguf.metadata.string("tokenizer.chat_template"),
               let template = try? ChatTemplate(source: source) {
                _ = try? template.render(messages: [["role": "user", "content": "hi"]], addGenerationPrompt: true)
            }
            return true
        }
        #expect(report.inputs > 500)
        #expect(report.accepted > 0)
    }

    @Test("mutated safetensors files parse or fail with ModelFileError, and accepted tensors lie inside the file")
    func safetensors() throws {
        let report = try FuzzMutator.run("safetensors", tokens: ["{", "}", "[", "]", "\"", ",", ":", "-1", "1e30",
                                                                   "\"F32\"", "\"dtype\"", "\"shape\"", "\"data_offsets\""])
        { bytes in
            guard let file = try? MappedFile(copying: bytes, name: "fuzz.safetensors"),
                  let parsed = try? SafetensorsFile(file: file) else { return false }
            Self.checkTensors(parsed.tensors, fileSize: bytes.count)
            return true
        }
        #expect(report.inputs > 500)
        #expect(report.accepted > 0)
    }

    @Test("mutated tokenizer.json files load or fail with TokenizerError; loaded ones encode and decode")
    func tokenizerJSON() throws {
        let report = try FuzzMutator.run("tokenizer", tokens: ["{", "}", "[", "]", "\"", ",", ":", "null", "\\u00e9",
                                                                 "\"type\"", "\"BPE\"", "\"Sequence\"", "\"Regex\"", "99999"])
        { bytes in
            guard let tokenizer = try? Tokenizer(tokenizerJSON: bytes) else { return false }
            Self.exercise(tokenizer)
            return true
        }
        #expect(report.inputs > 200)
        #expect(report.accepted > 0)
    }

    @Test("mutated templates (bytes, delimiters, expressions) lex, parse and render or fail with ChatTemplateError")
    func jinja() throws {
        let root = try TemplateFixtures.json("template-renders.json")
        let conversation = try #require(root["conversations"]?["tool_call"])
        let messages = conversation["messages"]?.arrayValue ?? []
        let tools = conversation["tools"]?.arrayValue
        let tokens = ["{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "(", ")", "[", "]", "'", "\"", "|", ".", ",",
                      " if ", " for x in ", " endfor ", " endif ", " macro ", " set ", "loop.", "range(", "**", "~",
                      "\\", "\u{00A0}", "é", "namespace(", "caller()", " is ", " not ", "|tojson", "|join"]
        // A render may legitimately run up to the work budget (about a second), so only slower is a hang.
        let report = try FuzzMutator.run("jinja", tokens: tokens, slowLimit: .seconds(3)) { bytes in
            guard let template = try? ChatTemplate(source: String(decoding: bytes, as: UTF8.self)) else { return false }
            _ = try? template.render(messages: messages, tools: tools, addGenerationPrompt: true)
            return true
        }
        #expect(report.inputs > 500)
        #expect(report.accepted > 0)
    }
}
