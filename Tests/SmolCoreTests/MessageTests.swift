import Testing

@testable import SmolCore

@Suite("Messages and their smolagents JSON")
struct MessageTests {
    @Test("roles keep smolagents' raw values")
    func roleRawValues() {
        #expect(MessageRole.roles == ["user", "assistant", "system", "tool-call", "tool-response"])
        #expect(MessageRole.toolCall.rawValue == "tool-call")
        #expect(MessageRole.toolRoleConversions == [.toolCall: .assistant, .toolResponse: .user])
    }

    @Test("an unknown role is a typed error naming the role and where it was")
    func unknownRole() {
        #expect(throws: ModelError.invalidInput(
            message: "Incorrect role robot, only ['user', 'assistant', 'system', 'tool-call', 'tool-response'] are supported for now.",
            location: "messages[3].role")) {
            try ChatMessage(json: ["role": "robot", "content": "hi"], location: "messages[3]")
        }
    }

    @Test("model_dump_json gives smolagents' shape with list content kept")
    func modelDumpJSON() throws {
        let message = ChatMessage(role: .user, text: "Hello!")
        let dumped = try JSONValue(parsing: message.modelDumpJSON())
        #expect(dumped == ["role": "user", "content": [["type": "text", "text": "Hello!"]], "tool_calls": .null,
                           "token_usage": .null])
        #expect(message.modelDumpJSON()
            == #"{"role": "user", "content": [{"type": "text", "text": "Hello!"}], "tool_calls": null, "token_usage": null}"#)
    }

    @Test("string and list content survive a round trip in their own form")
    func contentFormsRoundTrip() throws {
        for content: MessageContent in ["plain", [.text("a"), .text("b")]] {
            let message = ChatMessage(role: .assistant, content: content, tokenUsage: TokenUsage(inputTokens: 3, outputTokens: 4))
            let decoded = try ChatMessage(json: message.json)
            #expect(decoded == message)
        }
    }

    @Test("images decode from data URIs, bare base64 and URLs, and encode as image_url blocks")
    func imageBlocks() throws {
        let png = "iVBORw0KGgoAAAANSUhEUg=="
        let content = try MessageContent(json: [
            ["type": "image", "image": .string(png)],
            ["type": "image", "image": "data:image/jpeg;base64,/9j/4AAQ"],
            ["type": "image_url", "image_url": ["url": "https://example.com/cat.png"]],
            ["type": "input_audio", "input_audio": ["data": "AAAA", "format": "wav"]],
        ])
        #expect(content.parts == [
            .image(.base64(data: png, mimeType: "image/png")),
            .image(.base64(data: "/9j/4AAQ", mimeType: "image/jpeg")),
            .image(.url("https://example.com/cat.png")),
            .other(["type": "input_audio", "input_audio": ["data": "AAAA", "format": "wav"]]),
        ])
        #expect(content.parts[1].json == ["type": "image_url", "image_url": ["url": "data:image/jpeg;base64,/9j/4AAQ"]])
    }

    @Test("malformed messages are typed errors that say where")
    func malformedMessages() {
        #expect(throws: ModelError.invalidInput(message: "a content block needs a string \"type\"",
                                                location: "message.content[1]")) {
            try ChatMessage(json: ["role": "user", "content": [["type": "text", "text": "a"], ["text": "b"]]])
        }
        #expect(throws: ModelError.invalidInput(message: "\"input_tokens\" must be a non-negative integer, got \"x\"",
                                                location: "message.token_usage")) {
            try ChatMessage(json: ["role": "user", "token_usage": ["input_tokens": "x"]])
        }
        #expect(throws: ModelError.invalidInput(message: "a tool call needs a string \"id\"",
                                                location: "message.tool_calls[0]")) {
            try ChatMessage(json: ["role": "assistant", "tool_calls": [["function": ["name": "f", "arguments": "{}"]]]])
        }
    }

    @Test("null token counts read as zero instead of crashing (smolagents #1436)")
    func nullTokenCounts() throws {
        let usage = try TokenUsage(json: ["input_tokens": .null, "output_tokens": 7])
        #expect(usage == TokenUsage(inputTokens: 0, outputTokens: 7))
        #expect(usage.totalTokens == 7)
        let detailed = TokenUsage(inputTokens: 10, outputTokens: 5, cachedInputTokens: 4, reasoningTokens: 2)
        #expect(try TokenUsage(json: detailed.json) == detailed)
        #expect((detailed + .zero).cachedInputTokens == 4)
    }

    @Test("render_as_markdown prints text then one JSON line per tool call, and no 'None'")
    func renderAsMarkdown() {
        let call = ChatMessageToolCall(id: "c1", function: .init(name: "search", arguments: ["q": "x"]))
        #expect(ChatMessage(role: .assistant, toolCalls: [call]).renderAsMarkdown() == #"{"tool": "search", "arguments": {"q": "x"}}"#)
        #expect(ChatMessage(role: .assistant, content: "Hi").renderAsMarkdown() == "Hi")
        #expect("\(call)" == #"Call: c1: Calling search with arguments: {"q": "x"}"#)
    }
}

@Suite("getCleanMessageList")
struct CleanMessageListTests {
    private let image = ContentPart.image(.base64(data: "encoded_image", mimeType: "image/png"))
    private let second = ContentPart.image(.base64(data: "second_encoded_image", mimeType: "image/png"))

    @Test("images become base64 image blocks or data-URI image_url blocks (smolagents vector 12)")
    func imageConversion() throws {
        let messages = [ChatMessage(role: .user, content: [image, second])]
        let local = try getCleanMessageList(messages)
        #expect(local.map(\.json) == [["role": "user", "content": [["type": "image", "image": "encoded_image"],
                                                                   ["type": "image", "image": "second_encoded_image"]]]])
        let api = try getCleanMessageList(messages, convertImagesToImageURLs: true)
        #expect(api.map(\.json) == [["role": "user", "content": [
            ["type": "image_url", "image_url": ["url": "data:image/png;base64,encoded_image"]],
            ["type": "image_url", "image_url": ["url": "data:image/png;base64,second_encoded_image"]],
        ]]])
    }

    @Test("consecutive same-role messages merge; flatten joins with newlines (smolagents vector 13)")
    func flattenMerges() throws {
        let messages = [ChatMessage(role: .user, text: "Hello!"), ChatMessage(role: .user, text: "How are you?")]
        #expect(try getCleanMessageList(messages, flattenMessagesAsText: true).map(\.json)
            == [["role": "user", "content": "Hello!\nHow are you?"]])
        #expect(try getCleanMessageList(messages).map(\.json)
            == [["role": "user", "content": [["type": "text", "text": "Hello!\nHow are you?"]]]])
    }

    @Test("role conversions apply before merging, so tool calls join the assistant turn")
    func conversionsThenMerge() throws {
        let messages = [ChatMessage(role: .assistant, text: "Thinking"), ChatMessage(role: .toolCall, text: "Calling tools:")]
        let clean = try getCleanMessageList(messages, roleConversions: MessageRole.toolRoleConversions)
        #expect(clean.map(\.json) == [["role": "assistant", "content": [["type": "text", "text": "Thinking\nCalling tools:"]]]])
    }

    @Test("plain-string content merges instead of crashing (smolagents #1972)")
    func stringContentMerges() throws {
        let messages = [ChatMessage(role: .system, content: "one"), ChatMessage(role: .system, content: "two"),
                        ChatMessage(role: .system, text: "three")]
        #expect(try getCleanMessageList(messages).map(\.json)
            == [["role": "system", "content": [["type": "text", "text": "one\ntwo\nthree"]]]])
        #expect(try getCleanMessageList(Array(messages.prefix(2))).map(\.json) == [["role": "system", "content": "one\ntwo"]])
        #expect(try getCleanMessageList(messages, flattenMessagesAsText: true).map(\.json)
            == [["role": "system", "content": "one\ntwo\nthree"]])
    }

    @Test("a message without content adds nothing to a merge")
    func nilContentMerges() throws {
        let messages = [ChatMessage(role: .assistant, text: "a"), ChatMessage(role: .assistant),
                        ChatMessage(role: .assistant, text: "b")]
        #expect(try getCleanMessageList(messages).map(\.json) == [["role": "assistant", "content": [["type": "text", "text": "a\nb"]]]])
    }

    @Test("images mixed with flattening are a typed error pointing at the block")
    func imagesWithFlattenFail() {
        let messages = [ChatMessage(role: .user, text: "hi"), ChatMessage(role: .user, content: [.text("look"), image])]
        #expect(throws: ModelError.invalidInput(message: "Cannot use images with flatten_messages_as_text=True",
                                                location: "messages[1].content[1]")) {
            try getCleanMessageList(messages, flattenMessagesAsText: true)
        }
    }

    @Test("text blocks with extra keys are kept and still merge their text")
    func extraKeysKept() throws {
        let cached = ContentPart.other(["type": "text", "text": "long prompt", "cache_control": ["type": "ephemeral"]])
        let clean = try getCleanMessageList([ChatMessage(role: .user, content: [cached]), ChatMessage(role: .user, text: "q")])
        #expect(clean.map(\.json) == [["role": "user", "content": [
            ["type": "text", "text": "long prompt\nq", "cache_control": ["type": "ephemeral"]]]]])
    }
}
