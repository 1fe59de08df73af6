import ArgumentParser
import Foundation
import SmolModels
import SmolServe

/// `smol serve`: one model behind OpenAI's chat-completions API.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a model behind an OpenAI-compatible endpoint.",
        discussion: """
            Takes the same model flags as `smol generate`, or --model-list FILE (LiteLLM's model_list) to serve
            every model group of the list, the request's "model" picking the group. SIGTERM or SIGINT stops accepting connections, lets
            running requests finish, and exits 0.
            Examples:
              smol serve                                    # the default local model (SmolLM2) on 127.0.0.1:8080
              smol serve --model-id gpt-4o-mini --port 9000 --serve-api-key secret
              curl http://127.0.0.1:8080/v1/chat/completions -H 'content-type: application/json' \\
                -d '{"model": "HuggingFaceTB/SmolLM2-135M-Instruct", "messages": [{"role": "user", "content": "Hello!"}]}'
            """)

    @OptionGroup var model: ModelOptions

    @Option(help: "The address to bind.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port = 8080

    @Option(help: "The name clients put in \"model\" (default: --model-id, or \"default\" for the default local model).")
    var servedModelName: String?

    @Option(help: "Require `Authorization: Bearer KEY` on /v1 requests (default: SMOL_SERVE_API_KEY; none when unset). --api-key is the backend's key.")
    var serveApiKey: String?

    @Option(help: "An upper bound on max_tokens, also the limit when a request gives none.")
    var maxTokensCap: Int?

    @Option(help: "The largest request body in bytes.")
    var maxBodyBytes = 8 << 20

    @Flag(help: "Log each request's last user message (off by default: prompts are private).")
    var logPrompts = false

    @Option(help: "Requests one model answers at once (for a local model: the sequences decoded together); more wait in its queue.")
    var parallel = 16

    @Option(help: "Requests that may wait per model; beyond that a request is answered 429 with Retry-After.")
    var maxQueue = 64

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be in 0...65535") }
        if let cap = maxTokensCap, cap < 1 { throw ValidationError("--max-tokens-cap must be positive") }
        guard maxBodyBytes > 0 else { throw ValidationError("--max-body-bytes must be positive") }
        guard parallel > 0 else { throw ValidationError("--parallel must be positive") }
        guard maxQueue >= 0 else { throw ValidationError("--max-queue must not be negative") }
    }

    func run() async throws {
        var options = model
        let served: [(name: String, model: any Model)]
        if options.modelList != nil {
            // A gateway: every model group of the LiteLLM model_list, picked by the request's "model".
            served = try await options.makeGatewayModels()
        } else {
            // With no backend named, serve the default local model (the README's one-command main job).
            if options.modelType == "OpenAIServerModel", options.modelID == nil, options.apiBase == nil {
                options.modelType = "TransformersModel"
            }
            let local = options.modelType == "TransformersModel" ? ModelOptions.defaultLocalModel : "default"
            served = [(servedModelName ?? options.modelID ?? local, try await options.makeModel(maxBatchSize: parallel))]
        }
        let key = serveApiKey ?? ProcessInfo.processInfo.environment["SMOL_SERVE_API_KEY"]
        let name = served.map(\.name).joined(separator: ", ")
        var configuration = ServeConfiguration(host: host, port: port, apiKey: key.flatMap { $0.isEmpty ? nil : Secret($0) },
                                               maxBodyBytes: maxBodyBytes, maxTokensCap: maxTokensCap, parallel: parallel,
                                               maxQueue: maxQueue)
        configuration.logPrompts = logPrompts
        let server = ModelServer(models: served, configuration: configuration)
        try await server.run { port in
            FileHandle.standardError.write(Data("smol serve: \(name) on http://\(host):\(port)/v1\n".utf8))
        }
    }
}
