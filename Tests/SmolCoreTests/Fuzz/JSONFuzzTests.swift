import Foundation
import SmolCore
import SmolTestSupport
import Testing

/// Mutated JSON documents parse or fail with a `JSONParseError`: never a crash, hang or unbounded
/// allocation; whatever parses re-emits to text that parses back to the same emitted text.
@Suite("Fuzzing the JSON parser")
struct JSONFuzzTests {
    static let tokens = ["{", "}", "[", "]", "\"", "\\", "\\u", "\\ud83d", "\\udc00", ",", ":", "-", "0", "1e999", "-1e-999",
                         ".5", "1.", "NaN", "Infinity", "-Infinity", "true", "null", "\u{00}", "\u{7F}", "é", "🌍",
                         String(repeating: "[", count: 600), "123456789012345678901234567890"]

    @Test("mutated JSON parses or fails with JSONParseError, strict and lenient; accepted values round-trip")
    func mutations() throws {
        let emitter = JSONEmitter()
        let report = try FuzzMutator.run("json", tokens: Self.tokens) { bytes in
            var accepted = false
            for strict in [true, false] {
                guard let value = try? JSONValue(parsing: bytes, strict: strict) else { continue }
                accepted = true
                let text = emitter.string(from: value)
                // The emitter writes non-finite numbers as Python does (NaN, Infinity), which only lenient parsing reads.
                let again = try? JSONValue(parsing: text, strict: false)
                #expect(again.map { emitter.string(from: $0) } == text, "round trip of \(text.prefix(200))")
            }
            // The String entry point must agree with the bytes one on valid UTF-8.
            if let text = String(validating: bytes, as: UTF8.self) {
                let fromText = try? JSONValue(parsing: text)
                let fromBytes = try? JSONValue(parsing: bytes)
                #expect(fromText.map { emitter.string(from: $0) } == fromBytes.map { emitter.string(from: $0) })
            }
            return accepted
        }
        #expect(report.inputs > 1_000)
        #expect(report.accepted > 0)
    }
}
