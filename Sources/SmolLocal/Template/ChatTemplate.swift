import SmolCore

/// A Hugging Face chat template (Jinja), parsed once and rendered many times.
///
/// Renders exactly as transformers' `apply_chat_template(..., tokenize=False)` does: jinja2's
/// `ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)` with `loopcontrols`, Python's
/// semantics for values (`None`, `True`, `1.0`, `['a']`), transformers' `tojson` (`json.dumps` with keys in
/// insertion order) and the globals `raise_exception`, `strftime_now`, `namespace` and `dict`.
///
/// The interpreter is sandboxed: it has no I/O at all, and ``TemplateLimits`` bound loops, recursion,
/// nesting and output, so a hostile template ends quickly with a ``ChatTemplateError``.
///
/// ```swift
/// let template = try ChatTemplate(source: chatTemplateText)
/// let prompt = try template.render(messages: messages, addGenerationPrompt: true,
///                                  specialTokens: ["bos_token": "<s>", "eos_token": "</s>"])
/// ```
public struct ChatTemplate: Sendable {
    /// The template text as given.
    public let source: String
    /// The bounds every render runs under.
    public let limits: TemplateLimits
    /// Where `strftime_now` reads the time.
    public let clock: TemplateClock
    let nodes: [Node]

    /// Parses `source`; throws a ``ChatTemplateError`` of kind ``ChatTemplateError/Kind/syntax`` naming
    /// the line and column when it is not valid Jinja.
    public init(source: String, limits: TemplateLimits = .default, clock: TemplateClock = .system) throws(ChatTemplateError) {
        self.source = source
        self.limits = limits
        self.clock = clock
        self.nodes = try TemplateParser.parse(source, limits: limits)
    }

    /// Renders a conversation as `tokenizer.apply_chat_template(messages, tools=tools,
    /// add_generation_prompt=…, tokenize=False, **extraContext)` does.
    ///
    /// Like transformers, this drops message members whose value is `null`, copies a message's reasoning
    /// (`reasoning_content`, `thinking` or `reasoning`) to both `thinking` and `reasoning_content`, and
    /// always defines `tools` and `documents` (as `None` when not given).
    ///
    /// - Parameters:
    ///   - messages: The chat messages (`{"role": …, "content": …}` objects, possibly with `tool_calls`).
    ///   - tools: Tool schemas (`{"type": "function", "function": {…}}`), or nil.
    ///   - documents: Documents for retrieval-augmented templates, or nil.
    ///   - addGenerationPrompt: Whether to end with the header that starts an assistant turn.
    ///   - specialTokens: The tokenizer's special tokens by name (`bos_token`, `eos_token`, …).
    ///   - extraContext: Further template variables (`enable_thinking`, `date_string`, …); they override
    ///     special tokens of the same name.
    public func render(
        messages: [JSONValue], tools: [JSONValue]? = nil, documents: [JSONValue]? = nil, addGenerationPrompt: Bool,
        specialTokens: [String: String] = [:], extraContext: [String: JSONValue] = [:]
    ) throws(ChatTemplateError) -> String {
        var context: [String: JSONValue] = [:]
        for (name, token) in specialTokens { context[name] = .string(token) }
        for (name, value) in extraContext { context[name] = value }
        context["messages"] = .array(messages.map(Self.normalizedMessage))
        context["tools"] = tools.map { .array($0) } ?? .null
        context["documents"] = documents.map { .array($0) } ?? .null
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        return try render(context: context)
    }

    /// Renders with exactly these template variables.
    public func render(context: [String: JSONValue]) throws(ChatTemplateError) -> String {
        var variables: [String: TemplateValue] = [:]
        variables.reserveCapacity(context.count)
        for (name, value) in context {
            do {
                variables[name] = try TemplateValue.converting(value, limit: limits.maxNestingDepth)
            } catch {
                throw ChatTemplateError(error.kind, "context variable '\(name)': \(error.message)", line: 1, column: 1)
            }
        }
        var renderer = TemplateRenderer(context: variables, limits: limits, clock: clock)
        _ = try renderer.render(nodes)
        return renderer.output
    }

    private static let reasoningFields = ["reasoning_content", "thinking", "reasoning"]

    /// transformers' `_normalize_chat_messages` and `_alias_reasoning_fields` for one message.
    static func normalizedMessage(_ message: JSONValue) -> JSONValue {
        guard case .object(let members) = message else { return message }
        var kept = JSONObject()
        for (key, value) in members where !value.isNull { kept[key] = value }
        guard let reasoning = reasoningFields.lazy.compactMap({ kept[$0] }).first else { return .object(kept) }
        var aliased: JSONObject = ["thinking": reasoning]
        aliased.merge(kept)
        aliased["reasoning_content"] = reasoning
        return .object(aliased)
    }
}
