import NIOCore
import SmolCore

/// Turns the lines of an Ollama NDJSON stream into deltas, one line at a time.
///
/// `/api/chat` lines carry `message.content`, `message.thinking` and whole `message.tool_calls`
/// (arguments as objects, turned into JSON text, one complete fragment per call under its own
/// index); `/api/generate` lines carry `response` and `thinking`. The last line has `done: true`,
/// `done_reason` (the finish reason) and the counters (`prompt_eval_count`, `eval_count`: the usage).
/// An `{"error": …}` line, which Ollama sends when generation fails after the response has started,
/// ends the stream with an error carrying the line.
public struct OllamaStreamDecoder: Sendable {
    /// Which endpoint's lines these are.
    public enum Endpoint: Sendable {
        /// `/api/chat`: `message` objects.
        case chat
        /// `/api/generate`: `response` strings.
        case generate
    }

    /// The endpoint.
    public let endpoint: Endpoint
    /// Whether the `done: true` line has arrived.
    public private(set) var done = false
    private var callCount = 0
    /// `/api/generate` text kept back while it may still be a JSON tool call (as LiteLLM does).
    private var held = ""
    private var holdingJSON = false
    private var streamedText = false

    /// A decoder for one stream from `endpoint`.
    public init(endpoint: Endpoint) {
        self.endpoint = endpoint
    }

    /// The delta a line carries, or `nil` for a line without any.
    ///
    /// - Throws: ``/SmolCore/ModelError/stream(message:payload:partial:)`` for an error line, with the line;
    ///   ``/SmolCore/ModelError/decoding(message:payload:)`` for a line that is not a JSON object.
    public mutating func decode(_ line: String) throws(ModelError) -> ChatMessageStreamDelta? {
        guard !done else { return nil }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: line)
        } catch {
            throw .decoding(message: "an undecodable Ollama stream line (\(error))", payload: line)
        }
        guard case .object = json else {
            throw .decoding(message: "an Ollama stream line that is not a JSON object", payload: line)
        }
        if let error = json["error"], !error.isNull {
            throw .stream(message: "Ollama reported an error mid-stream: \(error.stringValue ?? error.description)",
                          payload: line)
        }
        var delta = ChatMessageStreamDelta()
        switch endpoint {
        case .chat:
            let message = json["message"]
            if let text = message?["content"]?.stringValue, !text.isEmpty { delta.content = text }
            if let thinking = message?["thinking"]?.stringValue, !thinking.isEmpty { delta.reasoningContent = thinking }
            let calls = OllamaCodec.toolCalls(message?["tool_calls"], firstIndex: callCount)
            if !calls.isEmpty {
                delta.toolCalls = calls.enumerated().map { offset, call in
                    ChatMessageToolCallStreamDelta(
                        index: callCount + offset, id: call.id, type: "function",
                        function: .init(name: call.function.name, arguments: call.function.arguments.stringValue))
                }
                callCount += calls.count
            }
        case .generate:
            if let text = json["response"]?.stringValue, !text.isEmpty { delta.content = release(text) }
            if let thinking = json["thinking"]?.stringValue, !thinking.isEmpty { delta.reasoningContent = thinking }
        }
        if json["done"] == true {
            done = true
            delta.finishReason = json["done_reason"]?.stringValue ?? "stop"
            delta.tokenUsage = OllamaCodec.usage(json)
            if !held.isEmpty {
                // The held reply was JSON from the start: a tool call if it has LiteLLM's call shape.
                if let parsed = try? JSONValue(parsing: OllamaGenerate.strippingCodeFence(held)),
                   let call = OllamaGenerate.toolCall(parsed) {
                    delta.toolCalls = [ChatMessageToolCallStreamDelta(
                        index: 0, id: call.id, type: "function",
                        function: .init(name: call.function.name, arguments: call.function.arguments.stringValue))]
                    delta.finishReason = "tool_calls"
                } else {
                    delta.content = (delta.content ?? "") + held
                }
                held = ""
            }
        }
        let empty = delta.content == nil && delta.reasoningContent == nil && delta.toolCalls == nil && delta.finishReason == nil
        return empty ? nil : delta
    }
}

extension OllamaStreamDecoder {
    /// The text to yield now for an `/api/generate` piece. As LiteLLM's stream reader does, a reply whose
    /// start looks like a JSON object (optionally in a code fence) is held back to the end, where it may
    /// turn out to be a tool call; any other reply is released as soon as that is clear.
    mutating func release(_ piece: String) -> String? {
        if streamedText { return piece }
        held += piece
        if holdingJSON { return nil }
        let candidate = Substring(held).drop { $0.isWhitespace }
        if Self.startsJSONObject(candidate) {
            holdingJSON = true
            return nil
        }
        if Self.mayStartJSONObject(candidate) { return nil }
        streamedText = true
        defer { held = "" }
        return held
    }

    /// `{`, or a code fence (```` ``` ```` or ```` ```json ````, then spaces) followed by `{`.
    static func startsJSONObject(_ text: Substring) -> Bool {
        guard text.hasPrefix("```") else { return text.hasPrefix("{") }
        var rest = text.dropFirst(3)
        if rest.hasPrefix("json") { rest = rest.dropFirst(4) }
        return rest.drop { $0.isWhitespace }.hasPrefix("{")
    }

    /// Nothing yet, up to three backticks, or a fence with part of `json` and spaces: it could still
    /// become a JSON object.
    static func mayStartJSONObject(_ text: Substring) -> Bool {
        if text.count <= 3, text.allSatisfy({ $0 == "`" }) { return true }
        guard text.hasPrefix("```") else { return false }
        let rest = text.dropFirst(3)
        let letters = rest.prefix { $0.isLetter }
        return ["", "j", "js", "jso", "json"].contains(letters) && rest.dropFirst(letters.count).allSatisfy(\.isWhitespace)
    }
}

/// Ollama NDJSON lines for one endpoint; the stream must end with a `done: true` line.
protocol OllamaEndpointKind: Sendable {
    static var endpoint: OllamaStreamDecoder.Endpoint { get }
}

/// The `/api/chat` stream.
enum OllamaChatLines: OllamaEndpointKind {
    static var endpoint: OllamaStreamDecoder.Endpoint { .chat }
}

/// The `/api/generate` stream.
enum OllamaGenerateLines: OllamaEndpointKind {
    static var endpoint: OllamaStreamDecoder.Endpoint { .generate }
}

/// An Ollama NDJSON body as deltas. A body that ends without a `done: true` line (a dropped
/// connection, a crashed runner) is an error, never a silently short answer.
struct OllamaFraming<Kind: OllamaEndpointKind>: DeltaFraming {
    private var parser = NDJSONParser()
    private var decoder = OllamaStreamDecoder(endpoint: Kind.endpoint)
    /// An error (an error line, the line limit) met in the same chunk as deltas before it: those are
    /// yielded first.
    private var failure = DeferredFailure()

    init() {}

    var isDone: Bool { decoder.done }

    mutating func push(_ bytes: ByteBufferView) throws(ModelError) -> [ChatMessageStreamDelta] {
        var deltas: [ChatMessageStreamDelta] = []
        for line in try parser.push(bytes) {
            do {
                if let delta = try decoder.decode(line) { deltas.append(delta) }
            } catch {
                return try failure.deliver(deltas, then: error)
            }
            if decoder.done { return deltas }
        }
        if let error = parser.pendingFailure { return try failure.deliver(deltas, then: error) }
        return deltas
    }

    mutating func takeFailure() -> ModelError? { failure.take() }

    mutating func finish() throws(ModelError) -> [ChatMessageStreamDelta] {
        var deltas: [ChatMessageStreamDelta] = []
        let incomplete = parser.hasIncompleteLine
        for line in try parser.finish() where !decoder.done {
            do {
                if let delta = try decoder.decode(line) { deltas.append(delta) }
            } catch {
                // A last line without its newline that does not parse was cut off.
                guard case .decoding = error, incomplete else { throw error }
                throw .stream(message: "the Ollama stream ended in the middle of a line, before done: true", payload: line)
            }
        }
        guard decoder.done else {
            throw .stream(message: "the Ollama stream ended before its done: true line")
        }
        return deltas
    }
}
