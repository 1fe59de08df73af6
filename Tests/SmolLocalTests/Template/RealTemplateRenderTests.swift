import SmolCore
import Testing

@testable import SmolLocal

/// Real chat templates (SmolLM2, Qwen2.5, Llama 3.1/3.2/3.3, Mistral Nemo, SmolLM3, Qwen3, Gemma 2, Phi-3.5,
/// Mistral Small 3.2, DeepSeek-R1-Distill-Qwen) rendered with
/// conversations, compared byte for byte with transformers' `apply_chat_template(..., tokenize=False)`; plus a
/// template that prints the whole context, which pins down the message normalization `render(messages:)` does.
@Suite("Real chat templates render as transformers renders them")
struct RealTemplateRenderTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let template: String
        let conversation: String
        let expected: String?
        let error: TemplateFixtures.ExpectedError?
        var testDescription: String { "\(template) / \(conversation)" }
    }

    static func load() throws -> (root: JSONValue, cases: [Case]) {
        let root = try TemplateFixtures.json("template-renders.json")
        let cases = (root["cases"]?.arrayValue ?? []).map { entry in
            Case(
                template: entry["template"]?.stringValue ?? "?", conversation: entry["conversation"]?.stringValue ?? "?",
                expected: entry["expected"]?.stringValue, error: TemplateFixtures.ExpectedError(entry["error"]))
        }
        return (root, cases)
    }

    static let cases: [Case] = (try? load().cases) ?? []

    @Test("the fixture covers all twelve templates with tool calls and enable_thinking")
    func fixtureIsComplete() throws {
        let cases = try Self.load().cases
        let models: Set = [
            "SmolLM2-135M-Instruct", "Qwen2.5-7B-Instruct", "Llama-3.1-8B-Instruct", "Llama-3.2-3B-Instruct",
            "Llama-3.3-70B-Instruct", "Mistral-Nemo-Instruct-2407", "SmolLM3-3B", "Qwen3-0.6B", "gemma-2-2b-it",
            "Phi-3.5-mini-instruct", "Mistral-Small-3.2-24B-Instruct-2506", "DeepSeek-R1-Distill-Qwen-32B", "context-dump",
        ]
        #expect(Set(cases.map(\.template)) == models)
        #expect(cases.count >= 180)
        #expect(cases.contains { $0.template.hasPrefix("Qwen") && $0.conversation == "tool_call" && $0.expected != nil })
        for conversation in ["thinking_on", "thinking_off", "reasoning_history"] {
            #expect(cases.contains { $0.template == "Qwen3-0.6B" && $0.conversation == conversation && $0.expected != nil })
        }
    }

    @Test("each conversation renders byte for byte as apply_chat_template", arguments: cases)
    func render(_ testCase: Case) throws {
        let root = try Self.load().root
        let conversation = try #require(root["conversations"]?[testCase.conversation])
        var specialTokens: [String: String] = [:]
        for (name, token) in root["special_tokens"]?[testCase.template]?.objectValue ?? [:] {
            specialTokens[name] = token.stringValue
        }
        var extra: [String: JSONValue] = [:]
        for (name, value) in conversation["extra"]?.objectValue ?? [:] { extra[name] = value }
        let template = try ChatTemplate(source: try TemplateFixtures.template(named: testCase.template), clock: TemplateFixtures.clock)
        do {
            let output = try template.render(
                messages: conversation["messages"]?.arrayValue ?? [], tools: conversation["tools"]?.arrayValue,
                addGenerationPrompt: conversation["add_generation_prompt"]?.boolValue ?? false,
                specialTokens: specialTokens, extraContext: extra)
            if let expected = testCase.expected {
                #expect(output == expected)
            } else {
                Issue.record("rendered, but transformers raised \(testCase.error.map { "\($0.type): \($0.message)" } ?? "?")")
            }
        } catch {
            guard let expectedError = testCase.error else {
                Issue.record("\(error)")
                return
            }
            expectedError.check(error, testCase.testDescription)
        }
    }
}
