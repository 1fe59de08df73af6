import Foundation
import Testing

@testable import SmolCore

/// Malformed inputs; the expected message for each is Python's `str(json.JSONDecodeError)` from `json.loads`,
/// computed at test time by `pythonDecodeErrors`.
private let malformedInputs: [String] = [
    "",
    "   ",
    "\u{A}\u{A}  ",
    "01",
    "-",
    "-I",
    "--1",
    "+1",
    "nul",
    "nulx",
    "n",
    "tru",
    "True",
    "fals",
    "nan",
    "NaN1",
    "Infinit",
    "-Infinit",
    "-Infinityx",
    "[",
    "]",
    "[1,]",
    "[1 2]",
    "[1,2",
    "[,1]",
    "[1,,2]",
    "{",
    "}",
    "{,}",
    "{\"a\":1,}",
    "{\"a\"",
    "{\"a\":",
    "{\"a\" 1}",
    "{\"a\":1 \"b\":2}",
    "{\"a\":1",
    "{'a':1}",
    "{1:2}",
    "{\"a\":1}}",
    "[1]]",
    "\"abc",
    "\"a\\",
    "\"\\x\"",
    "\"\\a\"",
    "\"\\U0041\"",
    "\"\\u00zz\"",
    "\"\\u0041",
    "\"\\u004\"",
    "\"\\u12\"",
    "\"\\ud83d\\ude8\"",
    "\"\\ud83d\\u\"",
    "\"\\ud83d\\uDC00",
    "\"\\ud83d\\x\"",
    "\"a\u{1}\"",
    "\"a\u{A}b\"",
    "\"tab\u{9}here\"",
    "\"\u{1F}\"",
    "[\"ok\", \"bad\u{0}\"]",
    "1 2",
    "{} []",
    "\"é\" x",
    "é",
    "[\u{A}1,\u{A}\u{A}]",
    "{\u{A}  \"a\": [1, 2,\u{A}  ]\u{A}}",
    "\"日本語\\q\"",
    "[\"🚀🚀\", x]",
    "\u{FEFF}1",
    "\u{FEFF}",
    "1e",
    "1e+",
    "1E-",
    "1.",
    ".5",
    "-01",
    "00",
    "1.5.2",
    "0x10",
    "1_000",
    "\u{9}\u{D}\u{A} 1 \u{9}\u{D}\u{A} x",
    "\u{C}1",
    "\u{A0}1",
    "[1]\u{2028}",
    "null null",
    "\"\\u00é0\"",
    "\"\\ud800\\u00é\"",
    "[1, 2, 3, 4, 5, ]",
    "{\"a\": {\"b\": [1, {\"c\": }]}}",
    "\"unterminated 🚀",
    "[\"é\", \"\\ü\"]",
]

/// Python's `str(json.JSONDecodeError)` for each of `malformedInputs` (nil where `json.loads` succeeds), from one
/// run of `python3` shared by the suite. A missing or failing `python3` is a thrown error, so
/// every case fails (never skips).
private let pythonDecodeErrors = Task<[String?], any Error> {
    let script = """
        import json, sys
        out = []
        for text in json.load(sys.stdin):
            try:
                json.loads(text)
                out.append(None)
            except json.JSONDecodeError as e:
                out.append(str(e))
        print(json.dumps(out))
        """
    let input = String(decoding: try JSONEncoder().encode(malformedInputs), as: UTF8.self)
    let output: String
    do {
        output = try await runPython(script, input: input)
    } catch {
        throw ConformanceFailure("the json.loads oracle (python3) is unavailable: \(error)")
    }
    return try JSONDecoder().decode([String?].self, from: Data(output.utf8))
}

/// The error `body` throws, or `nil` when it succeeds.
private func parseError(_ body: () throws(JSONParseError) -> JSONValue) -> JSONParseError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}

@Suite("JSON parser")
struct JSONParserTests {
    @Test("Malformed input fails with Python's exact message and position", arguments: malformedInputs)
    func malformedInputMatchesPython(input: String) async throws {
        let index = try #require(malformedInputs.firstIndex(of: input))
        let messages = try await pythonDecodeErrors.value
        try #require(messages.count == malformedInputs.count, "python3 answered \(messages.count) inputs")
        let expected = try #require(messages[index], "json.loads accepted \(input.debugDescription)")
        let error = parseError { () throws(JSONParseError) in try JSONValue(parsing: input) }
        #expect(error?.description == expected, "input: \(input.debugDescription)")
        let fromBytes = parseError { () throws(JSONParseError) in try JSONValue(parsing: Array(input.utf8)) }
        #expect(fromBytes == error, "bytes input: \(input.debugDescription)")
    }

    @Test("Error parts are exposed separately")
    func errorPartsAreExposed() {
        let error = parseError { () throws(JSONParseError) in try JSONValue(parsing: "[1,\n  ]") }
        #expect(error == JSONParseError(message: "Expecting value", position: 6, line: 2, column: 3))
    }

    @Test("Bare scalars parse at top level, surrounded by JSON whitespace")
    func scalarsParse() throws {
        #expect(try JSONValue(parsing: "null") == .null)
        #expect(try JSONValue(parsing: " true ") == .bool(true))
        #expect(try JSONValue(parsing: "\t\r\nfalse\n") == .bool(false))
        #expect(try JSONValue(parsing: "\"hi\"") == .string("hi"))
        #expect(try JSONValue(parsing: "0") == .int(0))
        #expect(try JSONValue(parsing: "-0") == .int(0))
        #expect(try JSONValue(parsing: "-12") == .int(-12))
        #expect(try JSONValue(parsing: "1.5") == .double(1.5))
    }

    @Test("Integers stay integers and floats stay floats")
    func numberKindsAreKept() throws {
        guard case .int(42) = try JSONValue(parsing: "42") else { Issue.record("42 is not .int"); return }
        guard case .double(let one) = try JSONValue(parsing: "1.0") else { Issue.record("1.0 is not .double"); return }
        #expect(one == 1)
        guard case .double(let hundred) = try JSONValue(parsing: "1E2") else { Issue.record("1E2 is not .double"); return }
        #expect(hundred == 100)
        guard case .double(let negativeZero) = try JSONValue(parsing: "-0.0") else { Issue.record("not .double"); return }
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
    }

    @Test("Numbers are correctly rounded, overflow to infinity and underflow to zero")
    func numbersRoundLikePython() throws {
        let cases: [(String, Double)] = [
            ("0.1", 0.1), ("2.5e-3", 0.0025), ("1e-7", 1e-7), ("1e400", .infinity), ("-1e400", -.infinity),
            ("1e-400", 0), ("5e-324", .leastNonzeroMagnitude), ("1.7976931348623157e308", .greatestFiniteMagnitude),
            ("0.30000000000000004", 0.1 + 0.2), ("123456789012345678901234567890.0", 1.2345678901234568e29),
            ("9007199254740993", 9007199254740992), ("1.00000000000000011102230246251565404236316680908203125", 1),
            ("0.000000000000000000000000000001", 1e-30), ("0e99999999999", 0),
        ]
        for (text, expected) in cases {
            #expect(try JSONValue(parsing: text).doubleValue == expected, "\(text)")
        }
    }

    @Test("Integers beyond Int become the nearest Double")
    func bigIntegersBecomeDoubles() throws {
        #expect(try JSONValue(parsing: "9223372036854775807") == .int(.max))
        #expect(try JSONValue(parsing: "-9223372036854775808") == .int(.min))
        guard case .double(let big) = try JSONValue(parsing: "9223372036854775808") else {
            Issue.record("Int.max + 1 should be a double")
            return
        }
        #expect(big == 9_223_372_036_854_775_808.0)
        guard case .double(let small) = try JSONValue(parsing: "-123456789012345678901234567890") else {
            Issue.record("a huge negative integer should be a double")
            return
        }
        #expect(small == -1.2345678901234568e29)
    }

    @Test("NaN, Infinity and -Infinity are accepted as Python does")
    func nonFiniteConstants() throws {
        #expect(try JSONValue(parsing: "NaN").doubleValue?.isNaN == true)
        #expect(try JSONValue(parsing: "Infinity") == .double(.infinity))
        #expect(try JSONValue(parsing: "[-Infinity]") == .array([.double(-.infinity)]))
    }

    @Test("Nested containers parse, with empty ones and whitespace everywhere")
    func nestingParses() throws {
        let value = try JSONValue(parsing: #" { "a" : [ 1 , { } , [ ] , { "b" : null } ] , "c" : "d" } "#)
        #expect(value == ["a": [1, [:], [], ["b": .null]], "c": "d"])
    }

    @Test("Object keys keep document order")
    func keyOrderIsKept() throws {
        let value = try JSONValue(parsing: #"{"zeta": 1, "alpha": 2, "mid": {"y": 1, "x": 2}}"#)
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid"])
        #expect(value["mid"]?.objectValue?.keys == ["y", "x"])
    }

    @Test("A repeated key keeps its first position and takes its last value, like dict")
    func duplicateKeys() throws {
        let value = try JSONValue(parsing: #"{"a": 1, "b": 2, "a": 3}"#)
        #expect(value.objectValue?.keys == ["a", "b"])
        #expect(value["a"] == 3)
    }

    @Test("Every escape decodes")
    func escapesDecode() throws {
        let value = try JSONValue(parsing: #""\"\\\/\b\f\n\r\t\u0041\u00e9\u4e2d\u0000""#)
        #expect(value == .string("\"\\/\u{8}\u{C}\n\r\tAé中\u{0}"))
    }

    @Test("Surrogate pair escapes combine into one scalar, in either hex case")
    func surrogatePairsCombine() throws {
        #expect(try JSONValue(parsing: #""\ud83d\ude80""#) == "🚀")
        #expect(try JSONValue(parsing: #""\uD83D\uDE80x""#) == "🚀x")
        #expect(try JSONValue(parsing: #""\ud83d\ud83d\ude80""#) == "\u{FFFD}🚀")
    }

    @Test("Lone surrogates become U+FFFD, since a Swift String cannot hold them")
    func loneSurrogatesAreReplaced() throws {
        #expect(try JSONValue(parsing: #""\ud800x""#) == "\u{FFFD}x")
        #expect(try JSONValue(parsing: #""\udc00\ud800""#) == "\u{FFFD}\u{FFFD}")
        #expect(try JSONValue(parsing: #""a\ud83d\u0041""#) == "a\u{FFFD}A")
    }

    @Test("Raw unicode, including astral characters, passes through unchanged")
    func rawUnicode() throws {
        let text = "\u{7F}é中🚀\u{2028}e\u{301}"
        #expect(try JSONValue(parsing: "\"\(text)\"").stringValue?.unicodeScalars.elementsEqual(text.unicodeScalars) == true)
    }

    @Test("Strict mode rejects raw control characters in strings; non-strict accepts them")
    func strictControlCharacters() throws {
        let text = "\"a\u{0}\u{1F}\n\t\""
        let error = parseError { () throws(JSONParseError) in try JSONValue(parsing: text) }
        #expect(error?.description == "Invalid control character at: line 1 column 3 (char 2)")
        #expect(try JSONValue(parsing: text, strict: false) == .string("a\u{0}\u{1F}\n\t"))
        #expect(try JSONValue(parsing: Array(text.utf8), strict: false) == .string("a\u{0}\u{1F}\n\t"))
        // Long strings take the word-at-a-time scan; a control character deep inside must still be found.
        let long = "\"" + String(repeating: "abcdefgh", count: 10) + "\u{1}\""
        let longError = parseError { () throws(JSONParseError) in try JSONValue(parsing: long) }
        #expect(longError?.position == 81)
        #expect(try JSONValue(parsing: long, strict: false).stringValue?.count == 81)
    }

    @Test("Long strings with escapes at every offset decode")
    func longStringsDecode() throws {
        for offset in 0..<20 {
            let prefix = String(repeating: "x", count: offset)
            let value = try JSONValue(parsing: "\"\(prefix)\\n\(prefix)é\\\"\(prefix)\"")
            #expect(value == .string("\(prefix)\n\(prefix)é\"\(prefix)"))
        }
    }

    @Test("Invalid UTF-8 bytes throw a parse error at the first bad byte")
    func invalidUTF8Throws() {
        let cases: [([UInt8], Int)] = [
            ([0x22, 0xFF, 0x22], 1),
            ([0x5B, 0x22, 0xC3, 0xA9, 0x22, 0x2C, 0x22, 0xC3, 0x22, 0x5D], 6),  // ["é","<truncated>"]
            ([0x22, 0xED, 0xA0, 0x80, 0x22], 1),  // encoded surrogate
            ([0x22, 0xC0, 0xAF, 0x22], 1),  // overlong "/"
            ([0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], 1),  // beyond U+10FFFF
            ([0x31, 0x20, 0xE2, 0x82], 2),  // truncated at the end
        ]
        for (bytes, position) in cases {
            let error = parseError { () throws(JSONParseError) in try JSONValue(parsing: bytes) }
            #expect(error?.message == "Invalid UTF-8", "\(bytes)")
            #expect(error?.position == position, "\(bytes)")
        }
    }

    @Test("Bytes input: a leading BOM is an error, and non-contiguous collections work")
    func bytesInput() throws {
        let error = parseError { () throws(JSONParseError) in try JSONValue(parsing: [0xEF, 0xBB, 0xBF, 0x31] as [UInt8]) }
        #expect(error?.description == "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)")
        let text = #"{"k": ["é", 1.5, -2]}"#
        let lazyBytes = text.utf8.lazy.map { $0 }
        #expect(try JSONValue(parsing: lazyBytes) == ["k": ["é", 1.5, -2]])
        #expect(try JSONValue(parsing: Data(text.utf8)) == ["k": ["é", 1.5, -2]])
    }

    @Test("Nesting up to 1,000 levels parses; deeper is a typed error, not a crash")
    func deepNesting() throws {
        let depth = JSONParser.maximumDepth
        var value = try JSONValue(parsing: String(repeating: "[", count: depth) + String(repeating: "]", count: depth))
        var levels = 0
        while case .array(let elements) = value, let first = elements.first {
            levels += 1
            value = first
        }
        #expect(levels == depth - 1)
        let tooDeep = String(repeating: #"{"a":["#, count: depth)
        let error = parseError { () throws(JSONParseError) in try JSONValue(parsing: tooDeep) }
        #expect(error?.description == "Maximum nesting depth exceeded: line 1 column 3001 (char 3000)")
    }
}
