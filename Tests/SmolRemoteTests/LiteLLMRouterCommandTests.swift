import Foundation
import SmolCore
import Testing

@testable import SmolRemote

@Suite("smol generate --model-type LiteLLMRouterModel")
struct LiteLLMRouterCommandTests {
    static func write(_ text: String) throws -> String {
        let path = NSTemporaryDirectory() + "smol-router-\(UUID().uuidString).json"
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("a LiteLLM config's model_list and router_settings drive the router from the command line")
    func generateThroughRouter() async throws {
        let handlers: [TestHTTPServer.Handler] = [
            { _ in RouterFixtures.failure(500) }, { request in RouterFixtures.answer("Paris.", to: request) },
        ]
        try await withTestServers(handlers) { servers in
            let config = """
                {"model_list": [
                  {"model_name": "g", "litellm_params": {"model": "openai/m", "api_base": "\(servers[0].baseURL)/v1",
                   "api_key": "os.environ/ROUTER_KEY_A"}},
                  {"model_name": "g", "litellm_params": {"model": "hosted_vllm/m", "api_base": "\(servers[1].baseURL)/v1",
                   "api_key": "sk-cli-router-b-1234", "temperature": 0}}],
                 "router_settings": {"routing_strategy": "least-busy", "allowed_fails": 0}}
                """
            let path = try Self.write(config)
            defer { try? FileManager.default.removeItem(atPath: path) }
            for stream in [false, true] {
                let outcome = try await SmolCommand.run(
                    ["generate", "--model-type", "LiteLLMRouterModel", "--model-id", "g", "--model-list", path]
                        + (stream ? ["--stream"] : []) + ["What is the capital of France?"],
                    environment: ["ROUTER_KEY_A": "sk-cli-router-a-5678"])
                #expect(outcome.status == 0, "\(outcome.stderr)")
                #expect(outcome.stdout == "Paris.\n")
                #expect(!(outcome.stdout + outcome.stderr).contains("sk-cli-router"))
            }
            // Each run is a new process: the failing deployment is tried once per run, then cooled down.
            #expect(servers.map(\.requests.count) == [2, 2])
            #expect(servers[0].requests.first?.headers["authorization"] == "Bearer sk-cli-router-a-5678")
            #expect(servers[1].requests.first?.json?["temperature"] == 0)
        }
    }

    @Test("a missing, unreadable or malformed --model-list is reported, naming the file")
    func badModelList() async throws {
        let missing = try await SmolCommand.run(["generate", "--model-type", "LiteLLMRouterModel", "--model-id", "g", "hi"])
        #expect(missing.status == 2 && missing.stderr.contains("--model-list"), "\(missing.stderr)")
        let unreadable = try await SmolCommand.run(
            ["generate", "--model-type", "LiteLLMRouterModel", "--model-id", "g", "--model-list", "/nonexistent/list.json", "hi"])
        #expect(unreadable.status == 2 && unreadable.stderr.contains("/nonexistent/list.json"), "\(unreadable.stderr)")
        let path = try Self.write(#"[{"model_name": "g", "litellm_params": {"model": "openai/m", "rpm": "many"}}]"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let malformed = try await SmolCommand.run(
            ["generate", "--model-type", "LiteLLMRouterModel", "--model-id", "g", "--model-list", path, "hi"])
        #expect(malformed.status == 1)
        #expect(malformed.stderr.contains("model_list[0].litellm_params.rpm"), "\(malformed.stderr)")
    }
}
