import Foundation

/// When and how long to wait before trying a failed model call again.
///
/// Two families of behaviour are offered because the two references disagree:
/// - ``default`` behaves like the OpenAI and Anthropic SDKs: retry 408, 409, 429, 5xx, connection
///   errors and timeouts (``ModelError/isRetryable``) after 0.5 s, 1 s, 2 s… (capped at 8 s, minus up
///   to 25 % jitter), and wait exactly what the provider asked for when it sent `Retry-After` /
///   `retry-after-ms`.
/// - ``smolagents(maxAttempts:waitSeconds:exponentialBase:jitter:)`` reproduces smolagents'
///   `ApiModel.retryer` exactly: rate-limit errors only (by a string test), minutes-long waits,
///   `Retry-After` ignored.
///
/// A policy is a value; ``run(clock:random:onRetry:_:)`` executes an operation under it. Only the call
/// that opens a stream belongs inside `run`: once the first streamed byte has been delivered, a retry
/// would duplicate output, so stream iteration is never retried.
public struct RetryPolicy: Sendable {
    /// How the wait grows from one retry to the next.
    public enum Backoff: Sendable {
        /// OpenAI-SDK-like: `initial × multiplier^(retry − 1)`, capped at `maximum`, then multiplied by
        /// `1 − jitter × random()`.
        ///
        /// Jitter shortens rather than lengthens the wait so that `maximum` stays a true upper bound,
        /// while still spreading out clients that failed together.
        case exponential(initial: Duration, multiplier: Double, maximum: Duration, jitter: Double)

        /// smolagents' `Retrying`: the wait starts at `waitSeconds` and, before every sleep (including
        /// the first), is multiplied by `exponentialBase × (1 + (jitter ? random() : 0))`.
        ///
        /// With the upstream defaults (60 s, base 2, jitter) the first wait is in [120, 240) s and each
        /// later wait is 2–4 times the previous one.
        case smolagents(waitSeconds: Double, exponentialBase: Double, jitter: Bool)
    }

    /// How many times the operation is called at most, the first call included.
    ///
    /// Values below 1 behave as 1: the operation is always called once.
    public var maxAttempts: Int

    /// How the wait between attempts is computed when the error names no wait of its own.
    public var backoff: Backoff

    /// Whether a ``ModelError/retryAfter`` sent by the provider replaces the computed back-off.
    ///
    /// The provider knows when its quota resets; guessing shorter only earns another 429.
    public var honorRetryAfter: Bool

    /// The longest `Retry-After` worth waiting for; `nil` waits however long the provider asks.
    ///
    /// A longer request means the quota is exhausted for a while (a daily limit, say): like the OpenAI
    /// SDK, the policy then gives up at once and rethrows, rather than blocking the caller for minutes.
    public var maximumRetryAfter: Duration?

    /// Whether an error is worth another attempt.
    ///
    /// Cancellation (`CancellationError`, ``ModelError/cancelled``) is never retried, whatever this
    /// returns: the caller asked to stop.
    public var shouldRetry: @Sendable (any Error) -> Bool

    /// Creates a policy.
    ///
    /// - Parameters:
    ///   - maxAttempts: How many calls at most, the first included (values below 1 mean 1).
    ///   - backoff: How the wait grows between attempts.
    ///   - honorRetryAfter: Whether a provider's `Retry-After` replaces the computed wait.
    ///   - maximumRetryAfter: The longest `Retry-After` honoured; longer ones make the policy give up.
    ///   - shouldRetry: Which errors are retried; defaults to ``defaultShouldRetry(_:)``.
    public init(
        maxAttempts: Int,
        backoff: Backoff,
        honorRetryAfter: Bool = true,
        maximumRetryAfter: Duration? = .seconds(60),
        shouldRetry: @escaping @Sendable (any Error) -> Bool = RetryPolicy.defaultShouldRetry
    ) {
        self.maxAttempts = maxAttempts
        self.backoff = backoff
        self.honorRetryAfter = honorRetryAfter
        self.maximumRetryAfter = maximumRetryAfter
        self.shouldRetry = shouldRetry
    }
}

// MARK: - Presets and predicates

extension RetryPolicy {
    /// Three attempts, 0.5 s then 1 s (× 2 each time, capped at 8 s, up to 25 % shorter by jitter),
    /// `Retry-After` honoured up to 60 s, retrying what ``defaultShouldRetry(_:)`` accepts.
    ///
    /// This is the OpenAI SDK's schedule (`DEFAULT_MAX_RETRIES = 2`, `min(0.5 × 2ⁿ, 8) × (1 − 0.25 r)`).
    public static let `default` = RetryPolicy(
        maxAttempts: 3,
        backoff: .exponential(initial: .milliseconds(500), multiplier: 2, maximum: .seconds(8), jitter: 0.25)
    )

    /// A single attempt: errors are rethrown as they come (smolagents' `retry=False`).
    public static let none = RetryPolicy(
        maxAttempts: 1,
        backoff: .exponential(initial: .zero, multiplier: 1, maximum: .zero, jitter: 0)
    )

    /// smolagents' `ApiModel` retryer, exactly: `Retrying(max_attempts, wait_seconds, exponential_base,
    /// jitter, retry_predicate=is_rate_limit_error)`.
    ///
    /// Only errors whose description mentions a rate limit are retried (``isRateLimitError(_:)``),
    /// `Retry-After` is ignored (upstream PR #2107 was closed), and waits are long: with the defaults the
    /// first is in [120, 240) s. Use it to reproduce upstream timing; prefer ``default`` otherwise.
    ///
    /// - Parameters:
    ///   - maxAttempts: Upstream `RETRY_MAX_ATTEMPTS` (3; 1 when `retry=False`).
    ///   - waitSeconds: Upstream `RETRY_WAIT` (60), the wait before the first multiplication.
    ///   - exponentialBase: Upstream `RETRY_EXPONENTIAL_BASE` (2).
    ///   - jitter: Upstream `RETRY_JITTER` (`true`): multiply by a further `1 + random()`.
    public static func smolagents(
        maxAttempts: Int = 3,
        waitSeconds: Double = 60,
        exponentialBase: Double = 2,
        jitter: Bool = true
    ) -> RetryPolicy {
        RetryPolicy(
            maxAttempts: maxAttempts,
            backoff: .smolagents(waitSeconds: waitSeconds, exponentialBase: exponentialBase, jitter: jitter),
            honorRetryAfter: false,
            maximumRetryAfter: nil,
            shouldRetry: RetryPolicy.isRateLimitError
        )
    }

    /// The default retry predicate.
    ///
    /// A ``ModelError`` is retried when ``ModelError/isRetryable`` says so (408, 409, 429, 5xx,
    /// connection errors, timeouts; never errors inside a stream, whose bytes were already delivered).
    /// Any other error, which our transports did not classify, is retried when it looks like a rate
    /// limit (``isRateLimitError(_:)``), which is the only thing smolagents retries.
    public static func defaultShouldRetry(_ error: any Error) -> Bool {
        if isCancellation(error) { return false }
        if let modelError = error as? ModelError { return modelError.isRetryable }
        return isRateLimitError(error)
    }

    /// smolagents' `is_rate_limit_error`: whether the lowercased description of the error contains
    /// `"429"`, `"rate limit"`, `"too many requests"` or `"rate_limit"`.
    ///
    /// The search runs on UTF-8 bytes, as Python's `in` works on code points: Swift's `String.contains`
    /// would refuse a match followed by a combining mark, which Python accepts.
    public static func isRateLimitError(_ error: any Error) -> Bool {
        let text = Array(String(describing: error).lowercased().utf8)
        return rateLimitMarkers.contains { UTF8Search.firstIndex(of: $0, in: text) != nil }
    }

    private static let rateLimitMarkers: [[UInt8]] = ["429", "rate limit", "too many requests", "rate_limit"]
        .map { Array($0.utf8) }

    /// Whether the error means the caller cancelled: such errors end the retry loop at once.
    static func isCancellation(_ error: any Error) -> Bool {
        if error is CancellationError { return true }
        if let modelError = error as? ModelError, modelError == .cancelled { return true }
        return false
    }
}

// MARK: - Deciding the wait

extension RetryPolicy {
    /// The wait before retry number `retry`, or `nil` when the error must be rethrown instead.
    ///
    /// This is the whole decision, as a pure function, so that code with its own loop (a streaming
    /// model opening a connection, say) and tests can use it without ``run(clock:random:onRetry:_:)``.
    /// It returns `nil` when the attempt budget is spent (`retry >= maxAttempts`), when the error is a
    /// cancellation, when ``shouldRetry`` rejects it, or when the provider's `Retry-After` exceeds
    /// ``maximumRetryAfter``.
    ///
    /// A positive `Retry-After` is used as is when ``honorRetryAfter`` is set; a zero or negative one is
    /// ignored in favour of the back-off (as the OpenAI SDK does: a zero wait would just hammer the
    /// server).
    ///
    /// - Parameters:
    ///   - retry: Which retry this is: 1 for the wait after the first attempt failed, 2 after the
    ///     second, and so on.
    ///   - error: The error the last attempt threw.
    ///   - previous: The wait before the previous retry, `nil` before the first. Only the
    ///     ``Backoff/smolagents(waitSeconds:exponentialBase:jitter:)`` back-off uses it: upstream keeps
    ///     one running `delay` and multiplies it each time.
    ///   - random: A source of numbers in `0..<1`, for jitter.
    public func delay(
        forRetry retry: Int,
        after error: any Error,
        previous: Duration?,
        random: () -> Double
    ) -> Duration? {
        guard retry >= 1, retry < max(maxAttempts, 1) else { return nil }
        guard !Self.isCancellation(error), shouldRetry(error) else { return nil }

        if honorRetryAfter, let requested = (error as? ModelError)?.retryAfter, requested > .zero {
            if let maximumRetryAfter, requested > maximumRetryAfter { return nil }
            return requested
        }

        switch backoff {
        case .exponential(let initial, let multiplier, let maximum, let jitter):
            let growth = pow(multiplier, Double(retry - 1))
            let capped = min(SmolDuration.seconds(initial) * growth, SmolDuration.seconds(maximum))
            return SmolDuration.duration(seconds: capped * (1 - jitter * random()))
        case .smolagents(let waitSeconds, let exponentialBase, let jitter):
            // Upstream multiplies *before* sleeping, so even the first wait is already grown.
            let current = previous.map(SmolDuration.seconds) ?? waitSeconds
            let factor = exponentialBase * (1 + (jitter ? random() : 0))
            return SmolDuration.duration(seconds: current * factor)
        }
    }
}

// MARK: - Running an operation

/// One retry about to happen, reported to ``RetryPolicy/run(clock:random:onRetry:_:)``'s `onRetry`
/// before the wait, so callers can log it.
public struct RetryEvent: Sendable {
    /// The attempt that just failed (1 for the first call).
    public let attempt: Int

    /// The policy's attempt budget, the first call included.
    public let maxAttempts: Int

    /// How long the policy will wait before the next attempt.
    public let delay: Duration

    /// The Swift type of the error that triggered the retry (upstream logs the exception class).
    public let errorType: String

    /// The description of the error that triggered the retry.
    public let errorDescription: String

    /// Creates an event (``RetryPolicy/run(clock:random:onRetry:_:)`` builds these; tests may too).
    public init(attempt: Int, maxAttempts: Int, delay: Duration, errorType: String, errorDescription: String) {
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.delay = delay
        self.errorType = errorType
        self.errorDescription = errorDescription
    }

    /// smolagents' log line: `Retrying <function> in <delay> seconds as it raised <type>: <description>.`
    ///
    /// The delay is printed in seconds rounded to the nanosecond (`Duration`'s own resolution is finer
    /// than its `Double` round trip, which would print `0.22000000000000006` for 0.22 s).
    ///
    /// - Parameter function: The name of the call being retried (upstream logs the client function).
    public func logMessage(function: String) -> String {
        let seconds = (SmolDuration.seconds(delay) * 1e9).rounded() / 1e9
        return "Retrying \(function) in \(seconds) seconds as it raised \(errorType): \(errorDescription)."
    }
}

extension RetryPolicy {
    /// Calls `operation` until it succeeds, the policy declines to retry, or the attempts run out.
    ///
    /// When the policy gives up, the error the last attempt threw is rethrown unchanged, so callers can
    /// still switch on its ``ModelError`` case. Errors meaning cancellation are rethrown at once.
    /// If the task is cancelled between attempts (before or during the wait), `run` throws
    /// ``ModelError/cancelled`` instead of starting another attempt.
    ///
    /// - Parameters:
    ///   - clock: Where to sleep; tests pass a ``ManualClock``'s clock so nothing waits for real.
    ///   - random: A source of numbers in `0..<1` for jitter; tests pass a constant.
    ///   - onRetry: Called before each wait (smolagents logs these at INFO level).
    ///   - operation: The call to make, given its 1-based attempt number (useful for headers such as
    ///     `x-stainless-retry-count`). Put only the request inside, never the iteration of a stream.
    /// - Returns: The first successful result.
    public func run<T: Sendable>(
        clock: SmolClock = .system,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        onRetry: (@Sendable (RetryEvent) -> Void)? = nil,
        _ operation: @Sendable (_ attempt: Int) async throws -> T
    ) async throws -> T {
        var attempt = 1
        var previous: Duration?
        while true {
            do {
                return try await operation(attempt)
            } catch {
                guard let wait = delay(forRetry: attempt, after: error, previous: previous, random: random) else {
                    throw error
                }
                // Checked before reporting, so a cancelled caller is not told about a retry that will
                // not happen.
                if Task.isCancelled { throw ModelError.cancelled }
                onRetry?(
                    RetryEvent(
                        attempt: attempt, maxAttempts: max(maxAttempts, 1), delay: wait,
                        errorType: String(describing: type(of: error)), errorDescription: String(describing: error)
                    )
                )
                // Upstream sleeps only when the delay is positive; a zero wait still goes through the
                // cancellation check below.
                if wait > .zero {
                    do {
                        try await clock.sleep(wait)
                    } catch is CancellationError {
                        throw ModelError.cancelled
                    }
                }
                if Task.isCancelled { throw ModelError.cancelled }
                previous = wait
                attempt += 1
            }
        }
    }
}
