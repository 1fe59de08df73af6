import Foundation
import SmolCore

/// Tool calls written as text by a local model, in the formats chat templates teach them.
///
/// - Qwen 2.5 / Hermes: one or more `<tool_call>{"name": …, "arguments": {…}}</tool_call>` blocks (a
///   missing closing tag at the end of the output is accepted: generation may stop on it).
/// - Llama 3.x: a bare JSON object `{"name": …, "parameters": {…}}` (or `"arguments"`), optionally after a
///   `<|python_tag|>`.
///
/// - Mistral: `[TOOL_CALLS]` then a JSON list of `{"name", "arguments"}` objects (v3), or
///   `[TOOL_CALLS]name[ARGS]{…}` per call (v11 and later).
/// - Phi-4-mini (phi3 architecture): `<|tool_call|>[{"name", "arguments"}, …]<|/tool_call|>`.
///
/// The text outside the calls stays the message's content. Output with no recognisable call is left as
/// plain content, as a model is free to answer without calling a tool.
enum GeneratedToolCalls {
    /// The content left after removing the calls, and the calls.
    static func extract(from text: String) -> (content: String, calls: [ChatMessageToolCall]) {
        if text.contains("<tool_call>") { return taggedCalls(in: text) }
        if let marker = text.range(of: "[TOOL_CALLS]") { return mistralCalls(in: text, after: marker) }
        if let marker = text.range(of: "<|tool_call|>") {
            let after = text[marker.upperBound...]
            let end = after.range(of: "<|/tool_call|>")
            let body = (end.map { after[..<$0.lowerBound] } ?? after).trimmingCharacters(in: .whitespacesAndNewlines)
            let calls = callList(fromJSON: body)
            guard !calls.isEmpty else { return (text, []) }
            let tail = end.map { String(after[$0.upperBound...]) } ?? ""
            return ((String(text[..<marker.lowerBound]) + tail).trimmingCharacters(in: .whitespacesAndNewlines), calls)
        }
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

    private static func mistralCalls(in text: String, after marker: Range<String.Index>) -> (content: String, calls: [ChatMessageToolCall]) {
        let content = String(text[..<marker.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
        let body = text[marker.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
        if body.hasPrefix("[") || body.hasPrefix("{") {
            let calls = callList(fromJSON: body)
            return calls.isEmpty ? (text, []) : (content, calls)
        }
        // v11+: name[ARGS]{json}, repeated after further [TOOL_CALLS] markers.
        var calls: [ChatMessageToolCall] = []
        for part in body.components(separatedBy: "[TOOL_CALLS]") {
            guard let args = part.range(of: "[ARGS]") else { return (text, []) }
            let name = part[..<args.lowerBound].trimmingCharacters(in: .whitespacesAndNewlines)
            let json = part[args.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
            guard !name.isEmpty, let arguments = try? JSONValue(parsing: json) else { return (text, []) }
            calls.append(makeCall(name: name, arguments: parseJSONIfNeeded(arguments)))
        }
        return (content, calls)
    }

    /// A JSON list of call objects, or a single one.
    private static func callList(fromJSON text: String) -> [ChatMessageToolCall] {
        guard let json = try? JSONValue(parsing: text) else { return [] }
        if case .array(let items) = json {
            let calls = items.compactMap { call(fromJSON: JSONEmitter().string(from: $0)) }
            return calls.count == items.count ? calls : []
        }
        return call(fromJSON: text).map { [$0] } ?? []
    }

    private static func makeCall(name: String, arguments: JSONValue) -> ChatMessageToolCall {
        ChatMessageToolCall(
            id: "call_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(24),
            type: "function", function: ChatMessageToolCallFunction(name: name, arguments: arguments))
    }

    private static func call(fromJSON text: String) -> ChatMessageToolCall? {
        guard let json = try? JSONValue(parsing: text), case .object(let object) = json,
              case .string(let name)? = object["name"], !name.isEmpty
        else { return nil }
        return makeCall(name: name, arguments: parseJSONIfNeeded(object["arguments"] ?? object["parameters"] ?? .object([:])))
    }
}
