import Synchronization
import Testing

@testable import SmolCore

/// Counts calls from a `@Sendable` operation.
private final class CallCounter: Sendable {
    private let count = Mutex(0)
    var value: Int { count.withLock { $0 } }
    func increment() { count.withLock { $0 += 1 } }
}

/// A foreign (non-`ModelError`) error, like the exceptions smolagents' tests raise.
private struct UpstreamError: Error, CustomStringConvertible {
    let description: String
}

private func seconds(_ duration: Duration) -> Double { SmolDuration.seconds(duration) }

private func isClose(_ actual: Duration, _ expected: Double, tolerance: Double = 1e-9) -> Bool {
    abs(seconds(actual) - expected) <= tolerance
}

/// Cancels the task that is running the caller.
private func cancelCurrentTask() {
    withUnsafeCurrentTask { $0?.cancel() }
}

private let serverError = ModelError.http(status: 500, message: "Internal server error")

@Suite struct RetryPolicyTests {
    // MARK: smolagents parity

    @Test func smolagentsPolicyReproducesUpstreamRetryVector() async throws {
        // tests/test_models.py: two "429" failures then success, RETRY_WAIT=0.1, random()=0.1.
        let manual = ManualClock()
        let calls = CallCounter()
        let result = try await RetryPolicy.smolagents(waitSeconds: 0.1).run(clock: manual.clock, random: { 0.1 }) {
            attempt in
            calls.increment()
            if attempt < 3 { throw UpstreamError(description: "Error code: 429 - Rate limit exceeded") }
            return "Success response"
        }
        #expect(result == "Success response")
        #expect(calls.value == 3)
        let sleeps = manual.sleeps
        #expect(sleeps.count == 2)
        #expect(isClose(sleeps[0], 0.22))
        #expect(isClose(sleeps[1], 0.484))
        #expect(isClose(manual.totalSlept, 0.704))
        #expect(isClose(manual.now, 0.704))
    }

    @Test(arguments: [0.0, 0.1, 0.5, 0.999_999])
    func smolagentsDefaultFirstWaitIsBetween120And240Seconds(random: Double) throws {
        let policy = RetryPolicy.smolagents()
        let error = UpstreamError(description: "Too Many Requests")
        let wait = try #require(policy.delay(forRetry: 1, after: error, previous: nil, random: { random }))
        #expect(isClose(wait, 120 * (1 + random), tolerance: 1e-6))
        #expect(wait >= .seconds(120) && wait < .seconds(240))
    }

    @Test func smolagentsDefaultFirstWaitStaysInRangeWithRealRandomness() throws {
        let policy = RetryPolicy.smolagents()
        for _ in 0..<200 {
            let wait = try #require(
                policy.delay(forRetry: 1, after: UpstreamError(description: "rate_limit"), previous: nil) {
                    Double.random(in: 0..<1)
                })
            #expect(wait >= .seconds(120) && wait < .seconds(240))
        }
    }

    @Test func smolagentsPolicyIgnoresRetryAfterAndRetriesOnlyRateLimits() throws {
        let policy = RetryPolicy.smolagents()
        let rateLimited = ModelError.http(status: 429, message: "slow down", retryAfter: .seconds(3))
        let wait = try #require(policy.delay(forRetry: 1, after: rateLimited, previous: nil, random: { 0 }))
        #expect(wait == .seconds(120))
        #expect(policy.delay(forRetry: 1, after: serverError, previous: nil, random: { 0 }) == nil)
        #expect(policy.delay(forRetry: 3, after: rateLimited, previous: nil, random: { 0 }) == nil)
    }

    @Test func rateLimitStringTestMatchesUpstreamMarkers() {
        let matching = ["Error code: 429", "RATE LIMIT reached", "Too Many Requests", "code=rate_limit_exceeded", "429\u{301}"]
        for text in matching {
            #expect(RetryPolicy.isRateLimitError(UpstreamError(description: text)), "\(text)")
        }
        for text in ["ratelimit", "HTTP 503", "too many tokens", ""] {
            #expect(!RetryPolicy.isRateLimitError(UpstreamError(description: text)), "\(text)")
        }
    }

    // MARK: default policy

    @Test func defaultPolicyHonoursRetryAfter() async throws {
        let manual = ManualClock()
        let calls = CallCounter()
        let result = try await RetryPolicy.default.run(clock: manual.clock, random: { 0.5 }) { attempt in
            calls.increment()
            if attempt == 1 { throw ModelError.http(status: 429, message: "Rate limited", retryAfter: .seconds(3)) }
            return 42
        }
        #expect(result == 42)
        #expect(calls.value == 2)
        #expect(manual.sleeps == [.seconds(3)])
    }

    @Test func defaultPolicyGivesUpAtOnceWhenRetryAfterIsTooLong() async {
        let manual = ManualClock()
        let calls = CallCounter()
        let error = ModelError.http(status: 429, message: "Daily quota exhausted", retryAfter: .seconds(3_600))
        await #expect(throws: error) {
            try await RetryPolicy.default.run(clock: manual.clock) { _ -> Int in
                calls.increment()
                throw error
            }
        }
        #expect(calls.value == 1)
        #expect(manual.sleeps.isEmpty)
    }

    @Test func nonPositiveRetryAfterFallsBackToBackoff() {
        let error = ModelError.http(status: 429, message: "Rate limited", retryAfter: .zero)
        let wait = RetryPolicy.default.delay(forRetry: 1, after: error, previous: nil, random: { 0 })
        #expect(wait == .milliseconds(500))
    }

    @Test func defaultPolicyDoesNotRetryClientErrors() async {
        let manual = ManualClock()
        let calls = CallCounter()
        let error = ModelError.http(status: 400, message: "Bad request")
        await #expect(throws: error) {
            try await RetryPolicy.default.run(clock: manual.clock) { _ -> Int in
                calls.increment()
                throw error
            }
        }
        #expect(calls.value == 1)
        #expect(manual.sleeps.isEmpty)
    }

    @Test func defaultPolicyRethrowsTheOriginalErrorWhenAttemptsRunOut() async {
        let manual = ManualClock()
        let calls = CallCounter()
        await #expect(throws: serverError) {
            try await RetryPolicy.default.run(clock: manual.clock, random: { 0.5 }) { _ -> Int in
                calls.increment()
                throw serverError
            }
        }
        #expect(calls.value == 3)
        // min(0.5 × 2ⁿ, 8) × (1 − 0.25 × 0.5)
        #expect(manual.sleeps == [.seconds(0.4375), .seconds(0.875)])
    }

    @Test func defaultPolicyRetriesConnectionErrors() async throws {
        let manual = ManualClock()
        let result = try await RetryPolicy.default.run(clock: manual.clock, random: { 0 }) { attempt in
            if attempt == 1 { throw ModelError.connection(message: "Connection reset by peer") }
            return "ok"
        }
        #expect(result == "ok")
        #expect(manual.sleeps == [.milliseconds(500)])
    }

    @Test func defaultPredicateRetriesForeignErrorsOnlyWhenTheyLookRateLimited() {
        #expect(RetryPolicy.defaultShouldRetry(UpstreamError(description: "429 Too Many Requests")))
        #expect(!RetryPolicy.defaultShouldRetry(UpstreamError(description: "file not found")))
        #expect(!RetryPolicy.defaultShouldRetry(ModelError.stream(message: "rate limit hit mid-stream")))
        #expect(RetryPolicy.defaultShouldRetry(ModelError.timeout(message: "read timed out")))
    }

    @Test func exponentialBackoffDoublesUpToItsMaximum() {
        var policy = RetryPolicy.default
        policy.maxAttempts = 10
        let waits = (1...7).map { policy.delay(forRetry: $0, after: serverError, previous: nil, random: { 0 }) }
        #expect(waits == [0.5, 1, 2, 4, 8, 8, 8].map { Duration.seconds($0) })
        // Full jitter draw shortens by a quarter; the cap stays an upper bound.
        #expect(policy.delay(forRetry: 6, after: serverError, previous: nil, random: { 1 }) == .seconds(6))
    }

    // MARK: attempts and cancellation

    @Test func noneMakesExactlyOneAttempt() async {
        let manual = ManualClock()
        let calls = CallCounter()
        await #expect(throws: serverError) {
            try await RetryPolicy.none.run(clock: manual.clock) { _ -> Int in
                calls.increment()
                throw serverError
            }
        }
        #expect(calls.value == 1)
        #expect(manual.sleeps.isEmpty)
    }

    @Test func attemptBudgetBelowOneStillCallsOnce() async throws {
        var policy = RetryPolicy.default
        policy.maxAttempts = 0
        let result = try await policy.run(clock: ManualClock().clock) { attempt in attempt }
        #expect(result == 1)
    }

    @Test func cancellationBetweenAttemptsStopsRetrying() async {
        let manual = ManualClock()
        let calls = CallCounter()
        let task = Task {
            try await RetryPolicy.default.run(clock: manual.clock) { _ -> Int in
                calls.increment()
                cancelCurrentTask()
                throw serverError
            }
        }
        let result = await task.result
        #expect(throws: ModelError.cancelled) { try result.get() }
        #expect(calls.value == 1)
        #expect(manual.sleeps.isEmpty)
    }

    @Test func cancellationDuringTheWaitStopsRetrying() async {
        let calls = CallCounter()
        let clock = SmolClock(
            now: { .zero },
            sleep: { _ in
                cancelCurrentTask()
                throw CancellationError()
            })
        let task = Task {
            try await RetryPolicy.default.run(clock: clock) { _ -> Int in
                calls.increment()
                throw serverError
            }
        }
        let result = await task.result
        #expect(throws: ModelError.cancelled) { try result.get() }
        #expect(calls.value == 1)
    }

    @Test func cancellationErrorsAreNeverRetriedEvenByAPermissivePredicate() async {
        let policy = RetryPolicy(
            maxAttempts: 5, backoff: .smolagents(waitSeconds: 1, exponentialBase: 2, jitter: false),
            shouldRetry: { _ in true })
        let manual = ManualClock()
        let calls = CallCounter()
        await #expect(throws: CancellationError.self) {
            try await policy.run(clock: manual.clock) { _ -> Int in
                calls.increment()
                throw CancellationError()
            }
        }
        await #expect(throws: ModelError.cancelled) {
            try await policy.run(clock: manual.clock) { _ -> Int in
                calls.increment()
                throw ModelError.cancelled
            }
        }
        #expect(calls.value == 2)
        #expect(manual.sleeps.isEmpty)
    }

    @Test func eachRetryIsReportedWithUpstreamsLogLine() async throws {
        let events = Mutex<[RetryEvent]>([])
        _ = try await RetryPolicy.smolagents(waitSeconds: 0.1).run(
            clock: ManualClock().clock, random: { 0.1 }, onRetry: { event in events.withLock { $0.append(event) } }
        ) { attempt in
            if attempt < 3 { throw UpstreamError(description: "Error code: 429 - Rate limit exceeded") }
            return true
        }
        let reported = events.withLock { $0 }
        #expect(reported.map(\.attempt) == [1, 2])
        #expect(reported.allSatisfy { $0.maxAttempts == 3 })
        let expected = "Retrying completion in 0.22 seconds as it raised UpstreamError: "
            + "Error code: 429 - Rate limit exceeded."
        #expect(reported.first?.logMessage(function: "completion") == expected)
    }
}

@Suite struct RetryClockTests {
    @Test func manualClockAdvancesOnSleepAndRecordsEverySleep() async throws {
        let manual = ManualClock(now: .seconds(10))
        try await manual.clock.sleep(.seconds(2))
        manual.advance(by: .seconds(1))
        manual.advance(by: .seconds(-5))  // ignored: time never goes backwards
        try await manual.clock.sleep(.milliseconds(250))
        #expect(manual.now == .seconds(13.25))
        #expect(manual.clock.now() == .seconds(13.25))
        #expect(manual.sleeps == [.seconds(2), .milliseconds(250)])
    }

    @Test func frozenManualClockRecordsSleepsWithoutMovingTime() async throws {
        let manual = ManualClock(advancesOnSleep: false)
        try await manual.clock.sleep(.seconds(5))
        #expect(manual.now == .zero)
        #expect(manual.sleeps == [.seconds(5)])
    }

    @Test func clockSleepsThrowWhenTheTaskIsCancelled() async {
        for clock in [SmolClock.system, ManualClock().clock] {
            let task = Task {
                cancelCurrentTask()
                try await clock.sleep(.seconds(60))
            }
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }
        }
    }

    @Test func systemClockIsMonotonic() {
        let first = SmolClock.system.now()
        let second = SmolClock.system.now()
        #expect(second >= first)
    }
}
