import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// Streams, concurrency and secrets through the router, against real loopback deployments.
@Suite("LiteLLMRouterModel streams and concurrency")
struct LiteLLMRouterStreamTests {
    static func collect(_ stream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>) async -> ([String], (any Error)?) {
        var parts: [String] = []
        do {
            for try await delta in stream { if let text = delta.content, !text.isEmpty { parts.append(text) } }
            return (parts, nil)
        } catch {
            return (parts, error)
        }
    }

    @Test("a stream that fails before its first delta fails over to another deployment")
    func streamFailsOverBeforeFirstDelta() async throws {
        let handlers: [TestHTTPServer.Handler] = [
            { _ in RouterFixtures.failure(429) }, { _ in RouterFixtures.stream(["Hel", "lo", "!"]) },
        ]
        try await withTestServers(handlers) { servers in
            var options = LiteLLMRouterOptions()
            options.routingStrategy = .leastBusy
            let router = try LiteLLMRouterModel(modelID: "g", modelList: servers.map { RouterFixtures.deployment("g", $0) },
                                                options: options, environment: [:])
            let (parts, error) = await Self.collect(router.generateStream(routerPrompt))
            #expect(error == nil)
            #expect(parts.joined() == "Hello!")
            #expect(servers.map(\.requests.count) == [1, 1])
            #expect(servers[1].requests.first?.json?["stream"] == true)
            let status = router.deploymentStatus()
            #expect(status.map(\.inFlight) == [0, 0])
            #expect(status[0].cooldownRemaining != nil, "a 429 cools a deployment of a group of several down at once")
            #expect(status[1].tokensThisMinute == 8, "usage from the stream's last chunk is counted")
        }
    }

    @Test("a stream that breaks after its first delta is never replayed elsewhere: no duplicated output")
    func noFailoverAfterFirstDelta() async throws {
        let first = Array(#"data: {"choices":[{"index":0,"delta":{"content":"Par"}}]}"#.utf8) + Array("\n\n".utf8)
        let handlers: [TestHTTPServer.Handler] = [
            { _ in .resetAfter(bytes: first) }, { _ in RouterFixtures.stream(["Paris."]) },
        ]
        try await withTestServers(handlers) { servers in
            let router = try LiteLLMRouterModel(
                modelID: "g", modelList: [RouterFixtures.deployment("g", servers[0]), RouterFixtures.deployment("backup", servers[1])],
                options: { var o = LiteLLMRouterOptions(); o.fallbacks = ["g": ["backup"]]; return o }(), environment: [:])
            let (parts, error) = await Self.collect(router.generateStream(routerPrompt))
            #expect(parts == ["Par"])
            #expect(error != nil)
            #expect(servers.map(\.requests.count) == [1, 0])
            #expect(router.deploymentStatus()[0].failuresThisMinute == 1)
            #expect(router.deploymentStatus()[0].inFlight == 0)
        }
    }

    @Test("cancelling a stream's consumer releases the deployment without charging it a failure")
    func cancelledStream() async throws {
        let handlers: [TestHTTPServer.Handler] = [{ _ in .stallAfter(bytes: Array(#"data: {"choices":[{"index":0,"delta":{"content":"a"}}]}"#.utf8) + [10, 10]) }]
        try await withTestServers(handlers) { servers in
            let router = try LiteLLMRouterModel(modelID: "g", modelList: [RouterFixtures.deployment("g", servers[0])],
                                                environment: [:])
            let consumer = Task {
                for try await _ in router.generateStream(routerPrompt) {}
            }
            while router.deploymentStatus()[0].inFlight == 0 { try await Task.sleep(for: .milliseconds(5)) }
            try await Task.sleep(for: .milliseconds(50))
            consumer.cancel()
            _ = await consumer.result
            for _ in 0..<200 where router.deploymentStatus()[0].inFlight != 0 { try await Task.sleep(for: .milliseconds(5)) }
            let status = router.deploymentStatus()[0]
            #expect(status.inFlight == 0 && status.failuresThisMinute == 0 && status.cooldownRemaining == nil)
        }
    }

    @Test("50 concurrent calls all complete, each answered exactly once, while one deployment fails")
    func concurrentCalls() async throws {
        let handlers: [TestHTTPServer.Handler] = [
            { _ in RouterFixtures.failure(500) },
            { request in try? await Task.sleep(for: .milliseconds(10)); return RouterFixtures.answer("b", to: request) },
            { request in try? await Task.sleep(for: .milliseconds(10)); return RouterFixtures.answer("c", to: request) },
        ]
        try await withTestServers(handlers) { servers in
            var options = LiteLLMRouterOptions()
            options.routingStrategy = .leastBusy
            options.allowedFails = 0
            let router = try LiteLLMRouterModel(
                modelID: "g", modelList: servers.map { RouterFixtures.deployment("g", $0) }, options: options,
                clock: ManualClock(advancesOnSleep: false).clock, environment: [:])
            let answers = try await withWatchdog(.seconds(60)) {
                try await withThrowingTaskGroup(of: String.self) { group in
                    for n in 0..<50 {
                        group.addTask {
                            n.isMultiple(of: 2) ? try await router.generate(routerPrompt).text ?? ""
                                : (try await RouterFixtures.text(router.generateStream(routerPrompt)))
                        }
                    }
                    return try await group.reduce(into: [String]()) { $0.append($1) }
                }
            }
            #expect(answers.count == 50)
            #expect(Set(answers).isSubset(of: ["b", "c"]))
            #expect(servers[1].requests.count + servers[2].requests.count == 50, "one request per answer")
            #expect(servers[0].requests.count >= 1 && servers[0].requests.count <= 50)
            #expect(router.deploymentStatus().map(\.inFlight) == [0, 0, 0])
            #expect(router.deploymentStatus()[0].cooldownRemaining == .seconds(5))
        }
    }

    @Test("a provider error echoing the key reaches the caller redacted")
    func secretsRedacted() async throws {
        let key = "sk-router-echo-99887766"
        let handlers: [TestHTTPServer.Handler] = [{ request in
            RouterFixtures.failure(401, message: "Incorrect API key provided: \(request.headers["authorization"] ?? "")")
        }]
        try await withTestServers(handlers) { servers in
            let router = try LiteLLMRouterModel(modelID: "g", modelList: [RouterFixtures.deployment("g", servers[0], key: key)],
                                                environment: [:])
            let error = await modelError { _ = try await router.generate(routerPrompt) }
            #expect(error?.status == 401)
            #expect(servers[0].requests.count == 1, "a 401 on a lone deployment is not retried")
            let text = "\(String(describing: error)) \(String(reflecting: error)) \(router)"
            #expect(!text.contains(key), "\(text)")
        }
    }
}

extension RouterFixtures {
    /// `text` as a stream when the request asked for one, else as a completion.
    static func answer(_ text: String, to request: RecordedRequest) -> TestResponse {
        request.json?["stream"] == true ? stream([text]) : completion(text)
    }

    /// The text of a stream, all deltas joined.
    static func text(_ stream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>) async throws -> String {
        var text = ""
        for try await delta in stream { text += delta.content ?? "" }
        return text
    }
}
