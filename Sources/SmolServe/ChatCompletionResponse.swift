import Foundation
import SmolCore

/// OpenAI's response shapes for a chat completion: the whole answer, and the SSE chunks of a stream.
enum ChatCompletionResponse {
    /// `chat.completion` for a whole answer.
    static func completion(_ message: ChatMessage, id: String, model: String, created: Int) -> JSONValue {
        var assistant: JSONObject = ["role": "assistant", "content": message.text.map(JSONValue.string) ?? .null]
        if let reasoning = message.reasoningContent { assistant["reasoning_content"] = .string(reasoning) }
        if let calls = message.toolCalls, !calls.isEmpty {
            assistant["tool_calls"] = .array(calls.map { call in
                ["id": .string(call.id), "type": "function",
                 "function": ["name": .string(call.function.name), "arguments": .string(argumentsText(call.function.arguments))]]
            })
        }
        let finish = message.finishReason ?? ((message.toolCalls ?? []).isEmpty ? "stop" : "tool_calls")
        var object: JSONObject = [
            "id": .string(id), "object": "chat.completion", "created": .int(created), "model": .string(model),
            "choices": [["index": 0, "message": .object(assistant), "finish_reason": .string(finish), "logprobs": .null]],
        ]
        if let usage = message.tokenUsage { object["usage"] = usageJSON(usage) }
        return .object(object)
    }

    /// One `chat.completion.chunk` carrying a delta (`choices` empty for the usage-only chunk).
    static func chunk(id: String, model: String, created: Int, delta: JSONObject?, finishReason: String?,
                      usage: TokenUsage?) -> JSONValue {
        var object: JSONObject = ["id": .string(id), "object": "chat.completion.chunk", "created": .int(created), "model": .string(model)]
        if let delta {
            object["choices"] = [["index": 0, "delta": .object(delta), "finish_reason": finishReason.map(JSONValue.string) ?? .null,
                                  "logprobs": .null]]
        } else {
            object["choices"] = []
        }
        if let usage { object["usage"] = usageJSON(usage) }
        return .object(object)
    }

    /// A stream delta's content, reasoning and tool-call pieces in OpenAI's delta shape (nil when empty).
    static func delta(_ delta: ChatMessageStreamDelta, first: Bool) -> JSONObject? {
        var out: JSONObject = first ? ["role": "assistant"] : [:]
        if let text = delta.content, !text.isEmpty { out["content"] = .string(text) }
        if let reasoning = delta.reasoningContent, !reasoning.isEmpty { out["reasoning_content"] = .string(reasoning) }
        if let calls = delta.toolCalls, !calls.isEmpty {
            out["tool_calls"] = .array(calls.enumerated().map { offset, call in
                var item: JSONObject = ["index": .int(call.index ?? offset)]
                if let id = call.id { item["id"] = .string(id) }
                if let type = call.type { item["type"] = .string(type) }
                if let function = call.function {
                    var f = JSONObject()
                    if let name = function.name { f["name"] = .string(name) }
                    if let arguments = function.arguments { f["arguments"] = .string(arguments) }
                    item["function"] = .object(f)
                }
                return .object(item)
            })
        }
        return out.isEmpty ? nil : out
    }

    static func usageJSON(_ usage: TokenUsage) -> JSONValue {
        ["prompt_tokens": .int(usage.inputTokens), "completion_tokens": .int(usage.outputTokens),
         "total_tokens": .int(usage.inputTokens + usage.outputTokens)]
    }

    /// Tool-call arguments as the JSON text OpenAI's clients expect (a string stays as it is).
    static func argumentsText(_ arguments: JSONValue) -> String {
        if case .string(let text) = arguments { return text }
        return JSONEmitter().string(from: arguments)
    }

    /// `chatcmpl-` and 24 random hex digits.
    static func newID() -> String {
        "chatcmpl-" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24)
    }
}
