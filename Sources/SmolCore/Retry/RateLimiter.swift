/// Spaces out request starts so that at most `requestsPerMinute` begin in any minute.
///
/// This is smolagents' `RateLimiter` (a minimum interval of `60 / rpm` seconds between calls, no token
/// bucket, the first call never waits), made safe under concurrency. Upstream reads `last_call`,
/// sleeps, then writes `last_call`: two threads arriving together both see the old value, sleep the
/// same amount and start together. Here each caller *reserves* its start slot inside the actor
/// (`slot = max(now, previousSlot + interval)`) and only then sleeps, outside the actor, until that
/// slot. Reserving is synchronous, so N concurrent callers get N distinct slots one interval apart, and
/// no caller holds the actor while it waits.
///
/// A caller cancelled while waiting gives up its slot without returning it: later callers keep their
/// spacing from it, which can waste one interval but never exceeds the rate.
///
/// ```swift
/// let limiter = try RateLimiter(requestsPerMinute: 30)   // one request start every 2 s
/// try await limiter.throttle()
/// let reply = try await send(request)
/// ```
public actor RateLimiter {
    /// The configured rate, or `nil` when limiting is disabled.
    public nonisolated let requestsPerMinute: Double?

    /// The minimum spacing between two request starts (`60 / requestsPerMinute` seconds), or `nil`
    /// when limiting is disabled.
    public nonisolated let interval: Duration?

    private nonisolated let clock: SmolClock

    /// The start instant handed to the most recent caller, on ``clock``'s timeline.
    private var lastSlot: Duration?

    /// Creates a limiter.
    ///
    /// The initializer throws rather than trapping or silently disabling the limiter, because a rate
    /// usually comes from user configuration (a CLI flag, a settings file): a typo must surface as
    /// an error the caller can report.
    ///
    /// - Parameters:
    ///   - requestsPerMinute: The most request starts per minute; `nil` disables limiting, so
    ///     ``throttle()`` never waits (smolagents' default).
    ///   - clock: The time source; tests pass a ``ManualClock``'s clock.
    /// - Throws: ``ModelError/invalidInput(message:location:)`` when the rate is zero, negative, NaN or
    ///   infinite: none of them describes a usable spacing.
    public init(requestsPerMinute: Double?, clock: SmolClock = .system) throws(ModelError) {
        if let requestsPerMinute {
            guard requestsPerMinute.isFinite, requestsPerMinute > 0 else {
                throw ModelError.invalidInput(
                    message: "requestsPerMinute must be a positive, finite number, got \(requestsPerMinute).",
                    location: "requestsPerMinute"
                )
            }
            self.interval = SmolDuration.duration(seconds: 60 / requestsPerMinute)
        } else {
            self.interval = nil
        }
        self.requestsPerMinute = requestsPerMinute
        self.clock = clock
    }

    /// Waits until the caller may start its request.
    ///
    /// With limiting disabled this returns at once. Otherwise the first call returns at once and every
    /// later one returns no earlier than one ``interval`` after the previous caller's start.
    ///
    /// It is `nonisolated` on purpose: only the reservation runs on the actor; the wait does not, so
    /// it neither blocks other callers from reserving nor hops back onto the actor when it ends.
    ///
    /// - Returns: The instant, on the clock's timeline, reserved for this caller's start. Callers may
    ///   ignore it; tests use it to check that concurrent callers got distinct, evenly spaced slots.
    /// - Throws: ``ModelError/cancelled`` when the task is cancelled before or during the wait.
    @discardableResult
    public nonisolated func throttle() async throws -> Duration {
        guard interval != nil else { return clock.now() }
        // A task that is already cancelled must not consume a slot that another caller could use.
        if Task.isCancelled { throw ModelError.cancelled }
        let slot = await reserve()
        // Measured again here rather than in the actor: time spent queueing for the actor has already
        // passed and must not be waited twice.
        let wait = slot - clock.now()
        if wait > .zero {
            do {
                try await clock.sleep(wait)
            } catch is CancellationError {
                throw ModelError.cancelled
            }
        }
        return slot
    }

    /// Hands out the next start slot: now, or one interval after the previous slot if that is later.
    ///
    /// Synchronous, so no other caller can interleave between reading and writing ``lastSlot``.
    private func reserve() -> Duration {
        let now = clock.now()
        let slot: Duration
        if let lastSlot, let interval {
            slot = max(now, lastSlot + interval)
        } else {
            slot = now
        }
        lastSlot = slot
        return slot
    }
}
