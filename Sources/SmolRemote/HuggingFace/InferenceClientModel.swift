import Foundation
import SmolCore

/// smolagents' `InferenceClientModel`: Hugging Face Inference Providers through the HF router.
///
/// - `provider` `nil` or `"auto"`: `{router}/v1/chat/completions`, the router picks the provider.
/// - a named provider: the provider's model id is looked up once on the Hub
///   (`GET {hub}/api/models/{id}?expand=inferenceProviderMapping`) and the request goes to
///   `{router}/{provider}{route}`; `hf-inference` uses `{router}/hf-inference/models/{id}/v1/chat/completions`.
/// - `baseURL`: a dedicated endpoint (TGI, Inference Endpoints); `/v1/chat/completions` is appended
///   unless the URL already ends in `/v1` or `/chat/completions`.
///
/// The token comes from `token` or its alias `apiKey` (not both), then `HF_TOKEN`,
/// `HUGGING_FACE_HUB_TOKEN`, then the file the HF CLI writes (`HF_TOKEN_PATH`, else `$HF_HOME/token`,
/// else `~/.cache/huggingface/token`). `billTo` sends `X-HF-Bill-To`. Unlike smolagents,
/// `response_format` is sent (rewritten for providers that want another shape, as `huggingface_hub` does).
public struct InferenceClientModel: Model {
    public let modelID: String?
    /// The provider, `nil` for automatic routing.
    public let provider: String?
    public var streamsIncrementally: Bool { true }
    let client: OpenAICompatibleClient

    /// Creates a model.
    ///
    /// - Parameters:
    ///   - modelID: A Hub model id (default smolagents' `Qwen/Qwen3-Next-80B-A3B-Thinking`).
    ///   - provider: `together`, `groq`, `hf-inference`, …; `nil` or `"auto"` routes automatically.
    ///   - token: The HF token; `apiKey` is an alias (passing both is an error, as in smolagents).
    ///   - timeout: The whole-request timeout (smolagents' default 120 s), also the longest wait for a
    ///     stream's first byte and, when shorter than `http`'s, its read timeout (silence between bytes).
    ///   - billTo: An Enterprise Hub organisation to bill.
    ///   - baseURL: A dedicated endpoint instead of the router.
    ///   - routerURL: The router (tests point it at a local server).
    ///   - hubURL: The Hub, for provider mappings; default `HF_ENDPOINT`, then `https://huggingface.co`.
    ///   - apiKey: An alias of `token`, for compatibility with OpenAI's client.
    ///   - customRoleConversions: Role mapping; replaces smolagents' tool-role defaults when non-empty.
    ///   - requestsPerMinute: Client-side rate limit (minimum spacing between requests).
    ///   - retry: Retry policy (`RetryPolicy.none` is smolagents' `retry=False`).
    ///   - parameters: Model-level completion parameters, sent with every call and overriding per-call ones.
    ///   - headers: Extra HTTP headers.
    ///   - http: Timeouts, redirects, hooks.
    ///   - environment: Where the fallbacks are read (the process environment by default).
    public init(
        modelID: String = "Qwen/Qwen3-Next-80B-A3B-Thinking", provider: String? = nil, token: String? = nil,
        apiKey: String? = nil, timeout: Duration = .seconds(120), billTo: String? = nil, baseURL: String? = nil,
        routerURL: String = "https://router.huggingface.co", hubURL: String? = nil,
        customRoleConversions: [MessageRole: MessageRole]? = nil, requestsPerMinute: Double? = nil,
        retry: RetryPolicy = .default, parameters: ModelParameters = [:], headers: [String: String] = [:],
        http: HTTPConfiguration = HTTPConfiguration(),
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ModelError) {
        if token != nil, apiKey != nil {
            throw .invalidInput(message: "Received both `token` and `api_key` arguments. Please provide only one of them. `api_key` is an alias for `token` to make the API compatible with OpenAI's client. It has the exact same behavior as `token`.", location: "token")
        }
        let resolved = token ?? apiKey ?? Self.storedToken(environment)
        let provider = provider == "auto" ? nil : provider
        // The proxy and TLS variables come from the same environment as the keys.
        var configuration = http.inheriting(environment: environment)
        configuration.retry = retry
        configuration.totalTimeout = timeout
        // huggingface_hub's `timeout` is also httpx's read timeout: a stream silent for longer fails.
        configuration.readTimeout = min(configuration.readTimeout, timeout)
        let engine = HTTPEngine(configuration: configuration)
        var extraHeaders: [(String, String)] = [("User-Agent", "swift-smolagents/\(SmolVersion.current)")]
        if let billTo { extraHeaders.append(("X-HF-Bill-To", billTo)) }
        extraHeaders += headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }

        let target: @Sendable () async throws -> OpenAICompatibleClient.Target
        if let baseURL {
            let url = baseURL.hasSuffix("/chat/completions") ? baseURL
                : endpoint(baseURL, appending: baseURL.hasSuffix("/v1") ? "chat/completions" : "v1/chat/completions")
            target = { .init(url: url, model: modelID) }
        } else {
            guard resolved != nil else {
                throw .authentication(message: "No Hugging Face token: pass token, set HF_TOKEN, or log in with the HF CLI")
            }
            let router = routerURL
            let mappings = ProviderMappingLookup(engine: engine, hub: hubURL ?? environment["HF_ENDPOINT"] ?? "https://huggingface.co")
            switch provider {
            case nil:
                target = { .init(url: endpoint(router, appending: "v1/chat/completions"), model: modelID) }
            case "hf-inference"?:
                target = {
                    try await mappings.checkHFInference(modelID)
                    return .init(url: endpoint(router, appending: "hf-inference/models/\(modelID)/v1/chat/completions"),
                                 model: modelID)
                }
            case let name?:
                let route = Self.routes[name] ?? "/v1/chat/completions"
                target = {
                    let mapped = try await mappings.providerModel(modelID, provider: name)
                    return .init(url: endpoint(router, appending: name) + route, model: mapped)
                }
            }
        }
        self.modelID = modelID
        self.provider = provider
        var client = OpenAICompatibleClient(
            modelID: modelID, http: engine, credential: resolved.map { .bearer(Secret($0)) } ?? .none,
            headers: extraHeaders, parameters: parameters, flattenMessagesAsText: false,
            roleConversions: customRoleConversions, rateLimiter: try RateLimiter(requestsPerMinute: requestsPerMinute),
            accept: "*/*", target: target,
            adjustBody: { body, stream in Self.adjust(&body, stream: stream, provider: provider) })
        client.providerName = "huggingface"
        self.client = client
    }

    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await client.generate(messages, options: options)
    }

    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        client.generateStream(messages, options: options)
    }

    /// Chat routes of providers whose path is not `/v1/chat/completions` (from `huggingface_hub`).
    static let routes: [String: String] = [
        "cohere": "/compatibility/v1/chat/completions", "deepinfra": "/v1/openai/chat/completions",
        "fireworks-ai": "/inference/v1/chat/completions", "groq": "/openai/v1/chat/completions",
        "novita": "/v3/openai/chat/completions",
    ]

    /// `huggingface_hub`'s body: `model` first (so routers can read it from a short prefix), `stream`
    /// always present, no `null` members at any depth, and `response_format` in the shape the provider expects.
    static func adjust(_ body: inout JSONObject, stream: Bool, provider: String?) {
        var ordered: JSONObject = [:]
        if let model = body["model"] { ordered["model"] = model }
        ordered.merge(body)
        ordered["stream"] = .bool(stream)
        // huggingface_hub's `filter_none` drops `None` members at every depth (messages, tool schemas…).
        if case .object(let cleaned) = withoutNullMembers(.object(ordered)) { ordered = cleaned }
        if ordered["response_format"]?["type"] == "json_schema", let schema = ordered["response_format"]?["json_schema"]?["schema"] {
            switch provider {
            case "together"?: ordered["response_format"] = ["type": "json_schema", "schema": schema]
            case "hf-inference"?: ordered["response_format"] = ["type": "json_object", "value": schema]
            case "cohere"?, "fireworks-ai"?: ordered["response_format"] = ["type": "json_object", "schema": schema]
            default: break
            }
        }
        body = ordered
    }

    /// `huggingface_hub`'s `filter_none`: object members whose value is `null` are removed, recursively
    /// (array elements that are `null` are kept, as there).
    static func withoutNullMembers(_ value: JSONValue) -> JSONValue {
        switch value {
        case .object(let object):
            return .object(JSONObject(object.compactMap { $0.value.isNull ? nil : ($0.key, withoutNullMembers($0.value)) }))
        case .array(let elements):
            return .array(elements.map(withoutNullMembers))
        default:
            return value
        }
    }

    /// The token the HF CLI tools would use: environment, then the token file.
    static func storedToken(_ environment: [String: String]) -> String? {
        if let token = environment["HF_TOKEN"] ?? environment["HUGGING_FACE_HUB_TOKEN"], !token.isEmpty { return token }
        let path: String
        if let explicit = environment["HF_TOKEN_PATH"] {
            path = explicit
        } else if let home = environment["HF_HOME"] {
            path = home + "/token"
        } else if let cache = environment["XDG_CACHE_HOME"] {
            path = cache + "/huggingface/token"
        } else {
            path = (environment["HOME"] ?? NSHomeDirectory()) + "/.cache/huggingface/token"
        }
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return token.isEmpty ? nil : token
    }
}

/// Looks up (once per model) which id a provider serves a Hub model under.
final class ProviderMappingLookup: Sendable {
    private let engine: HTTPEngine
    private let hub: String
    private let cache = CachedValues<String, JSONValue>()

    init(engine: HTTPEngine, hub: String) {
        self.engine = engine
        self.hub = hub
    }

    func providerModel(_ model: String, provider: String) async throws -> String {
        let info = try await fetch(model, query: "?expand=inferenceProviderMapping")
        let mapping = info["inferenceProviderMapping"]
        // A dict keyed by provider (model_info), or a list of {provider, providerId} (list_models).
        let entry = mapping?[provider] ?? mapping?.arrayValue?.first { $0["provider"]?.stringValue == provider }
        guard let entry, let id = entry["providerId"]?.stringValue else {
            throw ModelError.unsupported(message: "Model \(model) is not supported by provider \(provider).")
        }
        if let status = entry["status"]?.stringValue, status == "error" {
            throw ModelError.unsupported(message: "Provider \(provider) reports model \(model) in error state.")
        }
        return id
    }

    func checkHFInference(_ model: String) async throws {
        _ = try await fetch(model, query: "")
    }

    private func fetch(_ model: String, query: String) async throws -> JSONValue {
        let key = model + query
        if let cached = cache[key] { return cached }
        let response = try await engine.send(HTTPEngine.Request(
            method: "GET", url: endpoint(hub, appending: "api/models/\(model)") + query, headers: [("Accept", "*/*")]))
        let value: JSONValue
        do {
            value = try JSONValue(parsing: response.body)
        } catch {
            throw ModelError.decoding(message: "the Hub's model info is not JSON (\(error))",
                                      payload: String(decoding: response.body, as: UTF8.self))
        }
        cache[key] = value
        return value
    }
}
