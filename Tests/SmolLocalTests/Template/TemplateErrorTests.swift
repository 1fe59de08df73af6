import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// Errors carry the template's message, kind and position.
@Suite("Template errors say what went wrong and where")
struct TemplateErrorTests {
    @Test("raise_exception surfaces the template's message with its line")
    func raisedMessage() throws {
        let template = try ChatTemplate(source: "{% for m in messages %}\n{% if m.role == 'tool' %}\n{{ raise_exception('No tools here: ' + m.role) }}\n{% endif %}\n{% endfor %}")
        do {
            _ = try template.render(messages: [["role": "user", "content": "x"], ["role": "tool", "content": "y"]], addGenerationPrompt: false)
            Issue.record("rendered")
        } catch {
            #expect(error.kind == .raised)
            #expect(error.message == "No tools here: tool")
            #expect(error.line == 3)
        }
    }

    @Test("a real template's raise_exception reaches the caller (Llama 3.1, two tool calls)")
    func realTemplateRaises() throws {
        let template = try ChatTemplate(source: try TemplateFixtures.template(named: "Llama-3.1-8B-Instruct"))
        let call: JSONValue = ["type": "function", "function": ["name": "f", "arguments": [:]]]
        do {
            _ = try template.render(
                messages: [["role": "user", "content": "x"], ["role": "assistant", "tool_calls": [call, call]]],
                tools: [["type": "function", "function": ["name": "f"]]], addGenerationPrompt: true)
            Issue.record("rendered")
        } catch {
            #expect(error.kind == .raised)
            #expect(error.message == "This model only supports single tool-calls at once!")
            #expect(error.line > 1)
        }
    }

    @Test("a syntax error names the line and column and reads well")
    func syntaxPosition() throws {
        #expect(throws: ChatTemplateError.self) { try ChatTemplate(source: "ok\n  {{ 1 + }}") }
        let error = try #require(throws: ChatTemplateError.self) {
            try ChatTemplate(source: "ok\nline two {% for x in %}")
        }
        #expect(error.kind == .syntax)
        #expect(error.line == 2)
        #expect(error.column > 10)
        #expect(error.description.hasPrefix("chat template line 2, column "))
    }

    @Test("unknown filter and test names fail at parse time, except inside an if, as jinja2's compiler decides")
    func unknownNames() throws {
        #expect(throws: ChatTemplateError(.syntax, "No filter named 'frobnicate'.", line: 2, column: 26)) {
            try ChatTemplate(source: "x\n{% for x in y %}{{ 'x' | frobnicate }}{% endfor %}")
        }
        let deferred = try ChatTemplate(source: "{% if flag %}{{ 'x' | frobnicate }}{% endif %}ok")
        #expect(try deferred.render(context: ["flag": false]) == "ok")
        #expect(throws: ChatTemplateError(.unsupported, "No filter named 'frobnicate' found.", line: 1, column: 23)) {
            try deferred.render(context: ["flag": true])
        }
        #expect(throws: ChatTemplateError(.syntax, "No test named 'frob'.", line: 1, column: 6)) {
            try ChatTemplate(source: "{{ 1 is frob }}")
        }
    }

    @Test("a jinja2 filter outside the supported subset parses, and fails as unsupported only when used")
    func unsupportedFilter() throws {
        let template = try ChatTemplate(source: "{% if flag %}{{ 'abc'|center(9) }}{% endif %}ok")
        #expect(try template.render(context: ["flag": false]) == "ok")
        do {
            _ = try template.render(context: ["flag": true])
            Issue.record("rendered")
        } catch {
            #expect(error.kind == .unsupported)
            #expect(error.message.contains("'center'"))
        }
    }

    @Test("one parsed template renders concurrently from many tasks")
    func concurrentRenders() async throws {
        let template = try ChatTemplate(source: try TemplateFixtures.template(named: "Qwen2.5-7B-Instruct"))
        let outputs = try await withThrowingTaskGroup(of: String.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try template.render(messages: [["role": "user", "content": .string("question \(index % 2)")]], addGenerationPrompt: true)
                }
            }
            return try await group.reduce(into: Set<String>()) { $0.insert($1) }
        }
        #expect(outputs.count == 2)
    }
}
