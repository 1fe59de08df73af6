import Testing

@testable import SmolCore

@Suite("JSONValue and JSONObject semantics")
struct JSONValueTests {
    @Test("keys and strings compare by code points, as in Python, not by canonical equivalence")
    func codePointEquality() throws {
        let composed = "\u{E9}", decomposed = "e\u{301}"
        #expect(composed == decomposed)  // Swift's own String equality
        #expect(JSONValue.string(composed) != JSONValue.string(decomposed))
        var object = JSONObject()
        object[composed] = 1
        object[decomposed] = 2
        #expect(object.count == 2)
        #expect(object[composed] == 1)
        #expect(object[decomposed] == 2)
        let parsed = try JSONValue(parsing: #"{"\u00e9": 1, "e\u0301": 2}"#)
        #expect(parsed.objectValue?.count == 2)
        #expect(parsed.description == "{\"\u{E9}\": 1, \"e\u{301}\": 2}")
    }

    @Test("objects keep insertion order; setting an existing key keeps its place, removing closes the gap")
    func objectOrder() {
        var object: JSONObject = ["b": 1, "a": 2, "c": 3]
        object["a"] = 20
        object["d"] = 4
        object.removeValue(forKey: "b")
        #expect(object.keys == ["a", "c", "d"])
        #expect(object.description == #"{"a": 20, "c": 3, "d": 4}"#)
    }

    @Test("equality ignores key order and compares numbers by value, like Python")
    func valueEquality() {
        let left: JSONValue = ["a": 1, "b": [1.0, "x"]]
        let right: JSONValue = ["b": [1, "x"], "a": 1.0]
        #expect(left == right)
        #expect(Set<JSONValue>([["a": 1, "b": 2], ["b": 2, "a": 1], 1, 1.0]).count == 2)
        #expect(JSONValue.bool(true) != JSONValue.int(1))
        #expect(JSONValue.double(.nan) == JSONValue.double(.nan))
    }

    @Test("truthiness follows Python")
    func truthiness() {
        for falsy: JSONValue in [.null, false, 0, 0.0, "", [], [:]] { #expect(!falsy.isTruthy) }
        for truthy: JSONValue in [true, 1, -0.5, "x", [0], ["a": .null]] { #expect(truthy.isTruthy) }
    }
}
