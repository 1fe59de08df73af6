import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// Rendering must be negligible next to inference: well under a millisecond for a tool-calling prompt.
@Suite("Template rendering speed")
struct TemplatePerformanceTests {
    @Test("Qwen2.5 with two tools and a tool-call conversation renders in well under a millisecond (release)")
    func qwenWithTools() throws {
        let root = try TemplateFixtures.json("template-renders.json")
        let conversation = try #require(root["conversations"]?["tool_call"])
        let messages = conversation["messages"]?.arrayValue ?? []
        let tools = conversation["tools"]?.arrayValue
        let template = try ChatTemplate(source: try TemplateFixtures.template(named: "Qwen2.5-7B-Instruct"))
        var output = ""
        let clock = ContinuousClock()
        var best = Duration.seconds(1)
        for _ in 0..<200 {
            let start = clock.now
            output = try template.render(messages: messages, tools: tools, addGenerationPrompt: true)
            best = min(best, clock.now - start)
        }
        #expect(output.hasSuffix("<|im_start|>assistant\n"))
        print("Qwen2.5 tools render: best of 200 = \(best)")
        #if DEBUG
        #expect(best < .milliseconds(20))
        #else
        #expect(best < .milliseconds(1))
        #endif
    }
}
