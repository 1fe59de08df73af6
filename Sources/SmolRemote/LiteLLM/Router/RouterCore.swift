import SmolCore
import Synchronization

/// What the router knows about one deployment right now.
struct DeploymentState: Sendable {
    var inFlight = 0
    var cooldownUntil: Duration?
    /// Failure instants within the last minute (the `allowedFails` policy).
    var recentFailures: [Duration] = []
    /// The minute (clock seconds / 60) that the per-minute counters below belong to.
    var minute: Int64 = .min
    var successesThisMinute = 0
    var failuresThisMinute = 0
    var requestsThisMinute = 0
    var tokensThisMinute = 0
    /// Recent latencies in seconds (per output token when usage was reported), newest last.
    var latencies: [Double] = []
    /// Recent times to first token of streams, likewise.
    var timesToFirstToken: [Double] = []

    /// Starts a new minute's counters when the clock has moved on.
    mutating func roll(to minute: Int64) {
        guard minute != self.minute else { return }
        self.minute = minute
        successesThisMinute = 0
        failuresThisMinute = 0
        requestsThisMinute = 0
        tokensThisMinute = 0
    }

    func isCoolingDown(at now: Duration) -> Bool { cooldownUntil.map { now < $0 } ?? false }
}

/// The router's deployments and their shared, mutable state.
///
/// Every decision that reads and then changes state (pick a deployment and count it in flight; record a
/// failure and maybe start a cooldown) happens inside one `Mutex` critical section, so concurrent calls
/// never both take a deployment's last rpm slot or lose a count. The critical sections are short and never
/// suspend; the clock and random closures they call must not block.
final class RouterCore: Sendable {
    struct Entry: Sendable {
        let id: String
        let deployment: LiteLLMDeployment
        let model: LiteLLMModel
    }

    let entries: [Entry]
    /// Group name → indices into `entries`, in `model_list` order.
    let groups: [String: [Int]]
    let options: LiteLLMRouterOptions
    let clock: SmolClock
    let random: @Sendable () -> Double
    private let state: Mutex<[DeploymentState]>

    init(entries: [Entry], options: LiteLLMRouterOptions, clock: SmolClock, random: @escaping @Sendable () -> Double) {
        self.entries = entries
        var groups: [String: [Int]] = [:]
        for (index, entry) in entries.enumerated() { groups[entry.deployment.modelName, default: []].append(index) }
        self.groups = groups
        self.options = options
        self.clock = clock
        self.random = random
        self.state = Mutex(Array(repeating: DeploymentState(), count: entries.count))
    }

    private func minute(of now: Duration) -> Int64 { now.components.seconds / 60 }

    /// A number in `0..<1` from the injected source, clamped so a sloppy source cannot index out of range.
    func uniform() -> Double {
        let value = random()
        return value.isFinite ? min(max(value, 0), 0.999_999_999_999) : 0
    }

    // MARK: Picking

    /// Picks a deployment of `group` by the routing strategy and counts it in flight.
    ///
    /// - Throws: ``/SmolCore/ModelError/unavailable(_:)`` when every deployment
    ///   is cooling down, or (usage/latency strategies) every healthy one is at its rpm/tpm limit.
    func acquire(group: String, inputTokens: Int, streaming: Bool) throws(ModelError) -> Int {
        let members = groups[group] ?? []
        let now = clock.now()
        let minute = minute(of: now)
        return try state.withLock { states throws(ModelError) -> Int in
            for index in members { states[index].roll(to: minute) }
            let healthy = members.filter { !states[$0].isCoolingDown(at: now) }
            guard !healthy.isEmpty else {
                let soonest = members.compactMap { states[$0].cooldownUntil }.min()
                throw Self.unavailable(group: group, reason: .allDeploymentsInCooldown, retryAfter: soonest.map { $0 - now })
            }
            guard let chosen = pick(from: healthy, states: states, inputTokens: inputTokens, streaming: streaming) else {
                let nextMinute = Duration.seconds((minute + 1) * 60)
                throw Self.unavailable(group: group, reason: .rateLimitsReached, retryAfter: nextMinute - now)
            }
            states[chosen].inFlight += 1
            states[chosen].requestsThisMinute += 1
            return chosen
        }
    }

    /// LiteLLM's `RouterRateLimitError` (which its proxy answers as 429 with the reason's code).
    static func unavailable(group: String, reason: ModelUnavailable.Reason, retryAfter: Duration?) -> ModelError {
        let why = reason == .allDeploymentsInCooldown
            ? "every deployment is cooling down after failures" : "every deployment is at its rpm/tpm limit"
        var text = "No deployments available for model group '\(group)': \(why) (\(reason.rawValue))"
        if let retryAfter { text += "; try again in \(retryAfter)" }
        return .unavailable(ModelUnavailable(reason: reason, message: text, subject: group, isRetryable: true,
                                             retryAfter: retryAfter))
    }

    /// How many deployments of `group` are not cooling down.
    func healthyCount(group: String) -> Int {
        let now = clock.now()
        return state.withLock { states in (groups[group] ?? []).filter { !states[$0].isCoolingDown(at: now) }.count }
    }

    // MARK: Outcomes

    /// Records a success: latency (per output token when usage is known), time to first token, tokens used.
    func succeeded(_ index: Int, started: Duration, firstToken: Duration?, usage: TokenUsage?) {
        let now = clock.now()
        let perToken = { (elapsed: Duration) -> Double in
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            if let output = usage?.outputTokens, output > 0 { return seconds / Double(output) }
            return seconds
        }
        let limit = max(1, options.maxLatencyListSize)
        state.withLock { states in
            states[index].roll(to: minute(of: now))
            states[index].inFlight -= 1
            states[index].successesThisMinute += 1
            states[index].tokensThisMinute += usage.map { $0.inputTokens + $0.outputTokens } ?? 0
            states[index].latencies.append(perToken(now - started))
            if states[index].latencies.count > limit { states[index].latencies.removeFirst() }
            if let firstToken {
                states[index].timesToFirstToken.append(perToken(firstToken - started))
                if states[index].timesToFirstToken.count > limit { states[index].timesToFirstToken.removeFirst() }
            }
        }
    }

    /// Releases a deployment whose call was cancelled by the caller: not the deployment's fault.
    func cancelled(_ index: Int) {
        state.withLock { $0[index].inFlight -= 1 }
    }

    /// Records a failure and starts a cooldown when LiteLLM's rules call for one.
    ///
    /// A failure seen by a cancelled task (however the transport reported it) is the caller leaving, not
    /// the deployment failing: it only releases the deployment.
    func failed(_ index: Int, error: any Error) {
        if Self.isCancellation(error) || Task.isCancelled { return cancelled(index) }
        let now = clock.now()
        let entry = entries[index]
        let group = entry.deployment.modelName
        let status = Self.status(of: error)
        let members = groups[group]?.count ?? 0
        let alone = members <= 1
        let hasFallback = options.fallbacks[group] != nil || !options.defaultFallbacks.isEmpty
        let limit = max(1, options.maxLatencyListSize)
        state.withLock { states in
            states[index].roll(to: minute(of: now))
            states[index].inFlight -= 1
            states[index].failuresThisMinute += 1
            if case .timeout? = error as? ModelError {
                // LiteLLM's latency strategy books a timeout as a 1,000 s call.
                states[index].latencies.append(1000)
                if states[index].latencies.count > limit { states[index].latencies.removeFirst() }
            }
            guard !options.disableCooldowns, let status, Self.cooldownRequired(status: status) else { return }
            let cool: Bool
            if let allowed = options.allowedFails {
                guard !(alone && !hasFallback) else { return }
                states[index].recentFailures.removeAll { $0 <= now - .seconds(60) }
                states[index].recentFailures.append(now)
                cool = states[index].recentFailures.count > allowed
            } else {
                let fails = states[index].failuresThisMinute
                let total = fails + states[index].successesThisMinute
                let rate = total > 0 ? Double(fails) / Double(total) : 0
                cool = (status == 429 && !alone) || (rate == 1 && total >= 1000) || (rate > 0.5 && total >= 5 && !alone)
                    || !Self.isRetryableStatus(status)
            }
            guard cool else { return }
            let length = entry.deployment.litellmParams.cooldownTime ?? (error as? ModelError)?.retryAfter
                ?? options.cooldownTime
            guard length > .zero else { return }
            states[index].cooldownUntil = now + length
            states[index].recentFailures.removeAll()
        }
    }

    /// A snapshot for ``LiteLLMRouterModel/deploymentStatus()``.
    func snapshot() -> [(Entry, DeploymentState, Duration)] {
        let now = clock.now()
        let states = state.withLock { states in
            for index in states.indices { states[index].roll(to: minute(of: now)) }
            return states
        }
        return zip(entries, states).map { ($0, $1, now) }
    }

    // MARK: Classification

    /// The HTTP status LiteLLM would see for an error: timeouts are 408, broken connections and bad
    /// responses 500; `nil` for errors raised before anything was sent (not the deployment's fault).
    static func status(of error: any Error) -> Int? {
        guard let error = error as? ModelError else { return 500 }
        switch error {
        case .http(let status, _, _, _): return status
        case .timeout: return 408
        case .connection, .decoding, .stream: return 500
        case .authentication: return 401
        case .unavailable(let unavailable): return unavailable.isRetryable ? 429 : nil
        case .invalidInput, .unsupported, .toolCallParsing, .cancelled: return nil
        }
    }

    /// LiteLLM's `_is_cooldown_required`: 429, 401, 402, 404, 408 and everything outside 4xx.
    static func cooldownRequired(status: Int) -> Bool {
        guard (400..<500).contains(status) else { return true }
        return [429, 401, 402, 404, 408].contains(status)
    }

    /// LiteLLM's `should_retry(status)`: 408, 409, 429, 5xx.
    static func isRetryableStatus(_ status: Int) -> Bool {
        status == 408 || status == 409 || status == 429 || status >= 500
    }

    static func isCancellation(_ error: any Error) -> Bool {
        error is CancellationError || (error as? ModelError) == .cancelled
    }
}
