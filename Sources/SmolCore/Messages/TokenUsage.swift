/// How many tokens a call consumed.
///
/// Unlike smolagents' `TokenUsage`, `null` counts from a provider read as 0 instead of crashing (#1436),
/// and cached-input and reasoning counts are kept when the provider reports them (#2055).
public struct TokenUsage: Sendable, Hashable {
    /// Prompt tokens.
    public var inputTokens: Int
    /// Generated tokens.
    public var outputTokens: Int
    /// Prompt tokens served from the provider's cache, when reported.
    public var cachedInputTokens: Int?
    /// Generated tokens spent on hidden reasoning, when reported (included in ``outputTokens``).
    public var reasoningTokens: Int?
    /// Prompt tokens written to the provider's cache, when reported (Bedrock, Anthropic).
    public var cacheWriteInputTokens: Int?

    /// Creates a usage record.
    public init(inputTokens: Int, outputTokens: Int, cachedInputTokens: Int? = nil, reasoningTokens: Int? = nil,
                cacheWriteInputTokens: Int? = nil) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cachedInputTokens = cachedInputTokens
        self.reasoningTokens = reasoningTokens
        self.cacheWriteInputTokens = cacheWriteInputTokens
    }

    /// Input plus output tokens.
    public var totalTokens: Int { inputTokens + outputTokens }

    /// A usage of zero tokens.
    public static let zero = TokenUsage(inputTokens: 0, outputTokens: 0)

    /// smolagents' `dict()`: `{"input_tokens", "output_tokens", "total_tokens"}`, plus
    /// `cached_input_tokens` / `reasoning_tokens` / `cache_write_input_tokens` when known.
    public var json: JSONValue {
        var object: JSONObject = [
            "input_tokens": .int(inputTokens), "output_tokens": .int(outputTokens), "total_tokens": .int(totalTokens),
        ]
        if let cachedInputTokens { object["cached_input_tokens"] = .int(cachedInputTokens) }
        if let reasoningTokens { object["reasoning_tokens"] = .int(reasoningTokens) }
        if let cacheWriteInputTokens { object["cache_write_input_tokens"] = .int(cacheWriteInputTokens) }
        return .object(object)
    }

    /// Reads a usage dict; missing or `null` counts are 0, a non-integer count is an error.
    public init(json: JSONValue, location: String = "token_usage") throws(ModelError) {
        guard case .object(let object) = json else {
            throw .invalidInput(message: "token usage must be an object, got \(json.typeName)", location: location)
        }
        func count(_ key: String) throws(ModelError) -> Int? {
            switch object[key] {
            case nil, .null?: return nil
            case let value?:
                guard let int = value.intValue, int >= 0 else {
                    throw .invalidInput(message: "\"\(key)\" must be a non-negative integer, got \(value)",
                                        location: location)
                }
                return int
            }
        }
        self.init(inputTokens: try count("input_tokens") ?? 0, outputTokens: try count("output_tokens") ?? 0,
                  cachedInputTokens: try count("cached_input_tokens"), reasoningTokens: try count("reasoning_tokens"),
                  cacheWriteInputTokens: try count("cache_write_input_tokens"))
    }

    /// Adds two usages; an optional count is kept when either side has it.
    public static func + (lhs: TokenUsage, rhs: TokenUsage) -> TokenUsage {
        func sum(_ a: Int?, _ b: Int?) -> Int? { a == nil && b == nil ? nil : (a ?? 0) + (b ?? 0) }
        return TokenUsage(inputTokens: lhs.inputTokens + rhs.inputTokens, outputTokens: lhs.outputTokens + rhs.outputTokens,
                          cachedInputTokens: sum(lhs.cachedInputTokens, rhs.cachedInputTokens),
                          reasoningTokens: sum(lhs.reasoningTokens, rhs.reasoningTokens),
                          cacheWriteInputTokens: sum(lhs.cacheWriteInputTokens, rhs.cacheWriteInputTokens))
    }

    /// Adds `other` to this usage.
    public static func += (lhs: inout TokenUsage, rhs: TokenUsage) { lhs = lhs + rhs }
}
