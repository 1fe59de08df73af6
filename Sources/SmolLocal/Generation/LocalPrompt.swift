import SmolCore

/// Builds the prompt a local model sees: messages normalized as smolagents does for a text model, rendered
/// with the checkpoint's chat template (tools included), and tokenized without adding special tokens (the
/// template writes them, as transformers' `apply_chat_template` assumes).
enum LocalPrompt {
    /// smolagents' tool roles for models without native tool messages: a tool call is the assistant
    /// speaking, a tool result is the user speaking back.
    static let roleConversions: [MessageRole: MessageRole] = [.toolCall: .assistant, .toolResponse: .user]

    static func render(_ messages: [ChatMessage], tools: [Tool]?, checkpoint: LocalCheckpoint,
                       templateKwargs: JSONObject) throws(ModelError) -> String {
        let tools = tools ?? []
        guard let template = (tools.isEmpty ? nil : checkpoint.toolUseTemplate) ?? checkpoint.chatTemplate else {
            throw .unsupported(message: "\(checkpoint.path) has no chat template")
        }
        let clean = try getCleanMessageList(messages, roleConversions: roleConversions,
                                            convertImagesToImageURLs: false, flattenMessagesAsText: true,
                                            nativeToolMessages: true)
        var extra: [String: JSONValue] = [:]
        for (key, value) in templateKwargs { extra[key] = value }
        // MLXModel passes `add_generation_prompt` in its template kwargs (default true), and a caller may turn it off.
        let addGenerationPrompt = extra.removeValue(forKey: "add_generation_prompt")?.boolValue ?? true
        do {
            return try template.render(
                messages: clean.map(templateMessage), tools: tools.isEmpty ? nil : tools.map(\.jsonSchema),
                addGenerationPrompt: addGenerationPrompt, specialTokens: checkpoint.specialTokens, extraContext: extra)
        } catch {
            throw .invalidInput(message: "the chat template failed: \(error)", location: "messages")
        }
    }

    /// A message as chat templates expect it: string content, tool calls with their arguments as an
    /// object (templates apply `tojson` to them), tool results as `tool` messages.
    static func templateMessage(_ message: CleanMessage) -> JSONValue {
        let content: JSONValue = message.content == .null ? .string("") : message.content
        if let id = message.toolCallID {
            return ["role": "tool", "tool_call_id": .string(id), "content": content]
        }
        var object: JSONObject = ["role": .string(message.role.rawValue), "content": content]
        if let calls = message.toolCalls, !calls.isEmpty {
            object["tool_calls"] = .array(calls.map { call in
                ["id": .string(call.id), "type": .string(call.type),
                 "function": ["name": .string(call.function.name),
                              "arguments": parseJSONIfNeeded(call.function.arguments)]]
            })
        }
        return .object(object)
    }
}

/// The decoding options of one call, from smolagents-style parameters.
struct LocalGenerationOptions {
    static let supportedKeys: Set<String> = [
        "max_new_tokens", "max_tokens", "do_sample", "temperature", "top_k", "top_p", "min_p",
        "repetition_penalty", "seed",
    ]

    var maxNewTokens: Int
    var sampling: SamplingParameters
    var seed: UInt64

    /// Model-level parameters win over the call's, except `max_new_tokens` / `max_tokens`, where the call
    /// wins (smolagents' TransformersModel). Unknown keys are an error, as transformers' `generate` rejects
    /// unused arguments.
    init(call: JSONObject, model: JSONObject, defaultMaxNewTokens: Int, generationConfig: GenerationConfig) throws(ModelError) {
        var merged = call
        for (key, value) in model where key != "max_new_tokens" && key != "max_tokens" { merged[key] = value }
        for (key, value) in merged where value != .null && !Self.supportedKeys.contains(key) {
            throw .invalidInput(
                message: "unsupported generation parameter '\(key)' (supported: \(Self.supportedKeys.sorted().joined(separator: ", ")))",
                location: "parameters.\(key)")
        }
        func number(_ key: String) throws(ModelError) -> Double? {
            guard let value = merged[key], value != .null else { return nil }
            guard let number = value.doubleValue, number.isFinite else {
                throw .invalidInput(message: "'\(key)' must be a number, got \(value)", location: "parameters.\(key)")
            }
            return number
        }
        func integer(_ key: String) throws(ModelError) -> Int? {
            guard let value = try number(key) else { return nil }
            guard let int = Int(exactly: value) else {
                throw .invalidInput(message: "'\(key)' must be an integer, got \(value)", location: "parameters.\(key)")
            }
            return int
        }
        let callLimit = try integer("max_new_tokens")
        let callAlias = try integer("max_tokens")
        let limit = callLimit ?? callAlias ?? model["max_new_tokens"]?.intValue ?? model["max_tokens"]?.intValue
            ?? defaultMaxNewTokens
        guard limit >= 0 else {
            throw .invalidInput(message: "max_new_tokens must not be negative", location: "parameters.max_new_tokens")
        }
        maxNewTokens = limit
        var doSample = generationConfig.doSample
        if let value = merged["do_sample"], value != .null {
            guard case .bool(let flag) = value else {
                throw .invalidInput(message: "'do_sample' must be a boolean", location: "parameters.do_sample")
            }
            doSample = flag
        }
        let temperature = try number("temperature"), topK = try integer("top_k"), topP = try number("top_p")
        let minP = try number("min_p"), penalty = try number("repetition_penalty"), seed = try integer("seed")
        sampling = SamplingParameters(
            doSample: doSample, temperature: temperature ?? generationConfig.temperature ?? 1,
            // transformers' GenerationConfig defaults top_k to 50, which applies whenever it samples.
            topK: topK ?? generationConfig.topK ?? 50, topP: topP ?? generationConfig.topP,
            minP: minP ?? generationConfig.minP, repetitionPenalty: penalty ?? generationConfig.repetitionPenalty)
        self.seed = UInt64(truncatingIfNeeded: seed ?? 0)
    }
}
