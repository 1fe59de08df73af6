import SmolCore

/// What a ``LiteLLMRouterModel`` currently knows about one deployment, for monitoring and tests.
public struct LiteLLMRouterDeploymentStatus: Sendable, Hashable {
    /// `model_info.id`, or `"<model_name>/<position in model_list>"`.
    public var id: String
    /// The deployment's model group.
    public var modelName: String
    /// The deployment's `"provider/model"`.
    public var model: String
    /// Calls currently in flight (streams count until they end).
    public var inFlight: Int
    /// How much longer the deployment stays out of rotation, or `nil` when it is not cooling down.
    public var cooldownRemaining: Duration?
    /// Requests started in the current minute.
    public var requestsThisMinute: Int
    /// Tokens (input + output) reported by successful calls in the current minute.
    public var tokensThisMinute: Int
    /// Successes in the current minute.
    public var successesThisMinute: Int
    /// Failures in the current minute.
    public var failuresThisMinute: Int
    /// The average of the recent latencies the latency strategy uses (seconds, per output token when usage
    /// was reported), or `nil` before the first call.
    public var averageLatency: Double?
}

extension LiteLLMRouterModel {
    /// Every deployment's current state, in `model_list` order.
    public func deploymentStatus() -> [LiteLLMRouterDeploymentStatus] {
        core.snapshot().map { entry, state, now in
            LiteLLMRouterDeploymentStatus(
                id: entry.id, modelName: entry.deployment.modelName, model: entry.deployment.litellmParams.model,
                inFlight: state.inFlight,
                cooldownRemaining: state.cooldownUntil.flatMap { $0 > now ? $0 - now : nil },
                requestsThisMinute: state.requestsThisMinute, tokensThisMinute: state.tokensThisMinute,
                successesThisMinute: state.successesThisMinute, failuresThisMinute: state.failuresThisMinute,
                averageLatency: state.latencies.isEmpty ? nil : state.latencies.reduce(0, +) / Double(state.latencies.count))
        }
    }
}
