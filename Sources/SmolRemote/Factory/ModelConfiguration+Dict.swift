import Foundation
import SmolCore

/// smolagents' `Model.to_dict()` / `Model.from_dict()`: a model's settings as the keyword arguments of its Python
/// class, so a dict written by Python smolagents (or an agent's saved `{"class": …, "data": …}`) loads here, and
/// a dict written here loads in Python with `cls(**data)`.
///
/// Differences from smolagents, on purpose:
/// - smolagents exports `custom_role_conversion` (a typo that never matches its attribute, so role conversions
///   are silently lost); this exports `custom_role_conversions`, which its constructors accept.
/// - Keys are never exported (`api_key`, `token`, nor the `api_key` of a router's `model_list` entries; an
///   `os.environ/NAME` reference is kept, it is not a secret). A dict that carries one still loads it.
/// - Settings only this package has (`threads`, `contextLength`, `maxBatchSize`, `revision`, the AWS `profile`,
///   timeouts, the environment), an `InferenceClientModel`'s `apiBase` (huggingface_hub refuses it beside a
///   model id) and ``/SmolCore/ModelParameter/remove`` parameters have no Python keyword and are not exported.
extension ModelConfiguration {
    /// Keys read into named settings (per type); every other key of a dict becomes a model-level parameter,
    /// as `cls(**data)` passes unknown keywords on as completion arguments.
    private static func namedKeys(for type: ModelType) -> Set<String> {
        var keys: Set<String> = ["model_id", "api_key", "token", "custom_role_conversions", "flatten_messages_as_text"]
        if !type.isLocal { keys.insert("requests_per_minute") }
        switch type {
        case .openAIServer: keys.formUnion(["api_base", "client_kwargs"])
        case .azureOpenAIServer: keys.formUnion(["azure_endpoint", "api_version", "client_kwargs"])
        case .inferenceClient: keys.formUnion(["provider", "base_url", "client_kwargs"])
        case .liteLLM, .vllm: keys.insert("api_base")
        case .liteLLMRouter: keys.formUnion(["model_list", "client_kwargs"])
        case .amazonBedrockServer: keys.insert("client_kwargs")
        case .transformers, .mlx: break
        }
        return keys
    }

    /// The model's settings as its smolagents class's keyword arguments (smolagents' `to_dict()`): `model_id`,
    /// the settings that class takes by name, then the model-level parameters. Never a key.
    public func toDict() -> JSONObject {
        var out = JSONObject()
        if let modelID { out["model_id"] = .string(modelID) }
        switch type {
        case .openAIServer, .liteLLM, .vllm:
            if let apiBase { out["api_base"] = .string(apiBase) }
        case .azureOpenAIServer:
            if let apiBase { out["azure_endpoint"] = .string(apiBase) }
            if let apiVersion { out["api_version"] = .string(apiVersion) }
        case .inferenceClient:
            // Not `apiBase`: smolagents passes model_id as the client's `model`, and huggingface_hub refuses
            // `model` together with `base_url`.
            if let provider { out["provider"] = .string(provider) }
        case .liteLLMRouter:
            if let modelList { out["model_list"] = Self.withoutKeys(modelList) }
        case .amazonBedrockServer, .transformers, .mlx:
            break
        }
        var clientKwargs = self.clientKwargs
        if type == .amazonBedrockServer {
            // boto3.client(**client_kwargs): the region and an endpoint override are client arguments there.
            if let region { clientKwargs["region_name"] = .string(region) }
            if let apiBase { clientKwargs["endpoint_url"] = .string(apiBase) }
        }
        if !clientKwargs.isEmpty, Self.namedKeys(for: type).contains("client_kwargs") {
            out["client_kwargs"] = .object(clientKwargs)
        }
        if let customRoleConversions, !customRoleConversions.isEmpty {
            let pairs = customRoleConversions.sorted { $0.key.rawValue < $1.key.rawValue }
            out["custom_role_conversions"] = .object(JSONObject(pairs.map { ($0.key.rawValue, JSONValue.string($0.value.rawValue)) }))
        }
        if let flattenMessagesAsText { out["flatten_messages_as_text"] = .bool(flattenMessagesAsText) }
        if let requestsPerMinute, !type.isLocal { out["requests_per_minute"] = .double(requestsPerMinute) }
        for (key, parameter) in parameters {
            if case .value(let value) = parameter, out[key] == nil { out[key] = value }
        }
        return out
    }

    /// A configuration from a smolagents `to_dict()` dict (smolagents' `from_dict()`): the named settings of
    /// `type`'s class, `api_key` / `token` as the key, and every other key as a model-level parameter.
    ///
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` naming the key whose value has the
    ///   wrong type (e.g. a `custom_role_conversions` role that is not a smolagents role). Never shows a key.
    public init(type: ModelType, dict: JSONObject,
                environment: [String: String] = ProcessInfo.processInfo.environment) throws(ModelError) {
        self.init(type: type, environment: environment)
        let named = Self.namedKeys(for: type)
        var parameters = ModelParameters()
        for (key, value) in zip(dict.keys, dict.values) {
            guard named.contains(key) else {
                parameters[key] = .value(value)
                continue
            }
            try read(key, value)
        }
        self.parameters = parameters
    }

    private mutating func read(_ key: String, _ value: JSONValue) throws(ModelError) {
        if value.isNull { return }
        func string() throws(ModelError) -> String {
            guard let text = value.stringValue else { throw Self.badValue(key, value, "a string") }
            return text
        }
        func object() throws(ModelError) -> JSONObject {
            guard let object = value.objectValue else { throw Self.badValue(key, value, "an object") }
            return object
        }
        switch key {
        case "model_id": modelID = try string()
        case "api_key", "token": apiKey = Secret(try string())
        case "api_base", "azure_endpoint", "base_url": apiBase = try string()
        case "api_version": apiVersion = try string()
        case "provider": provider = try string()
        case "model_list": modelList = value
        case "flatten_messages_as_text":
            guard let flag = value.boolValue else { throw Self.badValue(key, value, "true or false") }
            flattenMessagesAsText = flag
        case "requests_per_minute":
            guard let rate = value.doubleValue, rate > 0 else { throw Self.badValue(key, value, "a positive number") }
            requestsPerMinute = rate
        case "custom_role_conversions":
            var conversions: [MessageRole: MessageRole] = [:]
            let map = try object()
            for (from, to) in zip(map.keys, map.values) {
                guard let source = MessageRole(rawValue: from), let target = to.stringValue.flatMap(MessageRole.init(rawValue:)) else {
                    let shown = to.stringValue.map { "\"\($0)\"" } ?? to.typeName
                    throw .invalidInput(message: "custom_role_conversions maps \"\(from)\" to \(shown); both must be smolagents roles "
                                        + "(\(MessageRole.allCases.map(\.rawValue).joined(separator: ", ")))",
                                        location: "custom_role_conversions")
                }
                conversions[source] = target
            }
            customRoleConversions = conversions
        case "client_kwargs":
            var kwargs = try object()
            if type == .amazonBedrockServer {
                if let region = kwargs["region_name"]?.stringValue { self.region = region; kwargs["region_name"] = nil }
                if let endpoint = kwargs["endpoint_url"]?.stringValue { apiBase = endpoint; kwargs["endpoint_url"] = nil }
            }
            clientKwargs = kwargs
        default:
            break
        }
    }

    private static func badValue(_ key: String, _ value: JSONValue, _ expected: String) -> ModelError {
        // The value is not echoed: under a key like `api_key` it would be a secret.
        .invalidInput(message: "\(key) must be \(expected), got \(value.typeName)", location: key)
    }

    /// A router's `model_list` without the `api_key` of its entries (an `os.environ/NAME` reference stays).
    private static func withoutKeys(_ list: JSONValue) -> JSONValue {
        guard let entries = list.arrayValue else { return list }
        return .array(entries.map { entry in
            guard var object = entry.objectValue, var params = object["litellm_params"]?.objectValue else { return entry }
            if let key = params["api_key"]?.stringValue, !key.hasPrefix("os.environ/") { params["api_key"] = nil }
            object["litellm_params"] = .object(params)
            return .object(object)
        })
    }

    /// How a smolagents agent saves its model: `{"class": "<class name>", "data": to_dict()}`.
    public func toAgentDict() -> JSONObject {
        ["class": .string(type.className), "data": .object(toDict())]
    }

    /// A configuration from an agent's saved model, `{"class": …, "data": …}` (class aliases such as `OpenAIModel`
    /// accepted).
    ///
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` for an unknown class or a malformed `data`.
    public init(agentDict: JSONObject, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ModelError) {
        guard let name = agentDict["class"]?.stringValue else {
            throw .invalidInput(message: "a saved model needs \"class\" (a smolagents model class name)", location: "class")
        }
        guard let type = ModelType(className: name) else {
            throw .invalidInput(message: "unknown model class \"\(name)\"; known: \(ModelType.allClassNames.joined(separator: ", "))",
                                location: "class")
        }
        let data = agentDict["data"] ?? .object(JSONObject())
        guard let object = data.objectValue else { throw Self.badValue("data", data, "an object") }
        try self.init(type: type, dict: object, environment: environment)
    }
}
