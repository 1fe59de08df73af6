import SmolCore
import Testing

@testable import SmolLocal

/// Issue 13 §1: `<think>` blocks go to `reasoningContent`, and each family's native tool-call syntax is parsed.
@Suite("Reasoning blocks and native tool-call syntaxes")
struct ReasoningAndToolSyntaxTests {
    static let qwenPrompt = "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"

    @Test("a leading <think> block is reasoning and the whitespace after it is not part of the answer")
    func splitsLeadingBlock() {
        let (reasoning, content) = ReasoningSplitter.split("<think>\nThe user greets me.\n</think>\n\nHello!", prompt: Self.qwenPrompt)
        #expect(reasoning == "The user greets me.")
        #expect(content == "Hello!")
    }

    @Test("output without a block, or with <think> later in the text, is all content")
    func noBlock() {
        #expect(ReasoningSplitter.split("Hello!", prompt: Self.qwenPrompt) == (nil, "Hello!"))
        let late = "Use the <think> tag like this: <think>x</think>"
        #expect(ReasoningSplitter.split(late, prompt: Self.qwenPrompt) == (nil, late))
        // Qwen3 with enable_thinking=false: the template already closed an empty block in the prompt.
        let closed = Self.qwenPrompt + "<think>\n\n</think>\n\n"
        #expect(ReasoningSplitter.split("Hello!", prompt: closed) == (nil, "Hello!"))
    }

    @Test("a prompt that ends inside an open <think> makes the output reasoning up to </think>")
    func promptOpensBlock() {
        let (reasoning, content) = ReasoningSplitter.split("Let me think.\n</think>\n\nParis.", prompt: Self.qwenPrompt + "<think>\n")
        #expect(reasoning == "Let me think.")
        #expect(content == "Paris.")
    }

    @Test("reasoning cut off by the token limit stays reasoning, with no content")
    func unterminated() {
        let (reasoning, content) = ReasoningSplitter.split("<think>\nStill thinking", prompt: Self.qwenPrompt)
        #expect(reasoning == "Still thinking")
        #expect(content == "")
    }

    @Test("streamed one character at a time, no tag leaks and the pieces add up to the whole", arguments: [1, 2, 3, 5])
    func streamsWithoutLeakingTags(pieceLength: Int) {
        let text = "  <think>\nA < B, and </thin is not the end.\n</think>\n\nThe answer </think> is 42."
        var splitter = ReasoningSplitter(prompt: Self.qwenPrompt)
        var reasoning = "", content = ""
        var rest = Substring(text)
        while !rest.isEmpty {
            let piece = rest.prefix(pieceLength)
            rest = rest.dropFirst(pieceLength)
            let out = splitter.feed(String(piece))
            #expect(!out.reasoning.contains("</think>") && !out.content.contains("<think>"))
            reasoning += out.reasoning
            content += out.content
        }
        let end = splitter.finish()
        reasoning += end.reasoning
        content += end.content
        #expect(reasoning == "\nA < B, and </thin is not the end.\n")
        #expect(content == "The answer </think> is 42.")
    }

    @Test("a template decides whether reasoning is split at all")
    func appliesOnlyToReasoningTemplates() {
        #expect(ReasoningSplitter.applies(toTemplate: "{{ '<think>\\n\\n</think>\\n\\n' }}"))
        #expect(!ReasoningSplitter.applies(toTemplate: "{% for m in messages %}{{ m.content }}{% endfor %}"))
        #expect(!ReasoningSplitter.applies(toTemplate: nil))
    }

    @Test("Mistral's [TOOL_CALLS] list (v3) and name[ARGS]{…} form (v11) are parsed into tool calls")
    func mistralToolCalls() {
        let v3 = #"[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris"}}, {"name": "now", "arguments": {}}]"#
        let (content, calls) = GeneratedToolCalls.extract(from: v3)
        #expect(content == "")
        #expect(calls.map(\.function.name) == ["get_weather", "now"])
        #expect(calls.first?.function.arguments == ["city": "Paris"])
        let v11 = #"Checking.[TOOL_CALLS]get_weather[ARGS]{"city": "Lyon"}[TOOL_CALLS]now[ARGS]{}"#
        let second = GeneratedToolCalls.extract(from: v11)
        #expect(second.content == "Checking.")
        #expect(second.calls.map(\.function.name) == ["get_weather", "now"])
        #expect(second.calls.first?.function.arguments == ["city": "Lyon"])
        let broken = "[TOOL_CALLS]not json"
        #expect(GeneratedToolCalls.extract(from: broken).calls.isEmpty)
        #expect(GeneratedToolCalls.extract(from: broken).content == broken)
    }

    @Test("Phi-4-mini's <|tool_call|>[…]<|/tool_call|> block is parsed into tool calls")
    func phiToolCalls() {
        let text = #"Sure.<|tool_call|>[{"name": "get_weather", "arguments": {"city": "Oslo"}}]<|/tool_call|>"#
        let (content, calls) = GeneratedToolCalls.extract(from: text)
        #expect(content == "Sure.")
        #expect(calls.count == 1 && calls.first?.function.name == "get_weather")
        #expect(calls.first?.function.arguments == ["city": "Oslo"])
    }
}
