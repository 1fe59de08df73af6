import Foundation
import SmolCore
import Testing

@testable import SmolRemote

@Suite("Model factory")
struct ModelFactoryTests {
    @Test("every smolagents class name and alias names one model type; anything else names none")
    func classNames() {
        for type in ModelType.allCases { #expect(ModelType(className: type.className) == type) }
        #expect(ModelType(className: "OpenAIModel") == .openAIServer)
        #expect(ModelType(className: "AzureOpenAIModel") == .azureOpenAIServer)
        #expect(ModelType(className: "AmazonBedrockModel") == .amazonBedrockServer)
        #expect(ModelType(className: "openaiservermodel") == nil && ModelType(className: "") == nil)
        #expect(ModelType.allClassNames.count == ModelType.allCases.count + 3)
        #expect(ModelType.allCases.filter(\.isLocal) == [.transformers, .mlx])
    }

    @Test("each remote type builds its own backend, never another one")
    func remoteTypesBuildTheirBackend() async throws {
        let environment = ["AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret"]
        func make(_ type: ModelType, _ modelID: String, apiBase: String? = "http://127.0.0.1:9/v1") async throws -> any Model {
            try await ModelFactory.remote.makeModel(ModelConfiguration(
                type: type, modelID: modelID, apiBase: apiBase, apiKey: "sk-factory-1234", apiVersion: "2024-10-21",
                modelList: [["model_name": "g", "litellm_params": ["model": "openai/m", "api_base": "http://127.0.0.1:9/v1"]]],
                environment: environment))
        }
        #expect(try await make(.openAIServer, "gpt-4o-mini") is OpenAIServerModel)
        #expect(try await make(.azureOpenAIServer, "deployment", apiBase: "https://example.openai.azure.com") is AzureOpenAIServerModel)
        #expect(try await make(.inferenceClient, "org/model", apiBase: nil) is InferenceClientModel)
        #expect(try await make(.liteLLM, "groq/llama") is LiteLLMModel)
        #expect(try await make(.liteLLMRouter, "g") is LiteLLMRouterModel)
        #expect(try await make(.amazonBedrockServer, "anthropic.claude", apiBase: nil) is AmazonBedrockServerModel)
        #expect(try await make(.vllm, "m") is VLLMModel)
    }

    @Test("missing settings and local types without a local builder are typed errors naming what is missing")
    func configurationErrors() async throws {
        await #expect(throws: ModelError.invalidInput(message: "VLLMModel needs apiBase (the vLLM server's …/v1 URL)",
                                                      location: "apiBase")) {
            _ = try await ModelFactory.remote.makeModel(ModelConfiguration(type: .vllm, modelID: "m", environment: [:]))
        }
        await #expect(throws: ModelError.invalidInput(message: "OpenAIServerModel needs modelID", location: "modelID")) {
            _ = try await ModelFactory.remote.makeModel(ModelConfiguration(type: .openAIServer, apiKey: "k", environment: [:]))
        }
        for type in [ModelType.transformers, .mlx] {
            do {
                _ = try await ModelFactory.remote.makeModel(ModelConfiguration(type: type, modelID: "x.gguf", environment: [:]))
                Issue.record("\(type) was built without a local builder")
            } catch let error as ModelError {
                guard case .unsupported(let message) = error else { Issue.record("unexpected \(error)"); continue }
                #expect(message.contains(type.className))
            }
        }
    }

    @Test("a local builder receives local types, and only those")
    func localBuilderReceivesLocalTypes() async throws {
        let factory = ModelFactory { configuration in
            CustomModel(modelID: "\(configuration.type.className):\(configuration.modelID ?? "")") { _, _ in
                ChatMessage(role: .assistant, text: "local")
            }
        }
        let local = try await factory.makeModel(ModelConfiguration(type: .transformers, modelID: "a.gguf", environment: [:]))
        #expect(local.modelID == "TransformersModel:a.gguf")
        let remote = try await factory.makeModel(ModelConfiguration(type: .openAIServer, modelID: "m", apiKey: "k", environment: [:]))
        #expect(remote is OpenAIServerModel)
    }

    @Test("a configuration prints neither its key nor the environment")
    func configurationHidesSecrets() {
        let configuration = ModelConfiguration(type: .openAIServer, modelID: "m", apiKey: "sk-config-secret-42",
                                               environment: ["OPENAI_API_KEY": "sk-env-secret-43"])
        var dumped = ""
        dump(configuration, to: &dumped)
        for text in [configuration.description, String(describing: configuration), String(reflecting: configuration), dumped] {
            #expect(!text.contains("sk-config-secret-42") && !text.contains("sk-env-secret-43"), "\(text)")
        }
        #expect(configuration.description.contains("OpenAIServerModel"))
    }
}

@Suite("smolagents aliases")
struct SmolagentsAliasTests {
    @Test("OpenAIModel, AzureOpenAIModel and AmazonBedrockModel are the server models, as in smolagents")
    func aliasesAreTheSameTypes() throws {
        let model: OpenAIModel = try OpenAIModel(modelID: "m", apiBase: "http://127.0.0.1:9/v1", apiKey: "k", environment: [:])
        #expect(type(of: model) == OpenAIServerModel.self)
        #expect(AzureOpenAIModel.self == AzureOpenAIServerModel.self)
        #expect(AmazonBedrockModel.self == AmazonBedrockServerModel.self)
        #expect(ModelType(className: "OpenAIModel")?.className == "OpenAIServerModel")
    }
}
