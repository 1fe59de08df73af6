import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// Issue 16: `LiteLLMModel("gpt-4o")`, as LiteLLM's own docs write it: bare names resolved from LiteLLM's model table.
@Suite("LiteLLMModel bare model names")
struct LiteLLMBareNameTests {
    @Test("bare names get the provider LiteLLM's table gives them; the model id stays as given",
          arguments: [("gpt-4o", "openai"), ("claude-haiku-4-5", "anthropic"),
                      ("anthropic.claude-3-5-haiku-20241022-v1:0", "bedrock")])
    func bareNamesResolve(_ name: String, _ provider: String) throws {
        let model = try LiteLLMModel(modelID: name, apiKey: "k", environment: ["AWS_REGION_NAME": "us-east-1"])
        #expect(model.provider.prefix == provider)
        #expect(model.modelID == name)
        #expect(try LiteLLMModel.routedID(name) == provider + "/" + name)
    }

    @Test("an unknown bare name names the table's version and the known prefixes; other providers say why")
    func unknownBareNames() throws {
        let unknown = try #require(throws: ModelError.self) { try LiteLLMModel(modelID: "my-own-model", apiKey: "k", environment: [:]) }
        #expect(unknown.message.contains("litellm \(LiteLLMModelTable.sourceVersion)") && unknown.message.contains("groq"))
        let completion = try #require(LiteLLMModelTable.providers.first { $0.value == "text-completion-openai" }?.key)
        #expect(throws: ModelError.self) { try LiteLLMModel(modelID: completion, apiKey: "k", environment: [:]) }
        // LiteLLM sends bare Gemini names to Vertex AI, which needs Google credentials: the error says where to put them.
        let vertex = try #require(LiteLLMModelTable.providers.first { $0.value == "vertex_ai" }?.key)
        let error = try #require(throws: ModelError.self) { try LiteLLMModel(modelID: vertex, apiKey: "k", environment: [:]) }
        #expect(error.message.contains("Vertex AI") && error.message.contains("GOOGLE_APPLICATION_CREDENTIALS"))
    }

    @Test("the generated table is what the installed litellm answers for every name (litellm.get_llm_provider)")
    func tableMatchesLiteLLM() async throws {
        let cache = ProcessInfo.processInfo.environment["SMOL_CACHE"]
            ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/swift-smolagents"
        let python = cache + "/venv-litellm/bin/python"
        try #require(FileManager.default.isExecutableFile(atPath: python), "run `bash scripts/oracles/setup.sh litellm`")
        let script = """
            import json, os, sys
            os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
            import litellm
            from importlib.metadata import version
            litellm.suppress_debug_info = True
            from litellm.litellm_core_utils.get_llm_provider_logic import get_llm_provider
            names = json.load(sys.stdin)
            out = {}
            for n in names:
                try: out[n] = get_llm_provider(n)[1]
                except Exception as e: out[n] = "error: " + type(e).__name__
            json.dump({"version": version("litellm"), "providers": out}, sys.stdout)
            """
        let process = Process(), input = Pipe(), output = Pipe()
        (process.executableURL, process.arguments) = (URL(fileURLWithPath: python), ["-c", script])
        process.environment = ["HOME": NSTemporaryDirectory(), "LITELLM_LOCAL_MODEL_COST_MAP": "True"]
        (process.standardInput, process.standardOutput, process.standardError) = (input, output, FileHandle.nullDevice)
        try process.run()
        input.fileHandleForWriting.write(Data(JSONEmitter().string(from: .array(LiteLLMModelTable.providers.keys.map(JSONValue.string))).utf8))
        try input.fileHandleForWriting.close()
        let data: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: output.fileHandleForReading.readDataToEndOfFile()) }
        }
        let answer = try JSONValue(parsing: [UInt8](data))
        #expect(answer["version"]?.stringValue == LiteLLMModelTable.sourceVersion,
                "regenerate with scripts/oracles/make_litellm_model_table.py")
        let theirs = try #require(answer["providers"]?.objectValue)
        #expect(theirs.count == LiteLLMModelTable.providers.count)
        for (name, provider) in LiteLLMModelTable.providers { #expect(theirs[name]?.stringValue == provider, "\(name)") }
    }
}

/// Issue 16: custom role conversions and flattening reach the native codecs too.
@Suite("LiteLLMModel message preparation on native backends")
struct LiteLLMNativePreparationTests {
    static let anthropicReply: JSONValue = [
        "id": "m", "type": "message", "role": "assistant", "model": "m", "content": [["type": "text", "text": "ok"]],
        "stop_reason": "end_turn", "usage": ["input_tokens": 1, "output_tokens": 1],
    ]

    @Test("anthropic/ with custom role conversions sends the converted roles (a system prompt turned user)")
    func anthropicRoleConversions() async throws {
        try await withTestServer({ _ in .json(Self.anthropicReply) }) { server in
            let model = try LiteLLMModel(modelID: "anthropic/claude-haiku-4-5", apiBase: server.baseURL, apiKey: "k",
                                         customRoleConversions: [.system: .user], environment: [:])
            _ = try await model.generate([ChatMessage(role: .system, text: "Be terse."), ChatMessage(role: .user, text: "Hi")],
                                         options: GenerateOptions())
            let body = try #require(server.requests.first?.json)
            #expect(body["system"] == nil)
            let text = "\(body["messages"] ?? .null)"
            #expect(text.contains("Be terse.") && text.contains("Hi"))
        }
    }

    @Test("flattenMessagesAsText keeps each message's first text block, and refuses an image rather than drop it")
    func flattening() async throws {
        try await withTestServer({ _ in .json(Self.anthropicReply) }) { server in
            let model = try LiteLLMModel(modelID: "anthropic/claude-haiku-4-5", apiBase: server.baseURL, apiKey: "k",
                                         flattenMessagesAsText: true, environment: [:])
            let parts = ChatMessage(role: .user, content: .parts([.text("first"), .text("second")]))
            _ = try await model.generate([parts], options: GenerateOptions())
            let text = "\(server.requests.first?.json?["messages"] ?? .null)"
            #expect(text.contains("first") && !text.contains("second"))
            let image = ChatMessage(role: .user, content: .parts([.text("look"), .image(.url("https://example.com/a.png"))]))
            await #expect(throws: ModelError.self) { _ = try await model.generate([image], options: GenerateOptions()) }
        }
    }
}
