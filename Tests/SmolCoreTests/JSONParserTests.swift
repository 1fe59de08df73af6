import Foundation
import Testing

@testable import SmolCore

/// Malformed inputs and Python 3.11's `str(json.JSONDecodeError)` for each, recorded by running
/// `json.loads` on the same text.
private let malformedCases: [(String, String)] = [
    ("", "Expecting value: line 1 column 1 (char 0)"),
    ("   ", "Expecting value: line 1 column 4 (char 3)"),
    ("\u{A}\u{A}  ", "Expecting value: line 3 column 3 (char 4)"),
    ("01", "Extra data: line 1 column 2 (char 1)"),
    ("-", "Expecting value: line 1 column 1 (char 0)"),
    ("-I", "Expecting value: line 1 column 1 (char 0)"),
    ("--1", "Expecting value: line 1 column 1 (char 0)"),
    ("+1", "Expecting value: line 1 column 1 (char 0)"),
    ("nul", "Expecting value: line 1 column 1 (char 0)"),
    ("nulx", "Expecting value: line 1 column 1 (char 0)"),
    ("n", "Expecting value: line 1 column 1 (char 0)"),
    ("tru", "Expecting value: line 1 column 1 (char 0)"),
    ("True", "Expecting value: line 1 column 1 (char 0)"),
    ("fals", "Expecting value: line 1 column 1 (char 0)"),
    ("nan", "Expecting value: line 1 column 1 (char 0)"),
    ("NaN1", "Extra data: line 1 column 4 (char 3)"),
    ("Infinit", "Expecting value: line 1 column 1 (char 0)"),
    ("-Infinit", "Expecting value: line 1 column 1 (char 0)"),
    ("-Infinityx", "Extra data: line 1 column 10 (char 9)"),
    ("[", "Expecting value: line 1 column 2 (char 1)"),
    ("]", "Expecting value: line 1 column 1 (char 0)"),
    ("[1,]", "Expecting value: line 1 column 4 (char 3)"),
    ("[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"),
    ("[1,2", "Expecting ',' delimiter: line 1 column 5 (char 4)"),
    ("[,1]", "Expecting value: line 1 column 2 (char 1)"),
    ("[1,,2]", "Expecting value: line 1 column 4 (char 3)"),
    ("{", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("}", "Expecting value: line 1 column 1 (char 0)"),
    ("{,}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("{\"a\":1,}", "Expecting property name enclosed in double quotes: line 1 column 8 (char 7)"),
    ("{\"a\"", "Expecting ':' delimiter: line 1 column 5 (char 4)"),
    ("{\"a\":", "Expecting value: line 1 column 6 (char 5)"),
    ("{\"a\" 1}", "Expecting ':' delimiter: line 1 column 6 (char 5)"),
    ("{\"a\":1 \"b\":2}", "Expecting ',' delimiter: line 1 column 8 (char 7)"),
    ("{\"a\":1", "Expecting ',' delimiter: line 1 column 7 (char 6)"),
    ("{'a':1}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("{1:2}", "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
    ("{\"a\":1}}", "Extra data: line 1 column 8 (char 7)"),
    ("[1]]", "Extra data: line 1 column 4 (char 3)"),
    ("\"abc", "Unterminated string starting at: line 1 column 1 (char 0)"),
    ("\"a\\", "Unterminated string starting at: line 1 column 1 (char 0)"),
    ("\"\\x\"", "Invalid \\escape: line 1 column 2 (char 1)"),
    ("\"\\a\"", "Invalid \\escape: line 1 column 2 (char 1)"),
    ("\"\\U0041\"", "Invalid \\escape: line 1 column 2 (char 1)"),
    ("\"\\u00zz\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
    ("\"\\u0041", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
    ("\"\\u004\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
    ("\"\\u12\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
    ("\"\\ud83d\\ude8\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"),
    ("\"\\ud83d\\u\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"),
    ("\"\\ud83d\\uDC00", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"),
    ("\"\\ud83d\\x\"", "Invalid \\escape: line 1 column 8 (char 7)"),
    ("\"a\u{1}\"", "Invalid control character at: line 1 column 3 (char 2)"),
    ("\"a\u{A}b\"", "Invalid control character at: line 1 column 3 (char 2)"),
    ("\"tab\u{9}here\"", "Invalid control character at: line 1 column 5 (char 4)"),
    ("\"\u{1F}\"", "Invalid control character at: line 1 column 2 (char 1)"),
    ("[\"ok\", \"bad\u{0}\"]", "Invalid control character at: line 1 column 12 (char 11)"),
    ("1 2", "Extra data: line 1 column 3 (char 2)"),
    ("{} []", "Extra data: line 1 column 4 (char 3)"),
    ("\"é\" x", "Extra data: line 1 column 5 (char 4)"),
    ("é", "Expecting value: line 1 column 1 (char 0)"),
    ("[\u{A}1,\u{A}\u{A}]", "Expecting value: line 4 column 1 (char 6)"),
    ("{\u{A}  \"a\": [1, 2,\u{A}  ]\u{A}}", "Expecting value: line 3 column 3 (char 18)"),
    ("\"日本語\\q\"", "Invalid \\escape: line 1 column 5 (char 4)"),
    ("[\"🚀🚀\", x]", "Expecting value: line 1 column 8 (char 7)"),
    ("\u{FEFF}1", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"),
    ("\u{FEFF}", "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)"),
    ("1e", "Extra data: line 1 column 2 (char 1)"),
    ("1e+", "Extra data: line 1 column 2 (char 1)"),
    ("1E-", "Extra data: line 1 column 2 (char 1)"),
    ("1.", "Extra data: line 1 column 2 (char 1)"),
    (".5", "Expecting value: line 1 column 1 (char 0)"),
    ("-01", "Extra data: line 1 column 3 (char 2)"),
    ("00", "Extra data: line 1 column 2 (char 1)"),
    ("1.5.2", "Extra data: line 1 column 4 (char 3)"),
    ("0x10", "Extra data: line 1 column 2 (char 1)"),
    ("1_000", "Extra data: line 1 column 2 (char 1)"),
    ("\u{9}\u{D}\u{A} 1 \u{9}\u{D}\u{A} x", "Extra data: line 3 column 2 (char 10)"),
    ("\u{C}1", "Expecting value: line 1 column 1 (char 0)"),
    ("\u{A0}1", "Expecting value: line 1 column 1 (char 0)"),
    ("[1]\u{2028}", "Extra data: line 1 column 4 (char 3)"),
    ("null null", "Extra data: line 1 column 6 (char 5)"),
    ("\"\\u00é0\"", "Invalid \\uXXXX escape: line 1 column 3 (char 2)"),
    ("\"\\ud800\\u00é\"", "Invalid \\uXXXX escape: line 1 column 9 (char 8)"),
    ("[1, 2, 3, 4, 5, ]", "Expecting value: line 1 column 17 (char 16)"),
    ("{\"a\": {\"b\": [1, {\"c\": }]}}", "Expecting value: line 1 column 23 (char 22)"),
    ("\"unterminated 🚀", "Unterminated string starting at: line 1 column 1 (char 0)"),
    ("[\"é\", \"\\ü\"]", "Invalid \\escape: line 1 column 8 (char 7)"),
]

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
    @Test("Malformed input fails with Python's exact message and position", arguments: malformedCases)
    func malformedInputMatchesPython(input: String, expected: String) {
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
