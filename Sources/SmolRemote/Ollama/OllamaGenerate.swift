import Foundation
import SmolCore

/// LiteLLM's `ollama/<model>` route: `POST /api/generate` with the chat flattened into one prompt.
///
/// As LiteLLM 1.108.7 does it (`ollama_pt`, `function_call_prompt`): runs of user (and tool-result)
/// messages become `### User:\n…\n\n`, runs of system messages `### System:\n…\n\n`, runs of assistant
/// messages `### Assistant:\n…\n\n` (tool calls as `{"name": …, "arguments": …}` JSON lines); user
/// images go to the top-level `images` as base64. Tools are not an Ollama `/api/generate` feature:
/// LiteLLM describes them in a function prompt (the tool dicts printed as Python prints them) appended
/// to every system message — or added as a last system message — and asks for `format: "json"`;
/// a reply shaped `{"name": …, "arguments": …}` is read back as a tool call.
public enum OllamaGenerate {
    /// LiteLLM's function-prompt header, verbatim.
    static let functionPromptHeader = """
        To call a function, reply with JSON ONLY in this format {"name": "function_name", "arguments":{"argument_name": "argument_value"}}. Once a function result answers the request, reply to the user in plain text instead of calling a function again. The following functions are available to you:
        """

    private enum Turn { case user, system, assistant }

    /// The `/api/generate` request body LiteLLM sends for this call.
    ///
    /// - Throws: ``/SmolCore/ModelError/unsupported(message:)`` for an image given by URL;
    ///   ``/SmolCore/ModelError/invalidInput(message:location:)`` for a forced tool that is not offered.
    public static func requestBody(
        model: String, messages: [ChatMessage], options: GenerateOptions, modelParameters: ModelParameters = [:],
        stream: Bool
    ) throws(ModelError) -> JSONObject {
        var turns: [(turn: Turn, message: ChatMessage)] = messages.map { message in
            switch message.role {
            case .system: return (.system, message)
            case .assistant, .toolCall: return (.assistant, message)
            default: return (.user, message)
            }
        }
        var format = try OllamaCodec.format(options.responseFormat)
        if let tools = try OllamaCodec.offeredTools(options), !tools.isEmpty {
            let functionPrompt = functionPromptHeader + tools.map { "\n\(Python.repr($0.jsonSchema))\n" }.joined()
            if turns.contains(where: { $0.turn == .system }) {
                for index in turns.indices where turns[index].turn == .system {
                    let text = texts(of: turns[index].message).joined()
                    turns[index].message = ChatMessage(role: .system, text: "\(text) \(functionPrompt)")
                }
            } else {
                turns.append((.system, ChatMessage(role: .system, text: functionPrompt)))
            }
            format = "json"
        }

        var prompt = ""
        var images: [JSONValue] = []
        var index = 0
        while index < turns.count {
            var users: [String] = []
            while index < turns.count, turns[index].turn == .user {
                let message = turns[index].message
                let parts = texts(of: message)
                if !parts.isEmpty { users.append(parts.joined(separator: "\n")) }
                images += try imageData(of: message, location: "messages[\(index)]").map(JSONValue.string)
                index += 1
            }
            if !users.isEmpty { prompt += "### User:\n\(users.joined(separator: "\n"))\n\n" }
            var system = ""
            while index < turns.count, turns[index].turn == .system {
                system += texts(of: turns[index].message).joined()
                index += 1
            }
            if !system.isEmpty { prompt += "### System:\n\(system)\n\n" }
            var assistant = ""
            while index < turns.count, turns[index].turn == .assistant {
                let message = turns[index].message
                assistant += texts(of: message).joined()
                if let calls = message.toolCalls, !calls.isEmpty {
                    if !assistant.isEmpty { assistant += "\n" }
                    assistant += calls.map { call in
                        let arguments = parseJSONIfNeeded(call.function.arguments)
                        return JSONEmitter(ensureASCII: true).string(from: [
                            "name": .string(call.function.name), "arguments": arguments])
                    }.joined(separator: "\n")
                }
                index += 1
            }
            if !assistant.isEmpty { prompt += "### Assistant:\n\(assistant)\n\n" }
        }

        var body: JSONObject = ["model": .string(model), "prompt": .string(prompt)]
        var ollamaOptions: JSONObject = [:]
        if let stops = options.stopSequences, !stops.isEmpty { ollamaOptions["stop"] = .array(stops.map(JSONValue.string)) }
        OllamaCodec.apply(OllamaCodec.merged(options.parameters, modelParameters), body: &body, options: &ollamaOptions)
        body["options"] = .object(ollamaOptions)
        body["stream"] = .bool(stream)
        if let format { body["format"] = format }
        body["images"] = .array(images)
        return body
    }

    /// The non-empty texts of a message's content (a content block's `text` included).
    static func texts(of message: ChatMessage) -> [String] {
        (message.content?.parts ?? []).compactMap { part in
            switch part {
            case .text(let text): return text.isEmpty ? nil : text
            case .other(let object): return object["text"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            case .image: return nil
            }
        }
    }

    /// A message's images as bare base64.
    static func imageData(of message: ChatMessage, location: String) throws(ModelError) -> [String] {
        var result: [String] = []
        for part in message.content?.parts ?? [] {
            switch part {
            case .image(.base64(let data, _)): result.append(data)
            case .image(.url(let url)):
                guard let data = OllamaCodec.base64Payload(ofDataURL: url) else {
                    throw .unsupported(message: "Ollama takes images as base64 bytes, not URLs (\(location)): download the image first")
                }
                result.append(data)
            default: continue
            }
        }
        return result
    }

    /// Decodes a non-streamed `/api/generate` reply as LiteLLM reads it: `response` is the text and
    /// `thinking` the reasoning; when the request asked for `format: "json"` the text is parsed, and a
    /// `{"name": …, "arguments": …}` object becomes a tool call (finish reason `tool_calls`) while any
    /// other JSON is re-serialised as Python's `json.dumps` writes it; text that does not parse stays as it is.
    ///
    /// - Throws: ``/SmolCore/ModelError/decoding(message:payload:)`` carrying the payload for `{"error": …}` or
    ///   undecodable JSON.
    public static func decodeResponse(_ bytes: [UInt8], jsonFormat: Bool) throws(ModelError) -> ChatMessage {
        let json = try OllamaCodec.parse(bytes)
        let text = json["response"]?.stringValue ?? ""
        var message = ChatMessage(
            role: .assistant, content: .text(text), raw: json, tokenUsage: OllamaCodec.usage(json),
            reasoningContent: json["thinking"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 },
            finishReason: json["done_reason"]?.stringValue ?? "stop")
        if jsonFormat, !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty,
           let parsed = try? JSONValue(parsing: strippingCodeFence(text)) {
            if let call = toolCall(parsed) {
                message.content = nil
                message.toolCalls = [call]
                message.finishReason = "tool_calls"
            } else {
                message.content = .text(JSONEmitter(ensureASCII: true).string(from: parsed))
            }
        }
        return message
    }

    /// A `{"name": …, "arguments": …}` object as a tool call (`call_0`), arguments as JSON text.
    static func toolCall(_ value: JSONValue) -> ChatMessageToolCall? {
        guard case .object(let object) = value, let name = object["name"], let arguments = object["arguments"] else {
            return nil
        }
        return ChatMessageToolCall(id: "call_0", function: ChatMessageToolCallFunction(
            name: name.stringValue ?? JSONEmitter().string(from: name),
            arguments: .string(JSONEmitter(ensureASCII: true).string(from: arguments))))
    }

    /// The text inside a Markdown code fence (```` ```json … ``` ````), or the text itself.
    static func strippingCodeFence(_ text: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("```") else { return text }
        var inner = trimmed.dropFirst(3)
        if inner.hasPrefix("json") { inner = inner.dropFirst(4) }
        var result = inner.trimmingCharacters(in: .whitespacesAndNewlines)
        if result.hasSuffix("```") { result = String(result.dropLast(3)).trimmingCharacters(in: .whitespacesAndNewlines) }
        return result
    }
}
