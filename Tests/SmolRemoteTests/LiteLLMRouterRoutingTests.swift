import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// Routing strategies against real loopback deployments that count what they receive.
@Suite("LiteLLMRouterModel routing strategies")
struct LiteLLMRouterRoutingTests {
    @Test("simple-shuffle spreads calls by weight (then by rpm) with a seeded random source; nothing lost or repeated")
    func weightedShuffle() async throws {
        let handlers: [TestHTTPServer.Handler] = (0..<3).map { n in { _ in RouterFixtures.completion("server \(n)") } }
        try await withTestServers(handlers) { servers in
            let random = SeededRandom(seed: 42)
            let weighted = try LiteLLMRouterModel(
                modelID: "g", modelList: zip(servers, [1.0, 2, 7]).map { RouterFixtures.deployment("g", $0, weight: $1) },
                random: random.source, environment: [:])
            var answers: [String: Int] = [:]
            for _ in 0..<300 { answers[try await weighted.generate(routerPrompt).text ?? "", default: 0] += 1 }
            let counts = servers.map(\.requests.count)
            #expect(counts.reduce(0, +) == 300)
            #expect(counts == (0..<3).map { answers["server \($0)"] ?? 0 })
            for (count, expected) in zip(counts, [30.0, 60, 210]) {
                #expect(abs(Double(count) - expected) < expected * 0.35, "counts \(counts)")
            }

            // No weight anywhere: rpm weighs (LiteLLM looks at the first deployment's keys).
            let byRPM = try LiteLLMRouterModel(
                modelID: "g", modelList: zip(servers, [100.0, 0, 300]).map { RouterFixtures.deployment("g", $0, rpm: $1) },
                random: random.source, environment: [:])
            for _ in 0..<200 { _ = try await byRPM.generate(routerPrompt) }
            let delta = zip(servers.map(\.requests.count), counts).map { $0 - $1 }
            #expect(delta.reduce(0, +) == 200)
            #expect(delta[1] == 0, "an rpm of 0 weighs nothing: \(delta)")
            #expect(abs(Double(delta[0]) - 50) < 20 && abs(Double(delta[2]) - 150) < 20, "\(delta)")
        }
    }

    @Test("least-busy sends a call to the deployment with the fewest requests in flight")
    func leastBusy() async throws {
        let gate = Gate()
        let handlers: [TestHTTPServer.Handler] = [
            { _ in await gate.wait(); return RouterFixtures.completion("slow") },
            { _ in RouterFixtures.completion("free") },
        ]
        try await withTestServers(handlers) { servers in
            let router = try LiteLLMRouterModel(
                modelID: "g", modelList: servers.map { RouterFixtures.deployment("g", $0) },
                options: { var o = LiteLLMRouterOptions(); o.routingStrategy = .leastBusy; return o }(), environment: [:])
            // Ties go to the first deployment: this call parks there.
            let parked = Task { try await router.generate(routerPrompt) }
            while router.deploymentStatus()[0].inFlight == 0 || servers[0].requests.isEmpty {
                try await Task.sleep(for: .milliseconds(5))
            }
            for _ in 0..<5 { #expect(try await router.generate(routerPrompt).text == "free") }
            #expect(router.deploymentStatus().map(\.inFlight) == [1, 0])
            await gate.open()
            #expect(try await parked.value.text == "slow")
            #expect(router.deploymentStatus().map(\.inFlight) == [0, 0])
            #expect(servers.map(\.requests.count) == [1, 5])
        }
    }

    @Test("latency-based routing tries each deployment once, then keeps to the fastest")
    func latencyBased() async throws {
        let handlers: [TestHTTPServer.Handler] = [
            { _ in try? await Task.sleep(for: .milliseconds(150)); return RouterFixtures.completion("slow") },
            { _ in RouterFixtures.completion("fast") },
        ]
        try await withTestServers(handlers) { servers in
            var options = LiteLLMRouterOptions()
            options.routingStrategy = .latencyBased
            let router = try LiteLLMRouterModel(modelID: "g", modelList: servers.map { RouterFixtures.deployment("g", $0) },
                                                options: options, random: SeededRandom(seed: 7).source, environment: [:])
            for _ in 0..<10 { _ = try await router.generate(routerPrompt) }
            #expect(servers.map(\.requests.count) == [1, 9])
            let status = router.deploymentStatus()
            #expect((status[0].averageLatency ?? 0) > (status[1].averageLatency ?? 1))
        }
    }

    @Test("usage-based routing balances tokens, honours rpm limits, and says when every deployment is at its limit")
    func usageBased() async throws {
        let handlers: [TestHTTPServer.Handler] = (0..<2).map { n in { _ in RouterFixtures.completion("s\(n)") } }
        try await withTestServers(handlers) { servers in
            let clock = ManualClock(now: .seconds(600), advancesOnSleep: false)
            var options = LiteLLMRouterOptions()
            options.routingStrategy = .usageBased
            let router = try LiteLLMRouterModel(
                modelID: "g", modelList: servers.map { RouterFixtures.deployment("g", $0, rpm: 2) }, options: options,
                clock: clock.clock, random: SeededRandom(seed: 3).source, environment: [:])
            var order: [String] = []
            for _ in 0..<4 { order.append(try await router.generate(routerPrompt).text ?? "") }
            #expect(Set(order[0..<2]) == ["s0", "s1"] && Set(order[2..<4]) == ["s0", "s1"], "\(order)")
            #expect(router.deploymentStatus().map(\.tokensThisMinute) == [60, 60])
            clock.advance(by: .seconds(20))
            let error = await modelError { _ = try await router.generate(routerPrompt) }
            #expect(error?.retryAfter == .seconds(40) && error?.isRetryable == true)
            guard case .unavailable(let unavailable)? = error else { Issue.record("expected .unavailable, got \(String(describing: error))"); return }
            #expect(unavailable.reason == .rateLimitsReached && unavailable.subject == "g")
            #expect(unavailable.message.contains("model group 'g'"))
            #expect(servers.map(\.requests.count) == [2, 2])
            clock.advance(by: .seconds(40))  // a new minute
            _ = try await router.generate(routerPrompt)
            #expect(servers.map(\.requests.count).reduce(0, +) == 5)
        }
    }
}

/// A one-shot barrier: `wait()` suspends until `open()`.
actor Gate {
    private var isOpen = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    func wait() async {
        if isOpen { return }
        await withCheckedContinuation { waiters.append($0) }
    }

    func open() {
        isOpen = true
        for waiter in waiters { waiter.resume() }
        waiters.removeAll()
    }
}
