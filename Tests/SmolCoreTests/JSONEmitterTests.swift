import Testing

@testable import SmolCore

/// Expected strings below were printed by Python 3.11's `json.dumps` for the same values.
@Suite("JSON emitter")
struct JSONEmitterTests {
    @Test("Floats print exactly as Python's repr")
    func floatsMatchPythonRepr() {
        let cases: [(Double, String)] = [
            (1e16, "1e+16"), (1e15, "1000000000000000.0"), (1e-5, "1e-05"), (0.0001, "0.0001"),
            (-0.0, "-0.0"), (0.0, "0.0"), (.leastNonzeroMagnitude, "5e-324"),
            (.greatestFiniteMagnitude, "1.7976931348623157e+308"), (0.1 + 0.2, "0.30000000000000004"),
            (1.0, "1.0"), (100.0, "100.0"), (1.5e16, "1.5e+16"), (1.5e-5, "1.5e-05"),
            (123456789012345.6, "123456789012345.6"), (2.5e-10, "2.5e-10"), (1e22, "1e+22"), (1e23, "1e+23"),
            (9007199254740993.0, "9007199254740992.0"), (-1.5, "-1.5"),
            (2.2250738585072014e-308, "2.2250738585072014e-308"), (0.00012345, "0.00012345"),
            (1234567890123456.7, "1234567890123456.8"), (12345678901234567.0, "1.2345678901234568e+16"),
            (-1e-100, "-1e-100"), (1e100, "1e+100"), (0.5, "0.5"), (123.0, "123.0"),
            (.nan, "NaN"), (.infinity, "Infinity"), (-.infinity, "-Infinity"),
        ]
        for (value, expected) in cases {
            #expect(PythonFloatFormat.string(value) == expected)
            #expect(JSONEmitter().string(from: .double(value)) == expected)
        }
    }

    @Test("Scalars and containers use Python's default separators")
    func defaultSeparators() {
        let value: JSONValue = ["k": [1.0, "v", .null, true, false], "e": [], "o": [:]]
        #expect(value.jsonString() == #"{"k": [1.0, "v", null, true, false], "e": [], "o": {}}"#)
        #expect(JSONValue.int(.max).jsonString() == "9223372036854775807")
        #expect(JSONValue.int(.min).jsonString() == "-9223372036854775808")
        #expect(JSONValue.array([0, -1]).jsonString() == "[0, -1]")
        #expect(value.description == value.jsonString())
    }

    @Test("Indentation matches Python: newline per member, ',' separators, empty containers kept short")
    func indentation() {
        let value: JSONValue = ["a": [1, 2, ["b": [], "c": [:]]], "d": "x"]
        let expected = """
            {
              "a": [
                1,
                2,
                {
                  "b": [],
                  "c": {}
                }
              ],
              "d": "x"
            }
            """
        #expect(value.jsonString(indent: 2) == expected)
        let zero: JSONValue = ["a": [1, [2]], "d": [:]]
        #expect(zero.jsonString(indent: 0) == "{\n\"a\": [\n1,\n[\n2\n]\n],\n\"d\": {}\n}")
        let negative: JSONValue = ["a": [1]]
        #expect(negative.jsonString(indent: -1) == "{\n\"a\": [\n1\n]\n}")
        #expect(JSONValue.array([]).jsonString(indent: 4) == "[]")
    }

    @Test("Strings escape only what Python escapes when ensureASCII is off")
    func escapingWithoutEnsureASCII() {
        let text = "\u{0}\u{1}\u{8}\t\n\u{C}\r\u{1F} \"\\/\u{7F}\u{80}\u{2028}\u{2029}é中🚀\u{FEFF}"
        let expected = "\"\\u0000\\u0001\\b\\t\\n\\f\\r\\u001f \\\"\\\\/\u{7F}\u{80}\u{2028}\u{2029}é中🚀\u{FEFF}\""
        #expect(JSONValue.string(text).jsonString() == expected)
        #expect(JSONEmitter().bytes(from: .string(text)) == Array(expected.utf8))
    }

    @Test("ensureASCII escapes everything outside printable ASCII, astral characters as surrogate pairs")
    func escapingWithEnsureASCII() {
        let text = "\u{0}\u{1}\u{8}\t\n\u{C}\r\u{1F} \"\\/\u{7F}\u{80}\u{2028}\u{2029}é中🚀\u{FEFF}\u{FFFF}\u{10FFFF}"
        let expected = #""\u0000\u0001\b\t\n\f\r\u001f \"\\/\u007f\u0080\u2028\u2029\u00e9\u4e2d\ud83d\ude80\ufeff\uffff\udbff\udfff""#
        #expect(JSONEmitter(ensureASCII: true).string(from: .string(text)) == expected)
    }

    @Test("sortKeys orders keys by code point, as Python sorts str")
    func sortKeysByCodePoint() {
        let value: JSONValue = ["b": 1, "a": 2, "é": 3, "z": 4, "🚀": 5, "\u{FFFF}": 6, "B": 7, "": 8]
        #expect(
            JSONEmitter(sortKeys: true).string(from: value)
                == "{\"\": 8, \"B\": 7, \"a\": 2, \"b\": 1, \"z\": 4, \"é\": 3, \"\u{FFFF}\": 6, \"🚀\": 5}")
        #expect(JSONEmitter().string(from: value).hasPrefix(#"{"b": 1, "a": 2"#))
    }

    @Test("All options combine as in Python")
    func optionsCombine() {
        let value: JSONValue = ["🚀": ["é": ["\n"]]]
        #expect(
            JSONEmitter(indent: 4, ensureASCII: true, sortKeys: true).string(from: value)
                == "{\n    \"\\ud83d\\ude80\": {\n        \"\\u00e9\": [\n            \"\\n\"\n        ]\n    }\n}")
    }

    @Test("Long strings with escapes at every offset are copied intact")
    func longStrings() {
        for offset in 0..<20 {
            let prefix = String(repeating: "é", count: offset)
            let value = JSONValue.string("\(prefix)\n\(prefix)x\"")
            #expect(value.jsonString() == "\"\(prefix)\\n\(prefix)x\\\"\"")
        }
    }

    @Test("Deeply nested values emit without exhausting the stack")
    func deepNesting() throws {
        let depth = JSONParser.maximumDepth
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let value = try JSONValue(parsing: text)
        #expect(value.jsonString() == text)
    }
}
