import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// Issue 16: model configurations round-trip like smolagents' `to_dict()` / `from_dict()`.
@Suite("Model configurations as smolagents dicts")
struct ModelDictTests {
    static let secret = "sk-do-not-print-4242"

    /// One configuration per type, with every setting its smolagents class takes by name.
    static func samples() -> [ModelConfiguration] {
        var list: [ModelConfiguration] = []
        func add(_ type: ModelType, _ edit: (inout ModelConfiguration) -> Void) {
            var c = ModelConfiguration(type: type, modelID: "model-\(type.className)", apiKey: Secret(secret),
                                       parameters: ["temperature": 0.25, "max_tokens": 64, "stop": ["END"]], environment: [:])
            edit(&c)
            list.append(c)
        }
        add(.openAIServer) {
            $0.apiBase = "http://127.0.0.1:9/v1"
            $0.customRoleConversions = [.toolCall: .assistant, .toolResponse: .user]
            $0.flattenMessagesAsText = true
            $0.requestsPerMinute = 30
            $0.clientKwargs = ["max_retries": 0]
        }
        add(.azureOpenAIServer) { $0.apiBase = "https://x.openai.azure.com"; $0.apiVersion = "2024-10-21" }
        add(.inferenceClient) { $0.provider = "together" }
        add(.liteLLM) { $0.apiBase = "http://127.0.0.1:9/v1"; $0.modelID = "openai/gpt-4o" }
        add(.liteLLMRouter) {
            $0.modelList = [["model_name": "g", "litellm_params": ["model": "openai/a", "api_key": .string(secret)]],
                            ["model_name": "g", "litellm_params": ["model": "openai/b", "api_key": "os.environ/B_KEY"]]]
            $0.clientKwargs = ["routing_strategy": "simple-shuffle"]
        }
        add(.amazonBedrockServer) { $0.region = "eu-west-1"; $0.apiBase = "http://127.0.0.1:9"; $0.clientKwargs = ["verify": false] }
        add(.vllm) { $0.apiBase = "http://127.0.0.1:8000/v1" }
        add(.transformers) { $0.customRoleConversions = [.system: .user] }
        add(.mlx) { $0.flattenMessagesAsText = false }
        return list
    }

    /// The settings a dict carries (all but the key, which is never exported).
    static func exported(_ c: ModelConfiguration) -> [String] {
        [c.type.className, c.modelID ?? "-", c.apiBase ?? "-", c.apiVersion ?? "-", c.provider ?? "-", c.region ?? "-",
         "\(c.flattenMessagesAsText as Any)", "\(c.requestsPerMinute as Any)",
         (c.customRoleConversions ?? [:]).map { "\($0.key.rawValue)>\($0.value.rawValue)" }.sorted().joined(separator: ","),
         JSONEmitter().string(from: .object(c.clientKwargs)),
         c.parameters.map { "\($0.key)=\($0.value)" }.joined(separator: ";")]
    }

    @Test("every type round-trips through toDict and init(type:dict:), and no key is ever exported")
    func roundTripsWithoutKeys() throws {
        for sample in Self.samples() {
            let dict = sample.toDict()
            let text = JSONEmitter().string(from: .object(dict))
            #expect(!text.contains(Self.secret), "\(sample.type.className) exported a key")
            #expect(dict["api_key"] == nil && dict["token"] == nil)
            let back = try ModelConfiguration(type: sample.type, dict: dict, environment: [:])
            #expect(Self.exported(back) == Self.exported(sample), "\(sample.type.className): \(text)")
            #expect(back.apiKey == nil)
            let saved = try ModelConfiguration(agentDict: sample.toAgentDict(), environment: [:])
            #expect(Self.exported(saved) == Self.exported(sample))
        }
    }

    @Test("a router's model_list keeps os.environ references and drops literal keys")
    func routerKeysDropped() throws {
        let router = try #require(Self.samples().first { $0.type == .liteLLMRouter })
        let list = try #require(router.toDict()["model_list"]?.arrayValue)
        #expect(list[0]["litellm_params"]?["api_key"] == nil)
        #expect(list[1]["litellm_params"]?["api_key"] == "os.environ/B_KEY")
    }

    @Test("a dict that carries api_key or token loads it, as cls(**data) would; aliases name their class")
    func keysLoad() throws {
        let c = try ModelConfiguration(type: .inferenceClient, dict: ["model_id": "m", "token": .string(Self.secret)], environment: [:])
        #expect(c.apiKey?.revealed == Self.secret)
        let alias = try ModelConfiguration(agentDict: ["class": "OpenAIModel", "data": ["model_id": "gpt-4o", "api_key": "k"]], environment: [:])
        #expect(alias.type == .openAIServer && alias.apiKey?.revealed == "k")
    }

    @Test("bad values are typed errors naming the key, never echoing the value")
    func badValues() {
        func problem(_ type: ModelType, _ dict: JSONObject) -> ModelError? {
            do { _ = try ModelConfiguration(type: type, dict: dict, environment: [:]); return nil } catch { return error }
        }
        func location(_ error: ModelError?) -> String? {
            if case .invalidInput(_, let location)? = error { return location }
            return nil
        }
        let key = problem(.openAIServer, ["api_key": 42])
        #expect(location(key) == "api_key" && key?.message.contains("42") == false)
        #expect(problem(.openAIServer, ["custom_role_conversions": ["tool-call": "robot"]])?.message.contains("robot") == true)
        #expect(location(problem(.openAIServer, ["requests_per_minute": -1])) == "requests_per_minute")
        #expect(location(problem(.openAIServer, ["flatten_messages_as_text": "yes"])) == "flatten_messages_as_text")
        #expect(throws: ModelError.self) { try ModelConfiguration(agentDict: ["class": "GPTModel", "data": [:]]) }
        #expect(throws: ModelError.self) { try ModelConfiguration(agentDict: ["data": [:]]) }
    }
}

/// Python smolagents as the oracle (scripts/oracles/smolagents_model_dict.py, the SDK virtualenv).
extension ModelDictTests {
    static func python(_ cases: [JSONValue]) async throws -> [JSONValue] {
        let cache = ProcessInfo.processInfo.environment["SMOL_CACHE"]
            ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/swift-smolagents"
        let python = cache + "/venv-sdk/bin/python"
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw ModelError.unsupported(message: "no oracle venv at \(python): run `bash scripts/oracles/setup.sh sdk`")
        }
        let process = Process(), input = Pipe(), output = Pipe(), errors = Pipe()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root.appendingPathComponent("scripts/oracles/smolagents_model_dict.py").path]
        // Dummy keys so the SDK clients can be created offline (nothing is sent).
        process.environment = ["OPENAI_API_KEY": "x", "AZURE_OPENAI_API_KEY": "x", "HF_TOKEN": "x", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
                               "AWS_SECRET_ACCESS_KEY": "x", "HOME": NSTemporaryDirectory()]
        (process.standardInput, process.standardOutput, process.standardError) = (input, output, errors)
        try process.run()
        input.fileHandleForWriting.write(Data(JSONEmitter().string(from: .array(cases)).utf8))
        try input.fileHandleForWriting.close()
        let data: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: output.fileHandleForReading.readDataToEndOfFile()) }
        }
        let problems: Data = await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: errors.fileHandleForReading.readDataToEndOfFile()) }
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { process.waitUntilExit(); continuation.resume() }
        }
        guard process.terminationStatus == 0 else {
            throw ModelError.unsupported(message: "smolagents oracle failed: " + String(decoding: problems, as: UTF8.self))
        }
        return try #require(try JSONValue(parsing: [UInt8](data)).arrayValue)
    }

    @Test("smolagents builds each class from this package's dict with the same settings, and its own to_dict loads back here")
    func pythonAgrees() async throws {
        // The classes the SDK virtualenv can build (LiteLLM's, vLLM's and the local ones need packages it has not).
        let types: Set<ModelType> = [.openAIServer, .azureOpenAIServer, .inferenceClient, .amazonBedrockServer]
        let samples = Self.samples().filter { types.contains($0.type) }
        let answers = try await Self.python(samples.map { .object($0.toAgentDict()) })
        for (sample, answer) in zip(samples, answers) {
            let name = sample.type.className
            #expect(answer["error"] == nil, "\(name): \(answer["error"] ?? .null)")
            #expect(answer["model_id"]?.stringValue == sample.modelID, "\(name)")
            let parameters = JSONObject(sample.parameters.compactMap { entry -> (String, JSONValue)? in
                if case .value(let value) = entry.value { return (entry.key, value) }
                return nil
            })
            #expect(answer["kwargs"]?.objectValue == parameters, "\(name)")
            if let conversions = sample.customRoleConversions {
                #expect(answer["custom_role_conversions"]?.objectValue?.count == conversions.count, "\(name)")
                for (from, to) in conversions { #expect(answer["custom_role_conversions"]?[from.rawValue]?.stringValue == to.rawValue) }
            }
            if let flatten = sample.flattenMessagesAsText { #expect(answer["flatten_messages_as_text"]?.boolValue == flatten) }
            switch sample.type {
            case .openAIServer: #expect(answer["endpoint"]?.stringValue == sample.apiBase! + "/")
            case .azureOpenAIServer: #expect(answer["endpoint"]?.stringValue == sample.apiBase! + "/openai/")
            case .inferenceClient: #expect(answer["provider"]?.stringValue == sample.provider)
            case .amazonBedrockServer:
                #expect(answer["region"]?.stringValue == sample.region)
                #expect(answer["endpoint"]?.stringValue == sample.apiBase)
            default: break
            }
            // smolagents' own to_dict (model_id and kwargs) loads here to the same model and parameters.
            let theirs = try ModelConfiguration(type: sample.type, dict: try #require(answer["to_dict"]?.objectValue), environment: [:])
            #expect(theirs.modelID == sample.modelID && theirs.parameters == sample.parameters, "\(name)")
        }
    }
}
