import Testing

@testable import SmolCore

@Suite struct RateLimiterTests {
    @Test func sequentialCallersStartOneIntervalApart() async throws {
        let manual = ManualClock()
        let limiter = try RateLimiter(requestsPerMinute: 60, clock: manual.clock)
        var starts: [Duration] = []
        for _ in 0..<3 {
            let slot = try await limiter.throttle()
            #expect(slot == manual.now)
            starts.append(manual.now)
        }
        #expect(starts == [.zero, .seconds(1), .seconds(2)])
        #expect(manual.sleeps == [.seconds(1), .seconds(1)])
    }

    @Test func concurrentCallersGetDistinctEvenlySpacedSlots() async throws {
        // Frozen time: every caller reserves at t = 0 whatever the interleaving, so upstream's
        // read-sleep-write limiter would let all five through after 1 s; ours spaces them 1 s apart.
        let manual = ManualClock(advancesOnSleep: false)
        let limiter = try RateLimiter(requestsPerMinute: 60, clock: manual.clock)
        let slots = try await withThrowingTaskGroup(of: Duration.self) { group in
            for _ in 0..<5 { group.addTask { try await limiter.throttle() } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(slots.sorted() == (0..<5).map { Duration.seconds($0) })
        #expect(manual.sleeps.sorted() == (1..<5).map { Duration.seconds($0) })
    }

    @Test func disabledLimiterNeverWaits() async throws {
        let manual = ManualClock()
        let limiter = try RateLimiter(requestsPerMinute: nil, clock: manual.clock)
        for _ in 0..<10 { try await limiter.throttle() }
        #expect(manual.sleeps.isEmpty)
        #expect(manual.now == .zero)
        #expect(limiter.interval == nil)
    }

    @Test(arguments: [0, -1, Double.nan, Double.infinity, -Double.infinity])
    func invalidRatesAreRejected(requestsPerMinute: Double) {
        #expect {
            _ = try RateLimiter(requestsPerMinute: requestsPerMinute, clock: ManualClock().clock)
        } throws: { error in
            guard case .invalidInput(_, let location) = error as? ModelError else { return false }
            return location == "requestsPerMinute"
        }
    }

    @Test func intervalIsSixtySecondsDividedByTheRate() throws {
        #expect(try RateLimiter(requestsPerMinute: 0.5).interval == .seconds(120))
        #expect(try RateLimiter(requestsPerMinute: 120).interval == .milliseconds(500))
    }

    @Test func callerArrivingAfterTheIntervalDoesNotWait() async throws {
        let manual = ManualClock()
        let limiter = try RateLimiter(requestsPerMinute: 60, clock: manual.clock)
        try await limiter.throttle()
        manual.advance(by: .seconds(5))
        let slot = try await limiter.throttle()
        #expect(slot == .seconds(5))
        #expect(manual.sleeps.isEmpty)
    }

    @Test func cancelledCallerThrowsWithoutConsumingASlot() async throws {
        let manual = ManualClock(advancesOnSleep: false)
        let limiter = try RateLimiter(requestsPerMinute: 60, clock: manual.clock)
        try await limiter.throttle()
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await limiter.throttle()
        }
        let result = await cancelled.result
        #expect(throws: ModelError.cancelled) { try result.get() }
        #expect(try await limiter.throttle() == .seconds(1))
    }

    @Test func callerCancelledWhileWaitingThrowsCancelled() async throws {
        let manual = ManualClock()
        let clock = SmolClock(
            now: { manual.now },
            sleep: { duration in
                withUnsafeCurrentTask { $0?.cancel() }
                try await manual.clock.sleep(duration)
            })
        let limiter = try RateLimiter(requestsPerMinute: 60, clock: clock)
        try await limiter.throttle()
        let waiting = Task { try await limiter.throttle() }
        let result = await waiting.result
        #expect(throws: ModelError.cancelled) { try result.get() }
        #expect(manual.sleeps == [.seconds(1)])
    }
}
