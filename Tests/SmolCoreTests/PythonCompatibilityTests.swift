import Foundation
@testable import SmolCore
import Testing

/// `Python.repr` and `Python.jsonDumps` against Python itself, on values chosen where the three copies this
/// namespace replaced used to disagree (non-printable characters, quotes, floats at notation boundaries).
@Suite("Python compatibility namespace")
struct PythonCompatibilityTests {
    static let strings: [String] = [
        "", "plain", "it's", "say \"hi\"", "both ' and \"", "back\\slash", "tab\tnew\nline\rcr", "\u{0}\u{1f}\u{7f}",
        "nbsp\u{a0}here", "soft\u{ad}hyphen", "line\u{2028}sep", "zero\u{200b}width", "bom\u{feff}", "private\u{e000}",
        "unassigned\u{0378}", "emoji 🙂 and é", "astral private \u{F0000}", "ideographic\u{3000}space", "\u{85}next line",
    ]
    static let floats: [Double] = [0, -0.0, 1, 0.1, 1e16, 1e15, 123456789012345680, 1e-4, 1e-5, 2.5e-7, 1.7976931348623157e308,
                                   5e-324, .nan, .infinity, -.infinity, 100, 3.14159]

    @Test("repr of strings, floats and JSON values prints what Python prints")
    func reprMatchesPython() async throws {
        let value: JSONValue = [
            "strings": .array(Self.strings.map(JSONValue.string)),
            "nested": ["k": [1, 2.5, true, .null], "b's": "x"],
        ]
        // The strings and finite floats travel as JSON; non-finite floats are rebuilt by name on the Python side.
        let script = """
            import json, sys
            data = json.loads(sys.stdin.read())
            floats = [float(f) for f in data["floats"]]
            print(json.dumps({"strings": [repr(s) for s in data["value"]["strings"]],
                              "floats": [repr(f) for f in floats], "value": repr(data["value"])}))
            """
        let floats = JSONValue.array(Self.floats.map { .string(Python.repr($0)) })
        let input = JSONEmitter().string(from: ["value": value, "floats": floats])
        let output = try JSONValue(parsing: try await runPython(script, input: input))
        #expect(output["strings"] == .array(Self.strings.map { .string(Python.repr($0)) }))
        #expect(output["floats"] == .array(Self.floats.map { .string(Python.repr($0)) }))
        #expect(output["value"] == .string(Python.repr(value)))
    }

    @Test("jsonDumps is json.dumps with its default ensure_ascii and the given indent and key order")
    func jsonDumpsMatchesPython() async throws {
        let value: JSONValue = ["b": ["é", 1.0, 1e20, .null], "a": ["nested": "\u{2028}"]]
        let script = """
            import json, sys
            v = json.loads(sys.stdin.read())
            print(json.dumps([json.dumps(v), json.dumps(v, indent=2, sort_keys=True), json.dumps(v, ensure_ascii=False)]))
            """
        let output = try JSONValue(parsing: try await runPython(script, input: JSONEmitter().string(from: value)))
        #expect(output == [.string(Python.jsonDumps(value)), .string(Python.jsonDumps(value, indent: 2, sortKeys: true)),
                           .string(Python.jsonDumps(value, ensureASCII: false))])
    }
}
