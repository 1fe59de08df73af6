import SmolCore
import Synchronization

@testable import SmolRemote

/// A seeded SplitMix64 source of numbers in `0..<1`, shareable across tasks.
final class SeededRandom: Sendable {
    private let state: Mutex<UInt64>

    init(seed: UInt64) { state = Mutex(seed) }

    func next() -> Double {
        let bits = state.withLock { state -> UInt64 in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        return Double(bits >> 11) / Double(1 << 53)
    }

    var source: @Sendable () -> Double { { [self] in next() } }
}

enum RouterFixtures {
    /// A chat completion whose text names the server that produced it.
    static func completion(_ text: String, outputTokens: Int = 20) -> TestResponse {
        .json([
            "id": "c1", "object": "chat.completion", "model": "m",
            "choices": [["index": 0, "message": ["role": "assistant", "content": .string(text)], "finish_reason": "stop"]],
            "usage": ["prompt_tokens": 10, "completion_tokens": .int(outputTokens), "total_tokens": .int(10 + outputTokens)],
        ])
    }

    /// An OpenAI-style error response.
    static func failure(_ status: Int, headers: [(String, String)] = [], message: String = "upstream failed") -> TestResponse {
        .json(["error": ["message": .string(message), "type": "server_error"]], status: status, headers: headers)
    }

    /// A streamed completion of `parts`, with usage at the end.
    static func stream(_ parts: [String]) -> TestResponse {
        .sse(parts.map { #"{"choices":[{"index":0,"delta":{"content":"\#($0)"}}]}"# }
             + [#"{"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"#, "[DONE]"])
    }

    /// A deployment of `group` served by `server`, with a distinct secret key.
    static func deployment(
        _ group: String, _ server: TestHTTPServer, key: String = "sk-router-secret-0001", weight: Double? = nil,
        rpm: Double? = nil, tpm: Double? = nil, timeout: Duration? = nil, id: String? = nil
    ) -> LiteLLMDeployment {
        LiteLLMDeployment(
            modelName: group,
            litellmParams: LiteLLMParams(model: "openai/m", apiKey: Secret(key), apiBase: server.baseURL + "/v1", rpm: rpm,
                                         tpm: tpm, weight: weight, timeout: timeout),
            modelInfo: id.map { ["id": .string($0)] as JSONObject } ?? [:])
    }
}

/// Starts one test server per handler, runs `body`, and shuts them all down.
func withTestServers<T>(
    _ handlers: [TestHTTPServer.Handler], _ body: ([TestHTTPServer]) async throws -> T
) async throws -> T {
    var servers: [TestHTTPServer] = []
    do {
        for handler in handlers { servers.append(try await TestHTTPServer.start(handler: handler)) }
        let result = try await body(servers)
        for server in servers { try await server.shutdown() }
        return result
    } catch {
        for server in servers { try? await server.shutdown() }
        throw error
    }
}

/// The error `body` throws, as a ``ModelError`` (nil when it succeeds or throws something else).
func modelError(_ body: () async throws -> Void) async -> ModelError? {
    do {
        try await body()
        return nil
    } catch {
        return error as? ModelError
    }
}

let routerPrompt = [ChatMessage(role: .user, content: "Hello")]
