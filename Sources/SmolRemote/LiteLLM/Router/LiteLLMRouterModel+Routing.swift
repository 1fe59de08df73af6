import SmolCore

/// Retries within a group and fallbacks across groups, as LiteLLM's `async_function_with_fallbacks` and
/// `async_function_with_retries` do.
extension LiteLLMRouterModel {
    /// Runs `attempt` on deployments of ``modelID`` and then its fallback groups until one succeeds.
    ///
    /// `attempt` gets a deployment index already counted in flight and must report the outcome to the
    /// core (`succeeded`, `failed` or `cancelled`) before it returns or throws.
    func route<T>(
        _ messages: [ChatMessage], streaming: Bool, _ attempt: (Int) async throws -> T
    ) async throws -> T {
        let needsTokens = [.latencyBased, .usageBased].contains(core.options.routingStrategy)
        let inputTokens = needsTokens ? core.options.tokenCounter(messages) : 0
        var attempted: Set<String> = [modelID ?? ""]
        var budget = core.options.maxFallbacks
        return try await tryGroup(modelID ?? "", inputTokens: inputTokens, streaming: streaming,
                                  attempted: &attempted, budget: &budget, attempt)
    }

    /// One group with its retries; on failure, its fallback groups in order (each with its own retries and
    /// fallbacks), skipping groups this request already tried, within the fallback budget. The error of
    /// the last group tried is thrown.
    private func tryGroup<T>(
        _ group: String, inputTokens: Int, streaming: Bool, attempted: inout Set<String>, budget: inout Int,
        _ attempt: (Int) async throws -> T
    ) async throws -> T {
        do {
            return try await withRetries(group, inputTokens: inputTokens, streaming: streaming, attempt)
        } catch {
            guard Self.mayFallBack(after: error) else { throw error }
            var last = error
            for next in core.options.fallbackGroups(for: group, after: error) where !attempted.contains(next) {
                guard budget > 0 else { break }
                budget -= 1
                attempted.insert(next)
                do {
                    return try await tryGroup(next, inputTokens: inputTokens, streaming: streaming,
                                              attempted: &attempted, budget: &budget, attempt)
                } catch {
                    guard Self.mayFallBack(after: error) else { throw error }
                    last = error
                }
            }
            throw last
        }
    }

    /// Errors raised before anything was sent, and cancellation, are the caller's: another group would fail
    /// the same way, or was not wanted.
    private static func mayFallBack(after error: any Error) -> Bool {
        guard !RouterCore.isCancellation(error) else { return false }
        if let error = error as? ModelError, case .invalidInput = error { return false }
        return true
    }

    private func withRetries<T>(
        _ group: String, inputTokens: Int, streaming: Bool, _ attempt: (Int) async throws -> T
    ) async throws -> T {
        var retries = 0
        while true {
            if Task.isCancelled { throw ModelError.cancelled }
            let index = try core.acquire(group: group, inputTokens: inputTokens, streaming: streaming)
            do {
                return try await attempt(index)
            } catch {
                if RouterCore.isCancellation(error) { throw error }
                guard retries < core.options.numRetries, shouldRetry(error, group: group) else { throw error }
                retries += 1
                let wait = delayBeforeRetry(after: error, group: group, retry: retries)
                if wait > .zero {
                    do { try await core.clock.sleep(wait) } catch { throw ModelError.cancelled }
                }
            }
        }
    }

    /// LiteLLM's `should_retry_this_error`: only retryable statuses (401/403 too when the group has other
    /// deployments), never 404, never when no deployment of the group is healthy, and not a 429 when the
    /// group is exhausted and fallbacks exist.
    private func shouldRetry(_ error: any Error, group: String) -> Bool {
        guard let status = RouterCore.status(of: error) else { return false }
        let members = core.groups[group]?.count ?? 0
        if !RouterCore.isRetryableStatus(status), !([401, 403].contains(status) && members > 1) { return false }
        if status == 404 { return false }
        let healthy = core.healthyCount(group: group)
        if status == 429, healthy == 0, !core.options.fallbackGroups(for: group, after: error).isEmpty { return false }
        return healthy > 0
    }

    /// LiteLLM's `_time_to_sleep_before_retry`: no wait when another healthy deployment can take the retry;
    /// otherwise the provider's `Retry-After` (up to 60 s), else 0.5 s × 2ⁿ⁻¹ raised to `retry_after` and
    /// then capped at 8 s (LiteLLM caps the floor too), plus up to 0.75 s of jitter.
    func delayBeforeRetry(after error: any Error, group: String, retry: Int) -> Duration {
        let members = core.groups[group]?.count ?? 0
        if members > 1, core.healthyCount(group: group) > 0 { return .zero }
        let jitter = 0.75 * core.uniform()
        if let asked = (error as? ModelError)?.retryAfter, asked > .zero, asked <= .seconds(60) {
            return asked + .milliseconds(Int64(jitter * 1000))
        }
        let floor = Double(core.options.retryAfter.components.seconds)
            + Double(core.options.retryAfter.components.attoseconds) * 1e-18
        let backoff = min(max(0.5 * Double(1 << min(retry - 1, 20)), floor), 8)
        return .milliseconds(Int64((backoff + jitter) * 1000))
    }
}
