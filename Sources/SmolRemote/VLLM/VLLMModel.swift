import Foundation
import SmolCore

/// smolagents' `VLLMModel`, as a client of vLLM's OpenAI-compatible server.
///
/// Give it the server's `apiBase`, or let ``launch(modelID:server:apiKey:flattenMessagesAsText:chatTemplateKwargs:parameters:http:)``
/// start `vllm serve MODEL` as a child process on a free loopback port; the process is stopped by
/// ``shutdown()`` or when the model is released. A `json_schema` response format is sent as vLLM's
/// structured-output extension (`"structured_outputs": {"json": schema}`, what smolagents' in-process
/// `StructuredOutputsParams(json=…)` does), and `chatTemplateKwargs` as `chat_template_kwargs`.
/// Messages are flattened to text by default, as smolagents does for vLLM.
public final class VLLMModel: Model {
    public let modelID: String?
    /// The server's base URL (`…/v1`).
    public let apiBase: String
    public var streamsIncrementally: Bool { true }
    private let client: OpenAICompatibleClient
    private let server: ChildServer?

    /// A client of a running vLLM server at `apiBase`.
    public convenience init(
        modelID: String, apiBase: String, apiKey: String? = nil, flattenMessagesAsText: Bool = true,
        chatTemplateKwargs: JSONObject = [:], parameters: ModelParameters = [:],
        http: HTTPConfiguration = HTTPConfiguration()
    ) {
        self.init(modelID: modelID, apiBase: apiBase, apiKey: apiKey, flattenMessagesAsText: flattenMessagesAsText,
                  chatTemplateKwargs: chatTemplateKwargs, parameters: parameters, http: http, server: nil)
    }

    private init(
        modelID: String, apiBase: String, apiKey: String?, flattenMessagesAsText: Bool, chatTemplateKwargs: JSONObject,
        parameters: ModelParameters, http: HTTPConfiguration, server: ChildServer?
    ) {
        self.modelID = modelID
        self.apiBase = apiBase
        self.server = server
        let url = endpoint(apiBase, appending: "chat/completions")
        var client = OpenAICompatibleClient(
            modelID: modelID, http: HTTPEngine(configuration: http),
            credential: apiKey.map { .bearer(Secret($0)) } ?? .none,
            headers: [("User-Agent", "swift-smolagents/\(SmolVersion.current)")], parameters: parameters,
            flattenMessagesAsText: flattenMessagesAsText, roleConversions: nil, rateLimiter: nil,
            target: { .init(url: url, model: modelID) },
            adjustBody: { body, _ in Self.adjust(&body, chatTemplateKwargs: chatTemplateKwargs) })
        client.providerName = "vllm"
        self.client = client
    }

    /// Starts `vllm serve` (or the given command) for `modelID` on a free loopback port, waits until it
    /// answers `GET /v1/models`, and returns a model bound to it.
    ///
    /// - Parameters:
    ///   - modelID: The model to serve, passed to the server as `{model}` and sent as `model`.
    ///   - server: The command line; `{model}`, `{host}` and `{port}` in its arguments are
    ///     replaced. The default is `vllm serve {model} --host {host} --port {port}`.
    ///   - apiKey: A key to send as a bearer token, if the server wants one.
    ///   - flattenMessagesAsText: Send content as plain strings (smolagents' default for vLLM).
    ///   - chatTemplateKwargs: Sent as `chat_template_kwargs`.
    ///   - parameters: Model-level completion parameters, sent with every call and overriding per-call ones.
    ///   - http: Timeouts, redirects, hooks (also used while waiting for the server to start).
    public static func launch(
        modelID: String, server: ServerCommand = .vllm(), apiKey: String? = nil, flattenMessagesAsText: Bool = true,
        chatTemplateKwargs: JSONObject = [:], parameters: ModelParameters = [:],
        http: HTTPConfiguration = HTTPConfiguration()
    ) async throws -> VLLMModel {
        let child = try await ChildServer.start(server, model: modelID, engine: HTTPEngine(configuration: http))
        return VLLMModel(modelID: modelID, apiBase: child.baseURL, apiKey: apiKey,
                         flattenMessagesAsText: flattenMessagesAsText, chatTemplateKwargs: chatTemplateKwargs,
                         parameters: parameters, http: http, server: child)
    }

    /// Stops the server this model started, if any, and waits for it to exit.
    public func shutdown() async {
        await server?.stop()
    }

    deinit { server?.terminate() }

    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await client.generate(messages, options: options)
    }

    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        client.generateStream(messages, options: options)
    }

    /// vLLM's extensions: structured outputs for a JSON schema, chat-template arguments.
    static func adjust(_ body: inout JSONObject, chatTemplateKwargs: JSONObject) {
        if body["response_format"]?["type"] == "json_schema", let schema = body["response_format"]?["json_schema"]?["schema"] {
            body.removeValue(forKey: "response_format")
            body["structured_outputs"] = ["json": schema]
        }
        if !chatTemplateKwargs.isEmpty { body["chat_template_kwargs"] = .object(chatTemplateKwargs) }
    }
}

/// The command that starts an OpenAI-compatible server.
public struct ServerCommand: Sendable {
    /// The executable: a path, or a name looked up on `PATH`.
    public var executable: String
    /// Arguments; `{model}`, `{host}`, `{port}` are replaced.
    public var arguments: [String]
    /// Extra environment variables for the child.
    public var environment: [String: String]
    /// How long to wait for the server to answer.
    public var startupTimeout: Duration

    /// Creates a command.
    public init(executable: String, arguments: [String], environment: [String: String] = [:],
                startupTimeout: Duration = .seconds(600)) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.startupTimeout = startupTimeout
    }

    /// `vllm serve {model} --host {host} --port {port}` plus `extraArguments`.
    public static func vllm(executable: String = "vllm", extraArguments: [String] = []) -> ServerCommand {
        ServerCommand(executable: executable,
                      arguments: ["serve", "{model}", "--host", "{host}", "--port", "{port}"] + extraArguments)
    }
}
