import SmolCore

/// How ``LiteLLMRouterModel`` spreads requests over a group's deployments (LiteLLM's `routing_strategy`).
public enum LiteLLMRoutingStrategy: String, Sendable, CaseIterable {
    /// A random deployment, weighted by `weight`, else by `rpm`, else by `tpm` (whichever the group's first
    /// deployment sets), else uniform. LiteLLM's default.
    case simpleShuffle = "simple-shuffle"
    /// The deployment with the fewest requests in flight (ties: the first in `model_list` order).
    case leastBusy = "least-busy"
    /// The deployment with the lowest average of its recent latencies (per output token when the response
    /// reports usage; time to first token for streams), among those within their rpm/tpm limits; a random
    /// one of those within `lowestLatencyBuffer` of the lowest. Untried deployments count as 0 s, so each
    /// is tried once.
    case latencyBased = "latency-based-routing"
    /// The deployment that used the fewest tokens this minute, among those within their rpm/tpm limits
    /// (ties: a random one). LiteLLM's `usage-based-routing` and `usage-based-routing-v2` both map here.
    case usageBased = "usage-based-routing"
}

/// The router's settings (LiteLLM `Router(...)` keyword arguments, smolagents' `client_kwargs`).
public struct LiteLLMRouterOptions: Sendable {
    /// How deployments are picked.
    public var routingStrategy: LiteLLMRoutingStrategy = .simpleShuffle
    /// Retries within a group after the first attempt fails (LiteLLM's `num_retries`, default 2). Each retry
    /// picks a deployment again, so it usually lands on another one.
    public var numRetries: Int = 2
    /// The shortest back-off before a retry when the group has no other healthy deployment (`retry_after`).
    public var retryAfter: Duration = .zero
    /// Groups to try, in order, when a group fails (`fallbacks=[{"gpt-4o": ["claude"]}]`), by group.
    public var fallbacks: [String: [String]] = [:]
    /// Groups to try when a group without its own entry in ``fallbacks`` fails (`default_fallbacks`).
    public var defaultFallbacks: [String] = []
    /// Groups to try instead when a group fails because the prompt is too long for it
    /// (`context_window_fallbacks`); without an entry, ``fallbacks`` apply.
    public var contextWindowFallbacks: [String: [String]] = [:]
    /// How many fallback groups one request may try in all (`max_fallbacks`, default 5).
    public var maxFallbacks: Int = 5
    /// Failures a deployment may have within a minute before it cools down (`allowed_fails`).
    ///
    /// `nil` is LiteLLM's default policy: a 429 cools a deployment down at once (when its group has
    /// others), as do 401, 402 and 404; otherwise it cools down when more than half of at least 5 requests
    /// this minute failed (groups of several), or all of at least 1,000 did. With a number, the deployment
    /// cools down at failure number `allowedFails + 1` within a minute (never when it is alone in its
    /// group and the group has no fallback, as LiteLLM does).
    public var allowedFails: Int?
    /// How long a deployment stays out of rotation (`cooldown_time`, default 5 s). A deployment's own
    /// `cooldown_time` wins, then the failing response's `Retry-After`, then this.
    public var cooldownTime: Duration = .seconds(5)
    /// Never cool deployments down (`disable_cooldowns`).
    public var disableCooldowns: Bool = false
    /// The default request timeout of deployments without their own (`timeout`).
    public var timeout: Duration?
    /// Latency-based routing: pick randomly among deployments within this fraction of the lowest average
    /// (`routing_strategy_args.lowest_latency_buffer`, default 0).
    public var lowestLatencyBuffer: Double = 0
    /// Latency-based routing: how many recent latencies are averaged (`max_latency_list_size`, default 10).
    public var maxLatencyListSize: Int = 10
    /// Estimates a request's input tokens for tpm limits (LiteLLM counts with tiktoken); the default counts
    /// one token per 4 UTF-8 bytes of text.
    public var tokenCounter: @Sendable ([ChatMessage]) -> Int = { LiteLLMRouterOptions.estimateTokens($0) }

    /// Default settings.
    public init() {}

    /// One token per 4 bytes of message text, rounded up.
    public static func estimateTokens(_ messages: [ChatMessage]) -> Int {
        messages.reduce(0) { total, message in
            total + ((message.content?.parts ?? []).reduce(0) { sum, part in
                if case .text(let text) = part { return sum + (text.utf8.count + 3) / 4 }
                return sum
            })
        }
    }

    /// The fallback groups for `group` after `error`: context-window fallbacks for a prompt too long,
    /// else the group's fallbacks, else the default ones.
    func fallbackGroups(for group: String, after error: any Error) -> [String] {
        if LiteLLMRouterOptions.isContextWindowError(error), let groups = contextWindowFallbacks[group] {
            return groups
        }
        return fallbacks[group] ?? defaultFallbacks
    }

    /// Whether an error says the prompt does not fit the model's context (LiteLLM matches such texts).
    static func isContextWindowError(_ error: any Error) -> Bool {
        guard let error = error as? ModelError, case .http(let status, let message, _, let body) = error,
              status == 400 || status == 413 else { return false }
        let text = (message + " " + (body ?? "")).lowercased()
        return ["context length", "context_length_exceeded", "context window", "maximum context",
                "prompt is too long", "too many tokens"].contains { text.contains($0) }
    }
}
