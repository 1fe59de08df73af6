import SmolCore

/// Builds any smolagents model from a ``ModelConfiguration``: the one place where a ``/SmolCore/ModelType`` becomes a
/// backend, used by the `smol` command and by ``LiteLLMModel`` for the providers it delegates to.
///
/// The remote types are built here. The local ones (`TransformersModel`, `MLXModel`) live in `SmolLocal`, which
/// this layer does not depend on, so a factory builds them only when it was given a ``localBuilder``: the
/// umbrella `SmolModels` provides `ModelFactory.standard` with one. Without it a local type is a typed
/// ``/SmolCore/ModelError/unsupported(message:)``, never a silently different backend.
public struct ModelFactory: Sendable {
    /// Builds a local model (``/SmolCore/ModelType/isLocal``) from a configuration.
    public typealias LocalBuilder = @Sendable (ModelConfiguration) async throws -> any Model

    /// The builder for local types, if any.
    public let localBuilder: LocalBuilder?

    /// A factory for the remote types, plus the local ones when `localBuilder` is given.
    public init(localBuilder: LocalBuilder? = nil) {
        self.localBuilder = localBuilder
    }

    /// A factory for the remote types only.
    public static let remote = ModelFactory()

    /// Builds the model `configuration` describes; configuration problems are ``/SmolCore/ModelError``s.
    public func makeModel(_ configuration: ModelConfiguration) async throws -> any Model {
        if configuration.type.isLocal {
            guard let localBuilder else {
                throw ModelError.unsupported(
                    message: "\(configuration.type.className) runs on the local engine: use SmolModels' ModelFactory.standard (the LocalEngine trait) or SmolLocal directly")
            }
            return try await localBuilder(configuration)
        }
        return try makeRemoteModel(configuration)
    }

    /// Builds a remote model synchronously; a local type is ``/SmolCore/ModelError/unsupported(message:)``.
    public func makeRemoteModel(_ c: ModelConfiguration) throws(ModelError) -> any Model {
        let key = c.apiKey?.revealed
        switch c.type {
        case .openAIServer:
            return try OpenAIServerModel(
                modelID: try c.requiredModelID(), apiBase: c.apiBase, apiKey: key,
                flattenMessagesAsText: c.flattenMessagesAsText ?? false, customRoleConversions: c.customRoleConversions,
                requestsPerMinute: c.requestsPerMinute, retry: c.http.retry, parameters: c.parameters, http: c.http,
                environment: c.environment)
        case .azureOpenAIServer:
            return try AzureOpenAIServerModel(
                modelID: try c.requiredModelID(), azureEndpoint: c.apiBase, apiKey: key, apiVersion: c.apiVersion,
                flattenMessagesAsText: c.flattenMessagesAsText ?? false, customRoleConversions: c.customRoleConversions,
                requestsPerMinute: c.requestsPerMinute, retry: c.http.retry, parameters: c.parameters, http: c.http,
                environment: c.environment)
        case .inferenceClient:
            // huggingface_hub's client timeout is the whole request's: the configuration's total timeout.
            return try InferenceClientModel(
                modelID: c.modelID ?? "Qwen/Qwen3-Next-80B-A3B-Thinking", provider: c.provider, token: key,
                timeout: c.http.totalTimeout ?? .seconds(120), baseURL: c.apiBase,
                customRoleConversions: c.customRoleConversions, requestsPerMinute: c.requestsPerMinute,
                retry: c.http.retry, parameters: c.parameters, http: c.http, environment: c.environment)
        case .liteLLM:
            return try LiteLLMModel(
                modelID: try c.requiredModelID("modelID (provider/model)"), apiBase: c.apiBase, apiKey: key,
                customRoleConversions: c.customRoleConversions, flattenMessagesAsText: c.flattenMessagesAsText,
                requestsPerMinute: c.requestsPerMinute, retry: c.http.retry, parameters: c.parameters, http: c.http,
                environment: c.environment)
        case .liteLLMRouter:
            guard let modelList = c.modelList else {
                throw .invalidInput(message: "LiteLLMRouterModel needs a model_list", location: "modelList")
            }
            return try LiteLLMRouterModel(
                modelID: try c.requiredModelID("modelID (the model group)"), modelList: modelList,
                clientKwargs: c.clientKwargs, customRoleConversions: c.customRoleConversions,
                flattenMessagesAsText: c.flattenMessagesAsText, http: c.http, environment: c.environment)
        case .amazonBedrockServer:
            return try AmazonBedrockServerModel(
                modelID: try c.requiredModelID(), region: c.region, profile: c.profile, apiKey: key,
                endpointURL: c.apiBase, roleConversions: c.customRoleConversions ?? [:], retry: c.http.retry,
                parameters: c.parameters, http: c.http, environment: c.environment)
        case .vllm:
            guard let apiBase = c.apiBase else {
                throw .invalidInput(message: "VLLMModel needs apiBase (the vLLM server's …/v1 URL)", location: "apiBase")
            }
            return VLLMModel(modelID: try c.requiredModelID(), apiBase: apiBase, apiKey: key,
                             flattenMessagesAsText: c.flattenMessagesAsText ?? true, parameters: c.parameters, http: c.http)
        case .transformers, .mlx:
            throw .unsupported(message: "\(c.type.className) is a local model: build it with makeModel(_:) on a factory that has a local builder")
        }
    }
}
