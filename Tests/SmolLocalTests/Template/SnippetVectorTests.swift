import SmolCore
import Testing

@testable import SmolLocal

/// Small templates rendered by jinja2 with transformers' environment, replayed here.
@Suite("Jinja snippets match jinja2 with transformers' environment")
struct SnippetVectorTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let template: String
        let expected: String?
        let error: TemplateFixtures.ExpectedError?
        var testDescription: String { name }
    }

    static func load() throws -> (context: [String: JSONValue], vectors: [Vector]) {
        let root = try TemplateFixtures.json("snippets.json")
        var context: [String: JSONValue] = [:]
        for (key, value) in root["context"]?.objectValue ?? [:] { context[key] = value }
        let vectors = (root["vectors"]?.arrayValue ?? []).map { entry in
            Vector(
                name: entry["name"]?.stringValue ?? "?", template: entry["template"]?.stringValue ?? "",
                expected: entry["expected"]?.stringValue, error: TemplateFixtures.ExpectedError(entry["error"]))
        }
        return (context, vectors)
    }

    static let vectors: [Vector] = (try? load().vectors) ?? []

    @Test("the fixture holds at least 40 snippet vectors")
    func fixtureIsComplete() throws {
        let (context, vectors) = try Self.load()
        #expect(vectors.count >= 40)
        #expect(context["msgs"] != nil)
    }

    @Test("each snippet renders as jinja2 rendered it, or fails the way jinja2 failed", arguments: vectors)
    func snippet(_ vector: Vector) throws {
        let context = try Self.load().context
        do {
            let template = try ChatTemplate(source: vector.template, clock: TemplateFixtures.clock)
            let output = try template.render(context: context)
            if let expected = vector.expected {
                #expect(output == expected)
            } else {
                Issue.record("\(vector.name): rendered \(output.debugDescription), jinja2 raised \(vector.error.map { "\($0.type): \($0.message)" } ?? "?")")
            }
        } catch {
            guard let expectedError = vector.error else {
                Issue.record("\(vector.name): \(error), jinja2 rendered \(vector.expected?.debugDescription ?? "")")
                return
            }
            expectedError.check(error, vector.name)
        }
    }
}
