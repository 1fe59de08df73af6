import Foundation
import SmolCore

/// Tool calls written as text by a local model, in the formats chat templates teach them.
///
/// - Qwen 2.5 / Hermes: one or more `<tool_call>{"name": …, "arguments": {…}}</tool_call>` blocks (a
///   missing closing tag at the end of the output is accepted: generation may stop on it).
/// - Llama 3.x: a bare JSON object `{"name": …, "parameters": {…}}` (or `"arguments"`), optionally after a
///   `<|python_tag|>`.
///
/// The text outside the calls stays the message's content. Output with no recognisable call is left as
/// plain content, as a model is free to answer without calling a tool.
enum GeneratedToolCalls {
    /// The content left after removing the calls, and the calls.
    static func extract(from text: String) -> (content: String, calls: [ChatMessageToolCall]) {
        if text.contains("<tool_call>") { return taggedCalls(in: text) }
        var body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.hasPrefix("<|python_tag|>") { body = String(body.dropFirst("<|python_tag|>".count)) }
        guard body.hasPrefix("{"), let call = call(fromJSON: body) else { return (text, []) }
        return ("", [call])
    }

    private static func taggedCalls(in text: String) -> (content: String, calls: [ChatMessageToolCall]) {
        var calls: [ChatMessageToolCall] = []
        var content = ""
        var rest = Substring(text)
        while let open = rest.range(of: "<tool_call>") {
            content += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            let close = afterOpen.range(of: "</tool_call>")
            let inner = close.map { afterOpen[..<$0.lowerBound] } ?? afterOpen
            if let call = call(fromJSON: inner.trimmingCharacters(in: .whitespacesAndNewlines)) {
                calls.append(call)
            } else {
                content += rest[open.lowerBound..<(close?.upperBound ?? rest.endIndex)]
            }
            rest = close.map { afterOpen[$0.upperBound...] } ?? afterOpen[afterOpen.endIndex...]
        }
        content += rest
        return (content.trimmingCharacters(in: .whitespacesAndNewlines), calls)
    }

    private static func call(fromJSON text: String) -> ChatMessageToolCall? {
        guard let json = try? JSONValue(parsing: text), case .object(let object) = json,
              case .string(let name)? = object["name"], !name.isEmpty
        else { return nil }
        let arguments = parseJSONIfNeeded(object["arguments"] ?? object["parameters"] ?? .object([:]))
        return ChatMessageToolCall(
            id: "call_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24),
            type: "function", function: ChatMessageToolCallFunction(name: name, arguments: arguments))
    }
}
