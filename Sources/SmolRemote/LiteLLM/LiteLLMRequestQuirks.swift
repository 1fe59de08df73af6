import SmolCore

/// The per-provider rewrites LiteLLM 1.108.7 makes to an OpenAI-compatible request body, so that
/// ``LiteLLMModel`` sends what `litellm.completion` sends for the same prefix (checked against requests
/// recorded from LiteLLM itself, `Fixtures/litellm`).
///
/// - deepseek, mistral, sambanova: text-only content block lists become one string (LiteLLM's
///   `handle_messages_with_content_list_to_str_conversion`). LiteLLM also does this when the content
///   holds images, dropping them; here a message with images keeps its blocks.
/// - mistral, fireworks_ai: `tool_choice: "required"` is spelled `"any"`.
/// - mistral: no `stream_options` (Mistral reports usage in the last chunk unasked).
/// - openrouter: `usage: {"include": true}`, OpenRouter's switch for usage accounting.
/// - deepinfra: no `tool_choice: "auto"` (LiteLLM never forwards a deepinfra tool choice; "auto" is the
///   default anyway, so leaving it out changes nothing; other choices are sent, see below).
///
/// Not copied: LiteLLM refuses (or, with `drop_params`, silently drops) parameters its model table says a
/// provider lacks (`tools` for perplexity and sambanova, `tool_choice: "required"` for deepinfra). The
/// Swift model sends them and lets the provider answer: dropping a caller's tools silently would be worse.
enum LiteLLMRequestQuirks {
    static let textContentAsString: Set<String> = ["deepseek", "mistral", "sambanova"]
    static let toolChoiceAny: Set<String> = ["mistral", "fireworks_ai"]
    static let noStreamOptions: Set<String> = ["mistral"]

    /// The body rewrite for a prefix, or `nil` when LiteLLM sends the OpenAI body unchanged.
    static func adjuster(for prefix: String) -> (@Sendable (inout JSONObject, Bool) async throws -> Void)? {
        let known = textContentAsString.union(toolChoiceAny).union(noStreamOptions).union(["openrouter", "deepinfra"])
        guard known.contains(prefix) else { return nil }
        return { body, _ in adjust(&body, prefix: prefix) }
    }

    static func adjust(_ body: inout JSONObject, prefix: String) {
        if textContentAsString.contains(prefix), case .array(let messages)? = body["messages"] {
            body["messages"] = .array(messages.map(flattenedText))
        }
        if toolChoiceAny.contains(prefix), body["tool_choice"] == "required" { body["tool_choice"] = "any" }
        if noStreamOptions.contains(prefix) { body.removeValue(forKey: "stream_options") }
        if prefix == "openrouter", body["usage"] == nil { body["usage"] = ["include": true] }
        if prefix == "deepinfra", body["tool_choice"] == "auto" { body.removeValue(forKey: "tool_choice") }
    }

    /// A message whose content is a list of text blocks only, with the texts joined into one string.
    static func flattenedText(_ message: JSONValue) -> JSONValue {
        guard case .object(var object) = message, case .array(let blocks)? = object["content"], !blocks.isEmpty,
              blocks.allSatisfy({ $0["type"] == "text" && $0["text"]?.stringValue != nil })
        else { return message }
        object["content"] = .string(blocks.compactMap { $0["text"]?.stringValue }.joined())
        return .object(object)
    }
}
