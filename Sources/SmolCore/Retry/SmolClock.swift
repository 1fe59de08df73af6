/// The time source that retries and rate limiting read and sleep on.
///
/// Retry back-off and request spacing are about waiting, and tests must not wait: every helper that
/// sleeps takes a `SmolClock`, production code passes ``system``, and tests pass a ``ManualClock``'s
/// ``ManualClock/clock``, whose sleeps return at once and are recorded.
///
/// The clock is two closures rather than a `Clock` generic so that it can be stored in non-generic
/// types (``RateLimiter``, models) and passed across isolation domains without type erasure gymnastics.
public struct SmolClock: Sendable {
    /// The current instant, as a duration since an arbitrary, fixed origin.
    ///
    /// Must be monotonic (never goes backwards, unaffected by wall-clock changes): only differences
    /// between two readings are meaningful.
    public var now: @Sendable () -> Duration

    /// Suspends the calling task for the given duration.
    ///
    /// Must throw `CancellationError` when the calling task is cancelled, before or during the wait,
    /// so that a cancelled caller never sits out a long back-off. Non-positive durations return at once
    /// (after the cancellation check).
    public var sleep: @Sendable (Duration) async throws -> Void

    /// Creates a clock from its two operations.
    ///
    /// - Parameters:
    ///   - now: The current monotonic instant, as a duration since a fixed origin.
    ///   - sleep: Suspends for a duration; throws `CancellationError` when the task is cancelled.
    public init(
        now: @escaping @Sendable () -> Duration,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) {
        self.now = now
        self.sleep = sleep
    }

    /// The real clock: `ContinuousClock` readings and `Task.sleep`.
    ///
    /// `ContinuousClock` keeps counting while the machine sleeps, which is what a provider's
    /// `Retry-After` or a requests-per-minute quota measure. The origin is the first use of `system`.
    public static let system: SmolClock = {
        let clock = ContinuousClock()
        let origin = clock.now
        return SmolClock(
            now: { origin.duration(to: clock.now) },
            sleep: { duration in
                // `Task.sleep` already throws on cancellation; the explicit check also covers the
                // zero-length case, which must not let a cancelled task slip through.
                try Task.checkCancellation()
                guard duration > .zero else { return }
                try await Task.sleep(for: duration, clock: clock)
            }
        )
    }()
}

/// Conversions between `Duration` and `Double` seconds for the retry and rate-limit arithmetic.
///
/// Back-off formulas are written in floating-point seconds (as upstream's are); `Duration.seconds(_:)`
/// traps on non-finite or out-of-range values, so every conversion goes through ``duration(seconds:)``.
enum SmolDuration {
    /// The longest duration these helpers produce: about 31,700 years. Far beyond any sensible wait,
    /// far below the range where `Duration`'s attosecond arithmetic could overflow.
    static let maximumSeconds: Double = 1e12

    /// The duration for `seconds`, clamped to `0...maximumSeconds` (NaN becomes zero).
    static func duration(seconds: Double) -> Duration {
        guard seconds > 0 else { return .zero }  // also catches NaN
        return .seconds(min(seconds, maximumSeconds))
    }

    /// The duration in seconds, as a `Double`.
    static func seconds(_ duration: Duration) -> Double {
        let components = duration.components
        return Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
