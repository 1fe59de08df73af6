import Synchronization

/// A virtual clock for tests: sleeping returns at once, and every requested sleep is recorded.
///
/// Pass ``clock`` wherever a ``SmolClock`` is expected, then assert on ``sleeps`` and ``now``.
/// A retry test that would wait minutes upstream (smolagents' first back-off is 120–240 s) runs in
/// microseconds and can check the exact delays.
///
/// ```swift
/// let manual = ManualClock()
/// _ = try await RetryPolicy.default.run(clock: manual.clock, random: { 0 }) { _ in try await call() }
/// #expect(manual.sleeps == [.milliseconds(500)])
/// ```
///
/// State lives in a `Mutex`, so one manual clock can be shared by concurrent tasks.
public final class ManualClock: Sendable {
    private struct State {
        var now: Duration
        var sleeps: [Duration] = []
    }

    private let state: Mutex<State>

    /// Whether a sleep moves virtual time forward by its duration.
    ///
    /// `true` (the default) models sequential code: after sleeping 1 s, ``now`` is 1 s later.
    /// `false` freezes time at whatever ``advance(by:)`` sets: concurrent sleepers each add their own
    /// duration when time advances on sleep, which real time does not do, so tests of concurrent
    /// callers freeze time to make every caller see the same instant whatever the interleaving.
    public let advancesOnSleep: Bool

    /// Creates a manual clock.
    ///
    /// - Parameters:
    ///   - now: The starting instant.
    ///   - advancesOnSleep: Whether sleeping moves ``now`` forward (see ``advancesOnSleep``).
    public init(now: Duration = .zero, advancesOnSleep: Bool = true) {
        self.state = Mutex(State(now: now))
        self.advancesOnSleep = advancesOnSleep
    }

    /// The current virtual instant.
    public var now: Duration {
        state.withLock { $0.now }
    }

    /// Every duration passed to the clock's `sleep`, in the order the calls arrived.
    ///
    /// Sleeps requested by a task that was already cancelled are recorded too (and then throw), so a
    /// test can tell "asked to wait" from "never asked".
    public var sleeps: [Duration] {
        state.withLock { $0.sleeps }
    }

    /// The sum of all requested sleeps (non-positive ones count as zero).
    public var totalSlept: Duration {
        state.withLock { $0.sleeps.reduce(.zero) { $0 + max($1, .zero) } }
    }

    /// Moves virtual time forward, as if the duration had passed.
    ///
    /// Negative durations are ignored: the clock is monotonic, like the real one.
    public func advance(by duration: Duration) {
        guard duration > .zero else { return }
        state.withLock { $0.now += duration }
    }

    /// A ``SmolClock`` reading and sleeping on this virtual time.
    ///
    /// Its `sleep` records the duration, throws `CancellationError` if the task is cancelled (as
    /// `Task.sleep` does), and otherwise returns at once, advancing ``now`` when ``advancesOnSleep``.
    public var clock: SmolClock {
        SmolClock(
            now: { [self] in now },
            sleep: { [self] duration in
                let advances = advancesOnSleep
                state.withLock { state in
                    state.sleeps.append(duration)
                }
                try Task.checkCancellation()
                if advances { advance(by: duration) }
            }
        )
    }
}
