import Foundation
import SmolCore
import Testing

@testable import SmolRemote

@Suite("Remote model configuration")
struct ModelConfigurationTests {
    @Test("OpenAIServerModel falls back to the SDK's environment variables, explicit arguments first")
    func openAIEnvironment() throws {
        let environment = ["OPENAI_API_KEY": "sk-env", "OPENAI_BASE_URL": "http://127.0.0.1:1/v1/"]
        let model = try OpenAIServerModel(modelID: "m", environment: environment)
        #expect(model.apiBase == "http://127.0.0.1:1/v1/")
        let explicit = try OpenAIServerModel(modelID: "m", apiBase: "http://x/v1", apiKey: "k", environment: environment)
        #expect(explicit.apiBase == "http://x/v1")
        #expect(throws: ModelError.self) { try OpenAIServerModel(modelID: "m", environment: [:]) }
    }

    @Test("InferenceClientModel's timeout bounds the whole request, a stream's first byte and its silences")
    func inferenceClientTimeoutCapsReadTimeout() throws {
        let model = try InferenceClientModel(modelID: "m", token: "hf_x", timeout: .seconds(5), environment: [:])
        #expect(model.client.http.configuration.totalTimeout == .seconds(5))
        #expect(model.client.http.configuration.readTimeout == .seconds(5))  // was the 600 s default
        let long = try InferenceClientModel(modelID: "m", token: "hf_x", timeout: .seconds(900),
                                            http: HTTPConfiguration(readTimeout: .seconds(30)), environment: [:])
        #expect(long.client.http.configuration.readTimeout == .seconds(30))
    }

    @Test("models never show their key in descriptions or dumps")
    func keysNeverPrint() throws {
        let model = try OpenAIServerModel(modelID: "m", apiKey: "sk-very-secret-000111", environment: [:])
        var dumped = ""
        dump(model, to: &dumped)
        #expect(!dumped.contains("sk-very-secret-000111"))
        #expect(!String(describing: model).contains("sk-very-secret-000111"))
        #expect(!String(reflecting: model).contains("sk-very-secret-000111"))
    }

    @Test("Azure builds the deployment URL with api-version, or the v1 URL, and needs a version otherwise")
    func azureURLs() throws {
        let deployment = try AzureOpenAIServerModel(modelID: "gpt 4o", azureEndpoint: "https://r.openai.azure.com/",
                                                    apiKey: "k", apiVersion: "2024-10-21", environment: [:])
        #expect(deployment.url == "https://r.openai.azure.com/openai/deployments/gpt%204o/chat/completions?api-version=2024-10-21")
        let v1 = try AzureOpenAIServerModel(modelID: "gpt-4o", azureEndpoint: "https://r.openai.azure.com/openai/v1",
                                            apiKey: "k", environment: [:])
        #expect(v1.url == "https://r.openai.azure.com/openai/v1/chat/completions")
        let fromEnvironment = try AzureOpenAIServerModel(
            modelID: "d", environment: ["AZURE_OPENAI_ENDPOINT": "https://e", "AZURE_OPENAI_API_KEY": "k",
                                        "OPENAI_API_VERSION": "2025-04-01-preview"])
        #expect(fromEnvironment.url == "https://e/openai/deployments/d/chat/completions?api-version=2025-04-01-preview")
        #expect(throws: ModelError.self) {
            try AzureOpenAIServerModel(modelID: "d", azureEndpoint: "https://e", apiKey: "k", environment: [:])
        }
        #expect(throws: ModelError.self) {
            try AzureOpenAIServerModel(modelID: "d", azureEndpoint: "https://e", apiVersion: "v1", environment: [:])
        }
    }

    @Test("InferenceClientModel rejects token and apiKey together with smolagents' message")
    func hfTokenAndAPIKey() {
        do {
            _ = try InferenceClientModel(token: "a", apiKey: "b", environment: [:])
            Issue.record("both must be rejected")
        } catch {
            #expect(error.message.hasPrefix("Received both `token` and `api_key` arguments."))
        }
    }

    @Test("the HF token comes from HF_TOKEN, then the legacy variable, then the CLI's token file")
    func hfTokenResolution() throws {
        #expect(InferenceClientModel.storedToken(["HF_TOKEN": "hf_a", "HUGGING_FACE_HUB_TOKEN": "hf_b"]) == "hf_a")
        #expect(InferenceClientModel.storedToken(["HUGGING_FACE_HUB_TOKEN": "hf_b"]) == "hf_b")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("hf-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try Data("  hf_from_file\n".utf8).write(to: home.appendingPathComponent("token"))
        #expect(InferenceClientModel.storedToken(["HF_HOME": home.path]) == "hf_from_file")
        #expect(InferenceClientModel.storedToken(["HF_HOME": home.path + "/missing"]) == nil)
        #expect(throws: ModelError.self) {
            try InferenceClientModel(environment: ["HF_HOME": home.path + "/missing", "HOME": home.path + "/none"])
        }
    }

    @Test("vLLM's extensions: a JSON schema becomes structured_outputs, template kwargs are passed")
    func vllmBody() {
        var body: JSONObject = [
            "messages": [], "response_format": ["type": "json_schema", "json_schema": ["name": "x", "schema": ["type": "object"]]],
        ]
        VLLMModel.adjust(&body, chatTemplateKwargs: ["enable_thinking": false])
        #expect(body["response_format"] == nil)
        #expect(body["structured_outputs"] == ["json": ["type": "object"]])
        #expect(body["chat_template_kwargs"] == ["enable_thinking": false])
        var plain: JSONObject = ["response_format": ["type": "json_object"]]
        VLLMModel.adjust(&plain, chatTemplateKwargs: [:])
        #expect(plain["response_format"] == ["type": "json_object"])
        #expect(plain["chat_template_kwargs"] == nil)
    }
}

@Suite("VLLMModel launching its own server", .serialized)
struct VLLMLaunchTests {
    @Test("launch starts the server command on a free port, serves requests, and shutdown stops it")
    func launchAndShutdown() async throws {
        let gguf = RealServers.cache + "/models/SmolLM2-135M-Instruct.Q4_1.gguf"
        // llama-cpp-python's server stands in for `vllm serve` (vLLM needs a GPU): a real child server.
        let command = ServerCommand(
            executable: RealServers.cache + "/venv-llama/bin/python",
            arguments: ["-m", "llama_cpp.server", "--model", gguf, "--host", "{host}", "--port", "{port}",
                        "--model_alias", "{model}", "--n_ctx", "512", "--n_threads", "1"],
            startupTimeout: .seconds(120))
        try #require(FileManager.default.isExecutableFile(atPath: command.executable),
                     "llama-cpp-python is not installed: run `bash scripts/test.sh` or `bash scripts/oracles/setup.sh llama`")
        let model = try await VLLMModel.launch(modelID: "smollm2", server: command)
        let answer = try await model.generate([ChatMessage(role: .user, text: "Hi")], parameters: ["max_tokens": 4, "temperature": 0])
        #expect(answer.tokenUsage?.outputTokens ?? 0 > 0)
        let base = model.apiBase
        await model.shutdown()
        let probe = HTTPEngine(configuration: HTTPConfiguration(connectTimeout: .seconds(1), retry: .none))
        await #expect(throws: ModelError.self) {
            _ = try await probe.send(HTTPEngine.Request(method: "GET", url: base + "/models"))
        }
    }

    @Test("a server command that exits early fails with its output, not a hang")
    func failingServer() async {
        let command = ServerCommand(executable: "/bin/sh", arguments: ["-c", "echo 'no GPU found' >&2; exit 3"],
                                    startupTimeout: .seconds(30))
        do {
            _ = try await VLLMModel.launch(modelID: "m", server: command)
            Issue.record("the launch must fail")
        } catch let error as ModelError {
            #expect("\(error)".contains("no GPU found"))
            #expect("\(error)".contains("status 3"))
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}
