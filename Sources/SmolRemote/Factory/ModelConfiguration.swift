import Foundation
import SmolCore

/// Everything a ``ModelFactory`` needs to build one model: the type, the common settings every backend
/// understands, and the few that only some backends read.
///
/// Settings a backend does not use are ignored by it (a `region` means nothing to `OpenAIServerModel`).
/// `apiKey` is a ``/SmolCore/Secret``, so printing a configuration never shows it.
public struct ModelConfiguration: Sendable {
    /// Which smolagents class to build.
    public var type: ModelType
    /// The model: a provider's model name, a deployment, `provider/model` for LiteLLM, a router's model group,
    /// a Hub id, or (local types) a `.gguf` file or a model folder. `nil` takes the backend's default where it has one.
    public var modelID: String?
    /// The endpoint: an OpenAI-compatible base URL, the Azure endpoint, a Bedrock endpoint override, a vLLM server.
    public var apiBase: String?
    /// The key; `nil` falls back to the backend's environment variables (`OPENAI_API_KEY`, `HF_TOKEN`, …).
    public var apiKey: Secret?
    /// The Hugging Face Inference Provider (`InferenceClientModel`).
    public var provider: String?
    /// The Azure OpenAI API version (`AzureOpenAIServerModel`).
    public var apiVersion: String?
    /// The AWS region and profile (`AmazonBedrockServerModel`).
    public var region: String?
    /// The AWS profile (`AmazonBedrockServerModel`).
    public var profile: String?
    /// Send message content as plain strings; `nil` for the backend's default.
    public var flattenMessagesAsText: Bool?
    /// smolagents' `custom_role_conversions`.
    public var customRoleConversions: [MessageRole: MessageRole]?
    /// Client-side rate limit.
    public var requestsPerMinute: Double?
    /// Model-level completion parameters.
    public var parameters: ModelParameters
    /// Timeouts, retries, TLS and hooks for remote backends; its `retry` is the retry policy.
    public var http: HTTPConfiguration
    /// LiteLLM's `model_list` (`LiteLLMRouterModel`), as JSON.
    public var modelList: JSONValue?
    /// LiteLLM's `Router(...)` arguments (`LiteLLMRouterModel`), as smolagents' `client_kwargs`.
    public var clientKwargs: JSONObject
    /// Tokens the local model's context holds; `nil` for the model's limit (at most 8192).
    public var contextLength: Int?
    /// The kernel threads this local model's generations use (other models keep theirs); `nil` for the
    /// process's kernel thread count (the CPUs it may use, unless `KernelThreads` was set).
    public var threads: Int?
    /// The most generations a local model decodes together (continuous batching; later ones wait).
    public var maxBatchSize = 8
    /// The Hub revision a local model is downloaded at.
    public var revision: String
    /// Whether a local model missing from disk may be downloaded from the Hub.
    public var allowsDownload: Bool
    /// Where environment fallbacks are read.
    public var environment: [String: String]

    /// Creates a configuration; everything but the type is optional.
    public init(
        type: ModelType, modelID: String? = nil, apiBase: String? = nil, apiKey: Secret? = nil, provider: String? = nil,
        apiVersion: String? = nil, region: String? = nil, profile: String? = nil, flattenMessagesAsText: Bool? = nil,
        customRoleConversions: [MessageRole: MessageRole]? = nil, requestsPerMinute: Double? = nil,
        parameters: ModelParameters = [:], http: HTTPConfiguration = HTTPConfiguration(), modelList: JSONValue? = nil,
        clientKwargs: JSONObject = [:], contextLength: Int? = nil, threads: Int? = nil, revision: String = "main",
        allowsDownload: Bool = true,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) {
        self.type = type
        self.modelID = modelID
        self.apiBase = apiBase
        self.apiKey = apiKey
        self.provider = provider
        self.apiVersion = apiVersion
        self.region = region
        self.profile = profile
        self.flattenMessagesAsText = flattenMessagesAsText
        self.customRoleConversions = customRoleConversions
        self.requestsPerMinute = requestsPerMinute
        self.parameters = parameters
        self.http = http
        self.modelList = modelList
        self.clientKwargs = clientKwargs
        self.contextLength = contextLength
        self.threads = threads
        self.revision = revision
        self.allowsDownload = allowsDownload
        self.environment = environment
    }

    /// `modelID`, or a typed error naming what is missing.
    public func requiredModelID(_ what: String = "modelID") throws(ModelError) -> String {
        guard let modelID, !modelID.isEmpty else {
            throw .invalidInput(message: "\(type.className) needs \(what)", location: "modelID")
        }
        return modelID
    }
}

extension ModelConfiguration: CustomStringConvertible, CustomReflectable {
    /// The type, model and endpoint; never the key, nor the environment (which holds keys).
    public var description: String {
        var parts = ["type: \(type.className)"]
        if let modelID { parts.append("modelID: \(modelID)") }
        if let apiBase { parts.append("apiBase: \(apiBase)") }
        if apiKey != nil { parts.append("apiKey: (redacted)") }
        return "ModelConfiguration(" + parts.joined(separator: ", ") + ")"
    }

    /// The same fields as ``description``, so `dump` and debuggers cannot reveal the environment either.
    public var customMirror: Mirror {
        Mirror(self, children: ["type": type, "modelID": modelID as Any, "apiBase": apiBase as Any], displayStyle: .struct)
    }
}
