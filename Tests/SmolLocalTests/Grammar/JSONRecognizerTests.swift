import Foundation
import SmolCore
@testable import SmolLocal
import Testing

@Suite("JSON grammar recognizer")
struct JSONRecognizerTests {
    private func jsonObject() -> RecognizerHarness {
        var compiler = JSONSchemaCompiler()
        let root = compiler.freeObject()
        return RecognizerHarness(compiler.grammar(root: root, key: "json_object"))
    }

    @Test("json_object accepts objects with bounded whitespace and rejects everything else")
    func jsonObjectMode() {
        let g = jsonObject()
        for good in [#"{}"#, #"{"a": 1, "b": [true, null, "x\n\u00e9"], "c": {"d": -0.5}}"#, #" {"k":"v"}"#,
                     #"{ "a" : 1 }"#.replacingOccurrences(of: "\" :", with: "\":"), #"{"é": "日本"}"#] {
            #expect(g.accepts(good), "\(good)")
        }
        for bad in [#"[]"#, #"{"a":}"#, #"{"a": 1,}"#, "{  }", "{\n}", #"{"a": 01}"#, #"{"a": 1e5}"#, #""x""#,
                    #"{"a": 1} "#, #"{"a": "\ud800"}"#, "{\"a\": \"\u{1}\"}", #"{"a": tru}"#] {
            #expect(!g.accepts(bad), "\(bad)")
        }
        // Raw invalid UTF-8 inside a string is rejected byte by byte.
        var stack = g.prefixState(#"{"a": ""#)!
        #expect(g.step(stack, 0xC0) == nil)
        stack = g.step(stack, 0xE0)!
        #expect(g.step(stack, 0x80) == nil)  // overlong
        #expect(g.step(stack, 0xA0) != nil)
    }

    @Test("declared properties: required ones present, declaration order, no others when additionalProperties is false")
    func declaredProperties() throws {
        let g = try RecognizerHarness(schema: #"{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"string"},"c":{"type":"boolean"}},"required":["a","c"],"additionalProperties":false}"#)
        #expect(g.accepts(#"{"a": 1, "c": true}"#))
        #expect(g.accepts(#"{"a":1,"b":"x","c":false}"#))
        #expect(!g.accepts(#"{"a": 1}"#))
        #expect(!g.accepts(#"{"c": true, "a": 1}"#))
        #expect(!g.accepts(#"{"a": 1, "d": 2, "c": true}"#))
        #expect(!g.accepts(#"{"a": "1", "c": true}"#))
        #expect(!g.accepts(#"{"a": 1, "a": 1, "c": true}"#))
    }

    @Test("enum, const, booleans and null are matched as whole literals")
    func literals() throws {
        let g = try RecognizerHarness(schema: #"{"enum":["red","reddish",1,10,1.5,null,true,{"x":[1,2]}]}"#)
        for good in [#""red""#, #""reddish""#, "1", "10", "1.5", "null", "true", #"{"x": [1, 2]}"#] {
            #expect(g.accepts(good), "\(good)")
        }
        for bad in [#""re""#, "11", "1.", "false", #""Red""#, "2"] { #expect(!g.accepts(bad), "\(bad)") }
        let c = try RecognizerHarness(schema: #"{"type":"object","properties":{"v":{"const":"x"}},"required":["v"]}"#)
        #expect(c.accepts(#"{"v": "x"}"#) && !c.accepts(#"{"v": "y"}"#))
    }

    @Test("integers and numbers keep to their bounds digit by digit")
    func numbers() throws {
        let month = try RecognizerHarness(schema: #"{"type":"integer","minimum":1,"maximum":12}"#)
        for n in 1...12 { #expect(month.accepts("\(n)")) }
        for bad in ["0", "13", "012", "-1", "1.5", "100"] { #expect(!month.accepts(bad), "\(bad)") }
        #expect(month.prefixState("2") != nil && month.prefixState("20") == nil)
        let t = try RecognizerHarness(schema: #"{"type":"number","minimum":-40,"maximum":50}"#)
        for good in ["-40", "50", "0", "-0.5", "49.99", "-39.5", "12"] { #expect(t.accepts(good), "\(good)") }
        for bad in ["-41", "51", "50.5", "-40.5", "1e3", ".5", "-"] { #expect(!t.accepts(bad), "\(bad)") }
        let positive = try RecognizerHarness(schema: #"{"type":"number","exclusiveMinimum":0}"#)
        #expect(positive.accepts("3.25") && !positive.accepts("0") && !positive.accepts("0.5") && !positive.accepts("-1"))
        let big = try RecognizerHarness(schema: #"{"type":"integer"}"#)
        #expect(big.accepts("-123456789012345678") && !big.accepts("1234567890123456789"))
    }

    @Test("bounds that admit no integer-valued number are an error up front")
    func emptyBounds() throws {
        #expect(throws: ModelError.self) { try RecognizerHarness(schema: #"{"type":"number","minimum":0.2,"maximum":0.7}"#) }
        #expect(throws: ModelError.self) { try RecognizerHarness(schema: #"{"type":"number","exclusiveMinimum":0,"exclusiveMaximum":1}"#) }
    }

    @Test("string lengths count code points, escapes included")
    func stringLengths() throws {
        let g = try RecognizerHarness(schema: #"{"type":"string","minLength":2,"maxLength":3}"#)
        for good in [#""ab""#, #""abc""#, #""é日""#, #""a\n""#, #""\u0041bc""#] { #expect(g.accepts(good), "\(good)") }
        for bad in [#""a""#, #""abcd""#, #""日本語x""#, #""""#] { #expect(!g.accepts(bad), "\(bad)") }
    }

    @Test("string formats: date, time, date-time, uuid, email")
    func formats() throws {
        let date = try RecognizerHarness(schema: #"{"type":"string","format":"date"}"#)
        for good in ["2024-02-28", "1999-12-31", "2030-04-30", "2001-01-01"] { #expect(date.accepts("\"\(good)\""), "\(good)") }
        for bad in ["2024-02-30", "2024-02-29", "2024-13-01", "2024-04-31", "2024-00-10", "2024-1-01", "0999-01-01", "2024-01-00"] {
            #expect(!date.accepts("\"\(bad)\""), "\(bad)")
        }
        let time = try RecognizerHarness(schema: #"{"type":"string","format":"time"}"#)
        for good in ["08:30:00Z", "23:59:59.123+02:00", "00:00:00-05:30"] { #expect(time.accepts("\"\(good)\""), "\(good)") }
        for bad in ["24:00:00Z", "08:60:00Z", "08:30:00", "08:30Z", "08:30:00.Z"] { #expect(!time.accepts("\"\(bad)\""), "\(bad)") }
        let dateTime = try RecognizerHarness(schema: #"{"type":"string","format":"date-time"}"#)
        #expect(dateTime.accepts(#""2024-05-06T07:08:09Z""#) && !dateTime.accepts(#""2024-05-06 07:08:09Z""#))
        let uuid = try RecognizerHarness(schema: #"{"type":"string","format":"uuid"}"#)
        #expect(uuid.accepts(#""123e4567-e89b-12d3-a456-426614174000""#))
        #expect(!uuid.accepts(#""123e4567e89b-12d3-a456-426614174000""#) && !uuid.accepts(#""123e4567-e89b-12d3-a456-42661417400""#))
        let email = try RecognizerHarness(schema: #"{"type":"string","format":"email"}"#)
        #expect(email.accepts(#""jane.doe+x@mail.example.com""#))
        for bad in ["jane", "@x.com", "jane@", "jane@com", "jane@x."] { #expect(!email.accepts("\"\(bad)\""), "\(bad)") }
    }

    @Test("arrays respect minItems and maxItems")
    func arrays() throws {
        let g = try RecognizerHarness(schema: #"{"type":"array","items":{"type":"integer"},"minItems":1,"maxItems":2}"#)
        #expect(g.accepts("[1]") && g.accepts("[1, 2]") && g.accepts("[ 1 ,2 ]"))
        #expect(!g.accepts("[]") && !g.accepts("[1, 2, 3]") && !g.accepts("[1,]"))
    }

    @Test("anyOf of different types, nullable, type lists and tagged object unions")
    func unions() throws {
        // `nullable` is OpenAPI's; JSON Schema ignores it, so null is not written unless `type` allows it.
        let nullable = try RecognizerHarness(schema: #"{"type":"string","nullable":true}"#)
        #expect(!nullable.accepts("null") && nullable.accepts(#""x""#) && !nullable.accepts("1"))
        let list = try RecognizerHarness(schema: #"{"type":["integer","string","null"]}"#)
        #expect(list.accepts("1") && list.accepts(#""a""#) && list.accepts("null") && !list.accepts("true"))
        let any = try RecognizerHarness(schema: #"{"anyOf":[{"type":"string"},{"const":"fixed"},{"type":"number"},{"const":3}]}"#)
        #expect(any.accepts(#""fixed""#) && any.accepts(#""free""#) && any.accepts("3") && any.accepts("2.5"))
        let tagged = try RecognizerHarness(schema: #"{"oneOf":[{"type":"object","properties":{"kind":{"const":"a"},"x":{"type":"integer"}},"required":["kind","x"],"additionalProperties":false},{"type":"object","properties":{"kind":{"const":"b"},"y":{"type":"string"}},"required":["kind","y"],"additionalProperties":false}]}"#)
        #expect(tagged.accepts(#"{"kind": "a", "x": 1}"#) && tagged.accepts(#"{"kind": "b", "y": "s"}"#))
        #expect(!tagged.accepts(#"{"kind": "a", "y": "s"}"#) && !tagged.accepts(#"{"kind": "c", "x": 1}"#))
    }

    @Test("$ref to $defs and definitions is followed; recursion is an error")
    func references() throws {
        let g = try RecognizerHarness(schema: ##"{"$defs":{"P":{"type":"integer","minimum":0}},"type":"array","items":{"$ref":"#/$defs/P"}}"##)
        #expect(g.accepts("[1, 2]") && !g.accepts("[-1]"))
        #expect(throws: ModelError.self) {
            try RecognizerHarness(schema: ##"{"$defs":{"N":{"type":"object","properties":{"next":{"$ref":"#/$defs/N"}}}},"$ref":"#/$defs/N"}"##)
        }
    }

    @Test("unsupported keywords and ambiguous unions name the keyword and its JSON path")
    func unsupported() throws {
        let cases: [(String, String, String)] = [
            (#"{"type":"object","properties":{"code":{"type":"string","pattern":"^[a-z]+$"}}}"#, "pattern", "schema.properties.code.pattern"),
            (#"{"type":"array","items":{"type":"integer"},"uniqueItems":true}"#, "uniqueItems", "schema.uniqueItems"),
            (#"{"type":"integer","multipleOf":3}"#, "multipleOf", "schema.multipleOf"),
            (#"{"type":"string","format":"hostname"}"#, "hostname", "schema.format"),
            (#"{"anyOf":[{"type":"string","maxLength":3},{"type":"string","minLength":5}]}"#, "start with", "schema.anyOf"),
            (#"{"$ref":"https://example.com/s.json"}"#, "local references", "schema.$ref"),
        ]
        for (schema, word, path) in cases {
            do {
                _ = try RecognizerHarness(schema: schema)
                Issue.record("accepted \(schema)")
            } catch let error as ModelError {
                guard case .invalidInput(let message, let location) = error else {
                    Issue.record("unexpected \(error)")
                    continue
                }
                #expect(message.contains(word), "\(message)")
                #expect(location == path, "\(String(describing: location))")
            }
        }
    }

    @Test("random walks over the fixture schemas never reach a dead end, and finished walks validate with jsonschema")
    func noDeadEnds() throws {
        let fixture = try JSONValue(parsing: FixturePaths.data(FixturePaths.fixture("structured/schemas.json")))
        var generator = SeededGenerator(seed: 7)
        var cases: [JSONValue] = []
        var finished = 0
        for entry in try #require(fixture.arrayValue) {
            let schema = try #require(entry["schema"])
            let g = RecognizerHarness(try StructuredOutput.schemaGrammar(schema, path: "schema"))
            var outputs: [JSONValue] = []
            for _ in 0..<12 {
                var stack = g.start()
                var bytes: [UInt8] = []
                var ended = false
                for _ in 0..<4000 {
                    let allowed = (0...255).compactMap { b in g.step(stack, UInt8(b)).map { (UInt8(b), $0) } }
                    let canEnd = g.canEnd(stack)
                    #expect(!allowed.isEmpty || canEnd, "dead end after \(String(decoding: bytes, as: UTF8.self))")
                    if allowed.isEmpty || (canEnd && generator.nextUnit() < 0.5) {
                        ended = canEnd
                        break
                    }
                    // Prefer closing bytes so that walks finish; otherwise printable ASCII, sometimes anything.
                    let closing = allowed.filter { [0x22, 0x7D, 0x5D].contains($0.0) }
                    let ascii = allowed.filter { $0.0 >= 0x20 && $0.0 < 0x7F }
                    let u = generator.nextUnit()
                    let pool = !closing.isEmpty && u < 0.3 ? closing : (!ascii.isEmpty && u < 0.95 ? ascii : allowed)
                    let pick = pool[Int(generator.nextUnit() * Double(pool.count)) % pool.count]
                    bytes.append(pick.0)
                    stack = pick.1
                }
                if ended {
                    let text = String(decoding: bytes, as: UTF8.self)
                    #expect((try? JSONValue(parsing: text)) != nil, "\(text)")
                    outputs.append(.string(text))
                }
            }
            finished += outputs.count
            cases.append(["name": entry["name"] ?? .null, "schema": schema, "outputs": .array(outputs)])
        }
        #expect(finished > 200)
        let (checked, failures) = try validateWithJSONSchema(cases)
        #expect(checked == finished)
        #expect(failures.isEmpty, "\(failures.prefix(5))")
    }
}
