import Foundation
import SmolCore

/// smolagents' `LiteLLMRouterModel`: LiteLLM's Router, natively — one model group served by several
/// deployments, with load balancing, retries, cooldowns and fallbacks to other groups.
///
/// ```swift
/// let model = try LiteLLMRouterModel(modelID: "model-group-1", modelList: [
///     LiteLLMDeployment(modelName: "model-group-1", litellmParams: LiteLLMParams(model: "openai/gpt-4o-mini", rpm: 300)),
///     LiteLLMDeployment(modelName: "model-group-1", litellmParams: LiteLLMParams(model: "groq/llama-3.3-70b", rpm: 100)),
/// ])
/// ```
///
/// Each deployment is a ``LiteLLMModel``. A call picks a deployment of the group by
/// ``LiteLLMRouterOptions/routingStrategy``; a failure is counted against that deployment (and may put it in
/// cooldown, out of rotation); retryable failures are retried up to ``LiteLLMRouterOptions/numRetries``
/// times (each retry picks again, so it usually lands elsewhere); when the group gives up, its fallback
/// groups are tried in order. When no deployment is available the error is
/// ``/SmolCore/ModelError/unavailable(_:)`` (reason ``/SmolCore/ModelUnavailable/Reason/allDeploymentsInCooldown`` or ``/SmolCore/ModelUnavailable/Reason/rateLimitsReached``). A stream fails over only until its
/// first delta: once output has reached the caller, a failure ends the stream instead of repeating it.
///
/// State (requests in flight, latencies, per-minute usage, cooldowns) is shared by all copies of a router
/// value and all concurrent calls. The clock and the random source are injectable, so tests observe
/// cooldowns and weighted picks deterministically.
public struct LiteLLMRouterModel: Model, CustomStringConvertible {
    /// The model group requests go to (smolagents' `model_id`).
    public let modelID: String?
    /// The deployments, in `model_list` order.
    public var modelList: [LiteLLMDeployment] { core.entries.map(\.deployment) }
    /// The router's settings.
    public var options: LiteLLMRouterOptions { core.options }
    /// Whether content is sent as plain strings (smolagents' default: group names starting with `ollama`,
    /// `groq` or `cerebras`).
    public let flattenMessagesAsText: Bool
    let core: RouterCore

    public var streamsIncrementally: Bool { true }

    /// Creates a router.
    ///
    /// - Parameters:
    ///   - modelID: The model group to call; it must appear as a `modelName` in `modelList`.
    ///   - modelList: The deployments (LiteLLM's `model_list`).
    ///   - options: Routing, retries, cooldowns and fallbacks (LiteLLM's `Router` arguments).
    ///   - customRoleConversions: Role mapping for every deployment; replaces smolagents' tool-role defaults
    ///     when non-empty.
    ///   - flattenMessagesAsText: Send content as plain strings; `nil` for smolagents' default by model name.
    ///   - http: The base HTTP configuration of every deployment; a deployment's `timeout` (else
    ///     ``LiteLLMRouterOptions/timeout``) replaces its timeouts, and its `max_retries` its retry policy
    ///     (default: none, the router retries).
    ///   - clock: Time for cooldowns, rate windows, latencies and back-off sleeps.
    ///   - random: Numbers in `0..<1` for weighted picks and jitter; tests pass a seeded source.
    ///   - environment: Where deployments read provider keys and `os.environ/…` references.
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` for an unknown group (in `modelID` or a
    ///   fallback) or a deployment that cannot be built (its position in the list is named).
    public init(
        modelID: String, modelList: [LiteLLMDeployment], options: LiteLLMRouterOptions = LiteLLMRouterOptions(),
        customRoleConversions: [MessageRole: MessageRole]? = nil, flattenMessagesAsText: Bool? = nil,
        http: HTTPConfiguration = HTTPConfiguration(), clock: SmolClock = .system,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ModelError) {
        let groups = Set(modelList.map(\.modelName))
        guard groups.contains(modelID) else {
            throw .invalidInput(message: "model group '\(modelID)' is not in model_list (groups: \(groups.sorted().joined(separator: ", ")))",
                                location: "modelID")
        }
        var targets: [(location: String, group: String)] = options.defaultFallbacks.map { ("default_fallbacks", $0) }
        for (name, map) in [("fallbacks", options.fallbacks), ("context_window_fallbacks", options.contextWindowFallbacks)] {
            for (group, list) in map.sorted(by: { $0.key < $1.key }) {
                targets += list.map { ("\(name).\(group)", $0) }
            }
        }
        for target in targets where !groups.contains(target.group) {
            throw .invalidInput(message: "fallback group '\(target.group)' is not in model_list", location: target.location)
        }
        let flatten = flattenMessagesAsText ?? ["ollama", "groq", "cerebras"].contains { modelID.hasPrefix($0) }
        var entries: [RouterCore.Entry] = []
        for (index, deployment) in modelList.enumerated() {
            let params = deployment.litellmParams
            var configuration = http
            if let timeout = params.timeout ?? options.timeout {
                configuration.readTimeout = timeout
                configuration.totalTimeout = timeout
            }
            let retries = params.maxRetries ?? 0
            let retry = retries > 0 ? RetryPolicy(maxAttempts: retries + 1, backoff: RetryPolicy.default.backoff) : RetryPolicy.none
            var env = environment
            if let version = params.apiVersion { env["AZURE_API_VERSION"] = version }
            do throws(ModelError) {
                let model = try LiteLLMModel(
                    modelID: params.model, apiBase: params.apiBase, apiKey: params.apiKey?.revealed,
                    customRoleConversions: customRoleConversions, flattenMessagesAsText: flatten, retry: retry,
                    parameters: ModelParameters(params.parameters), http: configuration, environment: env)
                entries.append(RouterCore.Entry(id: deployment.id(position: index), deployment: deployment, model: model))
            } catch {
                let secrets = [params.apiKey].compactMap { $0 }
                throw .invalidInput(message: "deployment '\(deployment.modelName)' (\(params.model)): \(error.redacted(secrets))",
                                    location: "model_list[\(index)]")
            }
        }
        self.modelID = modelID
        self.flattenMessagesAsText = flatten
        self.core = RouterCore(entries: entries, options: options, clock: clock, random: random)
    }

    /// Creates a router from LiteLLM's JSON shapes: `modelList` as in a LiteLLM config, `clientKwargs` as
    /// smolagents passes them to `Router(...)` (see ``LiteLLMRouterOptions/init(json:)``).
    public init(
        modelID: String, modelList: JSONValue, clientKwargs: JSONObject = [:],
        customRoleConversions: [MessageRole: MessageRole]? = nil, flattenMessagesAsText: Bool? = nil,
        http: HTTPConfiguration = HTTPConfiguration(), clock: SmolClock = .system,
        random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ModelError) {
        try self.init(
            modelID: modelID, modelList: try LiteLLMDeployment.modelList(from: modelList, environment: environment),
            options: try LiteLLMRouterOptions(json: clientKwargs), customRoleConversions: customRoleConversions,
            flattenMessagesAsText: flattenMessagesAsText, http: http, clock: clock, random: random,
            environment: environment)
    }

    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await route(messages, streaming: false) { index in
            let started = core.clock.now()
            do {
                let message = try await core.entries[index].model.generate(messages, options: options)
                core.succeeded(index, started: started, firstToken: nil, usage: message.tokenUsage)
                return message
            } catch {
                core.failed(index, error: error)
                throw error
            }
        }
    }

    /// The group names and deployments, without keys.
    public var description: String {
        "LiteLLMRouterModel(\(modelID ?? ""), \(core.options.routingStrategy.rawValue): "
            + core.entries.map { "\($0.id): \($0.deployment)" }.joined(separator: "; ") + ")"
    }
}
