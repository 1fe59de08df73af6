import Foundation
import SmolCore
import Synchronization
import Testing

@testable import SmolRemote

/// Retries, cooldowns and fallbacks against real loopback deployments that fail, stall or rate-limit.
@Suite("LiteLLMRouterModel retries, cooldowns and fallbacks")
struct LiteLLMRouterFailoverTests {
    static func options(_ change: (inout LiteLLMRouterOptions) -> Void) -> LiteLLMRouterOptions {
        var options = LiteLLMRouterOptions()
        change(&options)
        return options
    }

    @Test("a failing group is retried with back-off, then its fallback group answers")
    func fallbackTaken() async throws {
        let handlers: [TestHTTPServer.Handler] = [{ _ in RouterFixtures.failure(500) }, { _ in RouterFixtures.completion("backup") }]
        try await withTestServers(handlers) { servers in
            let clock = ManualClock()
            let router = try LiteLLMRouterModel(
                modelID: "primary",
                modelList: [RouterFixtures.deployment("primary", servers[0]), RouterFixtures.deployment("backup", servers[1])],
                options: Self.options { $0.fallbacks = ["primary": ["backup"]] }, clock: clock.clock, random: { 0 },
                environment: [:])
            #expect(try await router.generate(routerPrompt).text == "backup")
            // num_retries 2 → three attempts on the lone primary deployment, 0.5 s then 1 s apart (jitter 0).
            #expect(servers.map(\.requests.count) == [3, 1])
            #expect(clock.sleeps == [.milliseconds(500), .seconds(1)])
            // A lone deployment is not cooled down by 500s (LiteLLM's default policy).
            #expect(router.deploymentStatus()[0].cooldownRemaining == nil)
        }
    }

    @Test("allowed_fails: the deployment cools down after one failure too many, then comes back when cooldown_time has passed")
    func cooldownExpires() async throws {
        let handlers: [TestHTTPServer.Handler] = [{ _ in RouterFixtures.failure(503) }, { _ in RouterFixtures.completion("healthy") }]
        try await withTestServers(handlers) { servers in
            let clock = ManualClock(advancesOnSleep: false)
            let router = try LiteLLMRouterModel(
                modelID: "g", modelList: servers.map { RouterFixtures.deployment("g", $0) },
                options: Self.options { $0.routingStrategy = .leastBusy; $0.allowedFails = 1 }, clock: clock.clock,
                environment: [:])
            // Least-busy ties pick the failing deployment first: fail 1 (allowed), fail 2 (cooldown), then healthy.
            #expect(try await router.generate(routerPrompt).text == "healthy")
            #expect(servers.map(\.requests.count) == [2, 1])
            #expect(clock.sleeps.isEmpty, "another healthy deployment takes a retry at once")
            #expect(router.deploymentStatus()[0].cooldownRemaining == .seconds(5))
            #expect(try await router.generate(routerPrompt).text == "healthy")
            #expect(servers.map(\.requests.count) == [2, 2], "the cooling deployment gets nothing")
            clock.advance(by: .milliseconds(4_999))
            _ = try await router.generate(routerPrompt)
            #expect(servers.map(\.requests.count) == [2, 3])
            clock.advance(by: .milliseconds(1))
            #expect(router.deploymentStatus()[0].cooldownRemaining == nil)
            #expect(try await router.generate(routerPrompt).text == "healthy")
            #expect(servers.map(\.requests.count) == [4, 4], "back in rotation: two more failures, then cooldown again")
        }
    }

    @Test("a 429 cools the deployment down at once for its Retry-After; when all are cooling the error is typed")
    func rateLimitCooldown() async throws {
        let handlers: [TestHTTPServer.Handler] = [
            { _ in RouterFixtures.failure(429, headers: [("retry-after", "7")], message: "slow down") },
            { _ in RouterFixtures.failure(429, message: "slow down") },
            { _ in RouterFixtures.completion("other group") },
        ]
        try await withTestServers(handlers) { servers in
            let clock = ManualClock(advancesOnSleep: false)
            let list = [RouterFixtures.deployment("g", servers[0], key: "sk-router-secret-1111"),
                        RouterFixtures.deployment("g", servers[1], key: "sk-router-secret-2222"),
                        RouterFixtures.deployment("other", servers[2])]
            let router = try LiteLLMRouterModel(modelID: "g", modelList: list,
                                                options: Self.options { $0.routingStrategy = .leastBusy },
                                                clock: clock.clock, environment: [:])
            // Both deployments answer 429 once and cool down; the group has no healthy deployment left.
            let first = await modelError { _ = try await router.generate(routerPrompt) }
            #expect(first?.status == 429)
            #expect(servers.map(\.requests.count) == [1, 1, 0])
            #expect(router.deploymentStatus().map(\.cooldownRemaining) == [.seconds(7), .seconds(5), nil])
            let second = await modelError { _ = try await router.generate(routerPrompt) }
            #expect(second?.retryAfter == .seconds(5))
            guard case .unavailable(let unavailable)? = second else { Issue.record("expected .unavailable, got \(String(describing: second))"); return }
            #expect(unavailable.reason == .allDeploymentsInCooldown && unavailable.subject == "g")
            #expect(unavailable.message.contains("model group 'g'"))
            #expect(second?.isRetryable == true)
            #expect(servers.map(\.requests.count) == [1, 1, 0], "nothing is sent while every deployment cools down")
            for error in [first, second] {
                let text = "\(String(describing: error)) \(error?.message ?? "")"
                #expect(!text.contains("sk-router-secret"), "\(text)")
            }
            #expect(second.map { String(describing: $0) }?.contains("all_deployments_in_cooldown") == true)

            // With a fallback group, a group whose deployments all rate-limit hands the request over.
            let withFallback = try LiteLLMRouterModel(
                modelID: "g", modelList: list,
                options: Self.options { $0.routingStrategy = .leastBusy; $0.defaultFallbacks = ["other"] },
                clock: clock.clock, environment: [:])
            #expect(try await withFallback.generate(routerPrompt).text == "other group")
            clock.advance(by: .seconds(5))
            #expect(router.deploymentStatus().map(\.cooldownRemaining) == [.seconds(2), nil, nil])
        }
    }

    @Test("a stalled deployment times out, is cooled down, and the call fails over to a fast one")
    func timeoutFailover() async throws {
        let handlers: [TestHTTPServer.Handler] = [{ _ in .stall }, { _ in RouterFixtures.completion("fast") }]
        try await withTestServers(handlers) { servers in
            let router = try LiteLLMRouterModel(
                modelID: "g",
                // Only the stalled deployment's timeout is the subject: the fast one gets a generous one, or
                // CPU-bound suites running in parallel on 2 cores can make even its answer miss 300 ms.
                modelList: [RouterFixtures.deployment("g", servers[0], timeout: .milliseconds(300)),
                            RouterFixtures.deployment("g", servers[1], timeout: .seconds(30))],
                options: Self.options { $0.routingStrategy = .leastBusy; $0.allowedFails = 0 }, environment: [:])
            #expect(try await router.generate(routerPrompt).text == "fast")
            #expect(servers.map(\.requests.count) == [1, 1])
            let status = router.deploymentStatus()
            #expect(status[0].cooldownRemaining != nil)
            #expect(status[0].averageLatency == 1000, "LiteLLM books a timeout as a 1,000 s call")
        }
    }

    @Test("context-window errors take context_window_fallbacks; other 400s are not retried")
    func contextWindowFallback() async throws {
        let handlers: [TestHTTPServer.Handler] = [
            { _ in RouterFixtures.failure(400, message: "This model's maximum context length is 8192 tokens") },
            { _ in RouterFixtures.completion("long context") },
            { _ in RouterFixtures.completion("general") },
        ]
        try await withTestServers(handlers) { servers in
            let router = try LiteLLMRouterModel(
                modelID: "small",
                modelList: [RouterFixtures.deployment("small", servers[0]), RouterFixtures.deployment("large", servers[1]),
                            RouterFixtures.deployment("general", servers[2])],
                options: Self.options {
                    $0.contextWindowFallbacks = ["small": ["large"]]
                    $0.fallbacks = ["small": ["general"]]
                }, environment: [:])
            #expect(try await router.generate(routerPrompt).text == "long context")
            #expect(servers.map(\.requests.count) == [1, 1, 0], "a 400 is never retried on the same group")
        }
    }

    @Test("a lone deployment's retries wait for Retry-After, else back off from retry_after, capped at 8 s")
    func retryWaits() async throws {
        let calls = Mutex(0)
        let handlers: [TestHTTPServer.Handler] = [
            { _ in
                let call = calls.withLock { $0 += 1; return $0 }
                return call == 1 ? RouterFixtures.failure(429, headers: [("retry-after", "2")]) : RouterFixtures.completion("ok")
            },
            { _ in RouterFixtures.failure(503) },
        ]
        try await withTestServers(handlers) { servers in
            let clock = ManualClock()
            let limited = try LiteLLMRouterModel(modelID: "g", modelList: [RouterFixtures.deployment("g", servers[0])],
                                                 clock: clock.clock, random: { 0.5 }, environment: [:])
            #expect(try await limited.generate(routerPrompt).text == "ok")
            // A lone deployment is not cooled down by a 429; the retry waits Retry-After plus 0.75 × 0.5 s of jitter.
            #expect(clock.sleeps == [.milliseconds(2_375)])
            #expect(servers[0].requests.count == 2)

            let failing = try LiteLLMRouterModel(
                modelID: "g", modelList: [RouterFixtures.deployment("g", servers[1])],
                options: Self.options { $0.numRetries = 3; $0.retryAfter = .seconds(3) }, clock: clock.clock, random: { 0 },
                environment: [:])
            #expect(await modelError { _ = try await failing.generate(routerPrompt) }?.status == 503)
            #expect(servers[1].requests.count == 4)
            #expect(clock.sleeps.dropFirst() == [.seconds(3), .seconds(3), .seconds(3)])
            let capped = try LiteLLMRouterModel(
                modelID: "g", modelList: [RouterFixtures.deployment("g", servers[1])],
                options: Self.options { $0.numRetries = 5; $0.retryAfter = .seconds(12) }, clock: clock.clock, random: { 0 },
                environment: [:])
            _ = await modelError { _ = try await capped.generate(routerPrompt) }
            #expect(Array(clock.sleeps.suffix(5)) == Array(repeating: .seconds(8), count: 5), "LiteLLM caps even retry_after at 8 s")
        }
    }

    @Test("max_fallbacks bounds how many fallback groups one request tries")
    func maxFallbacks() async throws {
        let handlers: [TestHTTPServer.Handler] = (0..<4).map { _ in { _ in RouterFixtures.failure(400, message: "bad") } }
        try await withTestServers(handlers) { servers in
            let router = try LiteLLMRouterModel(
                modelID: "a", modelList: zip(["a", "b", "c", "d"], servers).map { RouterFixtures.deployment($0, $1) },
                options: Self.options { $0.fallbacks = ["a": ["b", "c"], "b": ["c", "d"]]; $0.maxFallbacks = 2 },
                environment: [:])
            let error = await modelError { _ = try await router.generate(routerPrompt) }
            #expect(error?.status == 400)
            // a fails → b (1) fails → b's fallback c (2) fails → budget spent: d and a's own c are not tried.
            #expect(servers.map(\.requests.count) == [1, 1, 1, 0])
        }
    }
}
