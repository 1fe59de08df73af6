import Foundation
import SmolCore
import SmolTestSupport
import Testing

@testable import SmolLocal

/// Mangled real templates must parse or fail with a typed error, and render or fail with a typed error,
/// quickly: never crash, hang or trap.
@Suite("Mangled templates never crash the interpreter")
struct TemplateFuzzTests {
    /// SplitMix64, so every run mangles the same way.
    typealias Generator = SplitMix64

    static let fragments = [
        "{{", "}}", "{%", "%}", "{#", "#}", "-", "+", "(", ")", "[", "]", "{", "}", "'", "\"", "\\", "|", ".", ",",
        ":", "~", "*", "**", "//", " if ", " else ", " for ", " in ", " not ", " is ", "endif", "endfor", "loop",
        "range(99999)", "raise_exception('x')", "ns", "namespace()", "{% for x in range(50) %}", "{% endfor %}",
        "{% macro m() %}{{ m() }}{% endmacro %}{{ m() }}", "\n", "  ", "\u{00A0}", "é", "🌍", "0", "-1", "1e400",
        "|tojson(indent=4)", "|join", "[::-1]", "|items", "None", "undefined_name.x",
    ]

    @Test("thousands of mutations of the real templates end in output or a ChatTemplateError")
    func mutations() throws {
        let root = try TemplateFixtures.json("template-renders.json")
        let conversation = try #require(root["conversations"]?["tool_call"])
        let messages = conversation["messages"]?.arrayValue ?? []
        let tools = conversation["tools"]?.arrayValue
        let models = ["SmolLM2-135M-Instruct", "Qwen2.5-7B-Instruct", "Llama-3.1-8B-Instruct", "Llama-3.2-3B-Instruct",
                      "Mistral-Nemo-Instruct-2407", "SmolLM3-3B"]
        var generator = Generator(state: UInt64(ProcessInfo.processInfo.environment["FUZZ_SEED"] ?? "20241105") ?? 20_241_105)
        let limits = TemplateLimits(maxLoopIterations: 20_000, maxOutputBytes: 1 << 20)
        var parsed = 0, rendered = 0
        let clock = ContinuousClock()
        let start = clock.now
        for model in models {
            let original = Array(try TemplateFixtures.template(named: model))
            for _ in 0..<(Int(ProcessInfo.processInfo.environment["FUZZ_N"] ?? "250") ?? 250) {
                var text = original
                for _ in 0..<Int.random(in: 1...4, using: &generator) {
                    let position = Int.random(in: 0...text.count, using: &generator)
                    switch Int.random(in: 0..<3, using: &generator) {
                    case 0:
                        let end = min(text.count, position + Int.random(in: 1...12, using: &generator))
                        text.removeSubrange(position..<end)
                    case 1:
                        text.insert(contentsOf: Self.fragments.randomElement(using: &generator) ?? "", at: position)
                    default:
                        let end = min(text.count, position + Int.random(in: 1...40, using: &generator))
                        text.insert(contentsOf: text[position..<end], at: min(text.count, end))
                    }
                }
                guard let template = try? ChatTemplate(source: String(text), limits: limits) else { continue }
                parsed += 1
                if (try? template.render(messages: messages, tools: tools, addGenerationPrompt: true)) != nil {
                    rendered += 1
                }
            }
        }
        print("FUZZ parsed \(parsed) rendered \(rendered)")
        // Mostly still valid templates, so the interpreter itself is exercised, not only the parser's errors.
        #expect(parsed > 300)
        #expect(rendered > 100)
        #expect(clock.now - start < .seconds(60))
    }
}
