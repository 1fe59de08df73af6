import SmolCore

/// The routing strategies: given the healthy deployments of a group (indices into `entries`, in
/// `model_list` order, never empty) and their state, pick one, or `nil` when rpm/tpm limits exclude all.
/// Called inside the state lock, so what they read cannot change before the pick is counted.
extension RouterCore {
    func pick(from healthy: [Int], states: [DeploymentState], inputTokens: Int, streaming: Bool) -> Int? {
        switch options.routingStrategy {
        case .simpleShuffle: return simpleShuffle(healthy)
        case .leastBusy: return leastBusy(healthy, states: states)
        case .latencyBased: return lowestLatency(healthy, states: states, inputTokens: inputTokens, streaming: streaming)
        case .usageBased: return lowestUsage(healthy, states: states, inputTokens: inputTokens)
        }
    }

    /// LiteLLM's `simple_shuffle`: the group's first healthy deployment decides the weighting key
    /// (`weight`, else `rpm`, else `tpm`); deployments without it weigh 0. No key, or all weights 0: uniform.
    func simpleShuffle(_ healthy: [Int]) -> Int {
        let first = entries[healthy[0]].deployment.litellmParams
        let key: KeyPath<LiteLLMParams, Double?>?
        if first.weight != nil {
            key = \LiteLLMParams.weight
        } else if first.rpm != nil {
            key = \LiteLLMParams.rpm
        } else if first.tpm != nil {
            key = \LiteLLMParams.tpm
        } else {
            key = nil
        }
        let r = uniform()
        if let key {
            let weights = healthy.map { entries[$0].deployment.litellmParams[keyPath: key] ?? 0 }
            let total = weights.reduce(0, +)
            if total > 0 {
                // Python's random.choices: the first index whose cumulative weight exceeds r × total.
                let target = r * total
                var cumulative = 0.0
                for (position, weight) in weights.enumerated() {
                    cumulative += weight
                    if cumulative > target { return healthy[position] }
                }
                return healthy[weights.lastIndex { $0 > 0 } ?? healthy.count - 1]
            }
        }
        return healthy[min(Int(r * Double(healthy.count)), healthy.count - 1)]
    }

    /// LiteLLM's `least-busy`: the fewest requests in flight; the first in list order among equals.
    func leastBusy(_ healthy: [Int], states: [DeploymentState]) -> Int {
        healthy.min { states[$0].inFlight < states[$1].inFlight } ?? healthy[0]
    }

    /// Whether one more request of `inputTokens` stays within the deployment's rpm and tpm this minute.
    func withinLimits(_ index: Int, states: [DeploymentState], inputTokens: Int) -> Bool {
        let deployment = entries[index].deployment
        if let rpm = deployment.rpmLimit, Double(states[index].requestsThisMinute + 1) > rpm { return false }
        if let tpm = deployment.tpmLimit, Double(states[index].tokensThisMinute + inputTokens) > tpm { return false }
        return true
    }

    /// LiteLLM's `lowest_latency`: within limits, the lowest average of the recent latencies (times to first
    /// token for streams, once there are any), then a random one of those within `lowestLatencyBuffer` of it.
    func lowestLatency(_ healthy: [Int], states: [DeploymentState], inputTokens: Int, streaming: Bool) -> Int? {
        let candidates = healthy.filter { withinLimits($0, states: states, inputTokens: inputTokens) }.map { index in
            let state = states[index]
            let window = streaming && !state.timesToFirstToken.isEmpty ? state.timesToFirstToken : state.latencies
            let average = window.isEmpty ? 0 : window.reduce(0, +) / Double(window.count)
            return (index, average)
        }
        guard let lowest = candidates.map({ $0.1 }).min() else { return nil }
        let threshold = lowest + options.lowestLatencyBuffer * lowest
        let close = candidates.filter { $0.1 <= threshold }
        return close[min(Int(uniform() * Double(close.count)), close.count - 1)].0
    }

    /// LiteLLM's `usage-based-routing(-v2)`: within limits, the fewest tokens used this minute; a random one
    /// among equals.
    func lowestUsage(_ healthy: [Int], states: [DeploymentState], inputTokens: Int) -> Int? {
        let candidates = healthy.filter { withinLimits($0, states: states, inputTokens: inputTokens) }
        guard let lowest = candidates.map({ states[$0].tokensThisMinute }).min() else { return nil }
        let tied = candidates.filter { states[$0].tokensThisMinute == lowest }
        return tied[min(Int(uniform() * Double(tied.count)), tied.count - 1)]
    }
}
