import Foundation
import SmolCore

/// One entry of LiteLLM's `model_list`: a deployment that serves the model group `modelName`.
///
/// Several entries with the same `modelName` form a deployment group that ``LiteLLMRouterModel``
/// balances over. The shape is LiteLLM's own, so a `model_list` pasted from a LiteLLM config (as JSON)
/// loads with ``modelList(from:environment:)``:
///
/// ```json
/// [{"model_name": "gpt-4o", "litellm_params": {"model": "azure/gpt-4o-eu", "api_key": "os.environ/AZURE_KEY_EU",
///   "api_base": "https://eu.example.azure.com", "api_version": "2024-10-21", "rpm": 600}},
///  {"model_name": "gpt-4o", "litellm_params": {"model": "openai/gpt-4o", "rpm": 100}}]
/// ```
public struct LiteLLMDeployment: Sendable, CustomStringConvertible {
    /// The model group (LiteLLM's `model_name`, the alias callers ask for).
    public var modelName: String
    /// How to reach the deployment and how much it may take.
    public var litellmParams: LiteLLMParams
    /// LiteLLM's free-form `model_info` (an `id` here names the deployment; `rpm`/`tpm` here count too).
    public var modelInfo: JSONObject

    /// Creates a deployment.
    public init(modelName: String, litellmParams: LiteLLMParams, modelInfo: JSONObject = [:]) {
        self.modelName = modelName
        self.litellmParams = litellmParams
        self.modelInfo = modelInfo
    }

    /// The deployment's id: `model_info.id` when given, else `"<model_name>/<position in the list>"`.
    func id(position: Int) -> String {
        if let id = modelInfo["id"], case .string(let text) = id { return text }
        if let id = modelInfo["id"]?.intValue { return String(id) }
        return "\(modelName)/\(position)"
    }

    /// Requests per minute allowed, from `litellm_params.rpm` then `model_info.rpm` (LiteLLM's order).
    var rpmLimit: Double? { litellmParams.rpm ?? modelInfo["rpm"]?.doubleValue }
    /// Tokens per minute allowed, from `litellm_params.tpm` then `model_info.tpm`.
    var tpmLimit: Double? { litellmParams.tpm ?? modelInfo["tpm"]?.doubleValue }

    /// The model string and base URL, never the key.
    public var description: String {
        "\(modelName) → \(litellmParams.model)" + (litellmParams.apiBase.map { " at \($0)" } ?? "")
    }
}

/// LiteLLM's `litellm_params` for one deployment.
///
/// Keys LiteLLM uses for routing and transport are typed; every other key (`temperature`, `max_tokens`,
/// `extra_headers`…) is kept in ``parameters`` and sent with every request to this deployment, as LiteLLM
/// passes unknown `litellm_params` through to `completion()`.
public struct LiteLLMParams: Sendable {
    /// `"provider/model"`, as for ``LiteLLMModel``.
    public var model: String
    /// The API key (`os.environ/NAME` in JSON reads the variable).
    public var apiKey: Secret?
    /// The base URL.
    public var apiBase: String?
    /// Azure's API version.
    public var apiVersion: String?
    /// Requests per minute this deployment allows (a simple-shuffle weight; a hard limit for the usage- and
    /// latency-based strategies).
    public var rpm: Double?
    /// Tokens per minute this deployment allows (likewise).
    public var tpm: Double?
    /// The simple-shuffle weight.
    public var weight: Double?
    /// The request timeout (LiteLLM's `timeout`, seconds in JSON).
    public var timeout: Duration?
    /// Retries inside the deployment's own HTTP client (LiteLLM's `max_retries`; default 0, the router retries).
    public var maxRetries: Int?
    /// How long this deployment cools down after failing, overriding the router's and `Retry-After`.
    public var cooldownTime: Duration?
    /// Every other key, sent as a model-level completion parameter.
    public var parameters: JSONObject

    /// Creates deployment parameters.
    public init(
        model: String, apiKey: Secret? = nil, apiBase: String? = nil, apiVersion: String? = nil, rpm: Double? = nil,
        tpm: Double? = nil, weight: Double? = nil, timeout: Duration? = nil, maxRetries: Int? = nil,
        cooldownTime: Duration? = nil, parameters: JSONObject = [:]
    ) {
        self.model = model
        self.apiKey = apiKey
        self.apiBase = apiBase
        self.apiVersion = apiVersion
        self.rpm = rpm
        self.tpm = tpm
        self.weight = weight
        self.timeout = timeout
        self.maxRetries = maxRetries
        self.cooldownTime = cooldownTime
        self.parameters = parameters
    }
}

extension LiteLLMDeployment {
    /// Reads LiteLLM's `model_list` from JSON (an array of `{"model_name", "litellm_params", "model_info"}`).
    ///
    /// String values of the form `os.environ/NAME` (LiteLLM's config syntax) are read from `environment`.
    ///
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` naming the offending entry and key
    ///   (`model_list[1].litellm_params.rpm`) for a wrong shape, a wrong type, a negative limit or a
    ///   missing environment variable.
    public static func modelList(
        from json: JSONValue, environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ModelError) -> [LiteLLMDeployment] {
        guard case .array(let entries) = json else {
            throw .invalidInput(message: "model_list must be a JSON array of deployments", location: "model_list")
        }
        var deployments: [LiteLLMDeployment] = []
        for (index, entry) in entries.enumerated() {
            deployments.append(try deployment(from: entry, at: "model_list[\(index)]", environment: environment))
        }
        return deployments
    }

    static func deployment(from entry: JSONValue, at location: String, environment: [String: String])
        throws(ModelError) -> LiteLLMDeployment
    {
        guard case .object(let object) = entry else {
            throw .invalidInput(message: "a deployment must be an object with model_name and litellm_params", location: location)
        }
        for key in object.keys where !["model_name", "litellm_params", "model_info"].contains(key) {
            throw .invalidInput(message: "unknown key '\(key)' (expected model_name, litellm_params, model_info)",
                                location: location)
        }
        guard let name = object["model_name"]?.stringValue, !name.isEmpty else {
            throw .invalidInput(message: "model_name must be a non-empty string", location: "\(location).model_name")
        }
        guard case .object(var params)? = object["litellm_params"] else {
            throw .invalidInput(message: "litellm_params must be an object", location: "\(location).litellm_params")
        }
        var info = JSONObject()
        if let value = object["model_info"] {
            guard case .object(let object) = value else {
                throw .invalidInput(message: "model_info must be an object", location: "\(location).model_info")
            }
            info = object
        }
        let reader = ParamReader(location: "\(location).litellm_params", environment: environment)
        guard let model = try reader.string(params.removeValue(forKey: "model"), "model"), !model.isEmpty else {
            throw .invalidInput(message: "model must be a \"provider/model\" string",
                                location: "\(location).litellm_params.model")
        }
        let result = LiteLLMParams(
            model: model,
            apiKey: try reader.string(params.removeValue(forKey: "api_key"), "api_key").map { Secret($0) },
            apiBase: try reader.string(params.removeValue(forKey: "api_base"), "api_base"),
            apiVersion: try reader.string(params.removeValue(forKey: "api_version"), "api_version"),
            rpm: try reader.limit(params.removeValue(forKey: "rpm"), "rpm"),
            tpm: try reader.limit(params.removeValue(forKey: "tpm"), "tpm"),
            weight: try reader.limit(params.removeValue(forKey: "weight"), "weight"),
            timeout: try reader.seconds(params.removeValue(forKey: "timeout"), "timeout"),
            maxRetries: try reader.limit(params.removeValue(forKey: "max_retries"), "max_retries").map { Int($0) },
            cooldownTime: try reader.seconds(params.removeValue(forKey: "cooldown_time"), "cooldown_time"),
            parameters: params)
        return LiteLLMDeployment(modelName: name, litellmParams: result, modelInfo: info)
    }
}

/// Typed reads of `litellm_params` values, each error naming its key.
private struct ParamReader {
    let location: String
    let environment: [String: String]

    func string(_ value: JSONValue?, _ key: String) throws(ModelError) -> String? {
        guard let value, !value.isNull else { return nil }
        guard case .string(let text) = value else {
            throw .invalidInput(message: "\(key) must be a string", location: "\(location).\(key)")
        }
        guard text.hasPrefix("os.environ/") else { return text }
        let name = String(text.dropFirst("os.environ/".count))
        guard let resolved = environment[name] else {
            throw .invalidInput(message: "\(key) names the environment variable \(name), which is not set",
                                location: "\(location).\(key)")
        }
        return resolved
    }

    /// A non-negative finite number (LiteLLM accepts ints and floats; numeric strings too).
    func limit(_ value: JSONValue?, _ key: String) throws(ModelError) -> Double? {
        guard let value, !value.isNull else { return nil }
        let number = value.doubleValue ?? value.stringValue.flatMap { Double($0) }
        guard let number, number.isFinite, number >= 0 else {
            throw .invalidInput(message: "\(key) must be a non-negative number, got \(value)", location: "\(location).\(key)")
        }
        return number
    }

    func seconds(_ value: JSONValue?, _ key: String) throws(ModelError) -> Duration? {
        guard let seconds = try limit(value, key) else { return nil }
        return .milliseconds(Int64((seconds * 1000).rounded()))
    }
}
