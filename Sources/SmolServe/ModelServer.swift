import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SmolCore

/// How `smol serve` listens and what it allows.
public struct ServeConfiguration: Sendable {
    /// The address to bind (`127.0.0.1` by default: only this machine).
    public var host: String
    /// The port (0 picks a free one; see ``ModelServer/run(onRunning:)``).
    public var port: Int
    /// When set, every `/v1` request needs `Authorization: Bearer <key>`.
    public var apiKey: Secret?
    /// The largest request body accepted (413 above it).
    public var maxBodyBytes: Int
    /// An upper bound on `max_tokens` (and the limit when a request gives none).
    public var maxTokensCap: Int?
    /// Requests one model generates at once; more wait in its queue.
    public var parallel: Int
    /// Requests that may wait per model; beyond that a request is answered 429 at once.
    public var maxQueue: Int
    /// Whether each request's log line includes the last user message (off: prompts are private).
    public var logPrompts = false

    /// Creates a configuration.
    public init(host: String = "127.0.0.1", port: Int = 8080, apiKey: Secret? = nil, maxBodyBytes: Int = 8 << 20,
                maxTokensCap: Int? = nil, parallel: Int = 16, maxQueue: Int = 64) {
        self.parallel = parallel
        self.maxQueue = maxQueue
        self.host = host
        self.port = port
        self.apiKey = apiKey
        self.maxBodyBytes = maxBodyBytes
        self.maxTokensCap = maxTokensCap
    }
}

/// Any ``/SmolCore/Model``s behind OpenAI's chat-completions API: `POST /v1/chat/completions` (whole or
/// streamed as server-sent events), Anthropic's `POST /v1/messages`, `GET /v1/models`, `GET /health` and
/// `GET /metrics` (Prometheus). The request's `model` picks the model.
public struct ModelServer: Sendable {
    /// The served models by name, in order.
    public let models: [(name: String, model: any Model)]
    /// Listening and limits.
    public let configuration: ServeConfiguration
    let logger: Logger
    let metrics = ServerMetrics()
    let gates: [String: AdmissionGate]

    /// Creates a server for `models` (names must be distinct).
    public init(models: [(name: String, model: any Model)], configuration: ServeConfiguration = ServeConfiguration(),
                logger: Logger = Logger(label: "smol.serve")) {
        self.models = models
        self.configuration = configuration
        self.logger = logger
        var gates: [String: AdmissionGate] = [:]
        let metrics = self.metrics
        for (name, _) in models {
            gates[name] = AdmissionGate(parallel: configuration.parallel, queue: configuration.maxQueue) { active, waiting in
                metrics.active(model: name, active)
                metrics.queueDepth(model: name, waiting)
            }
        }
        self.gates = gates
    }

    /// Waits for a generation slot of model `name`, or throws a 429 when its queue is full.
    func admit(_ name: String) async throws(ServeError) -> AdmissionGate {
        guard let gate = gates[name] else { throw ServeError(status: 404, message: "The model '\(name)' does not exist") }
        guard await gate.enter() else {
            metrics.request(model: name, status: 429, usage: nil, firstToken: nil, total: .zero)
            throw ServeError(status: 429, message: "too many requests queued for '\(name)'; retry shortly",
                             type: "rate_limit_error", code: "queue_full", retryAfterSeconds: 1)
        }
        return gate
    }

    /// Serves until SIGTERM or SIGINT (then stops accepting, lets running requests finish, returns) or until
    /// the calling task is cancelled. `onRunning` receives the bound port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let app = Application(
            router: makeRouter(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "smol"),
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
        try await app.runService()
    }

    func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.get("health") { _, _ -> Response in
            Self.json(["status": "ok"], status: .ok)
        }
        router.get("metrics") { _, _ -> Response in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: metrics.exposition())))
        }
        let v1 = router.group("v1")
        v1.get("models") { request, _ -> Response in
            if let denied = authorize(request) { return denied }
            let data: [JSONValue] = models.map { ["id": .string($0.name), "object": "model", "created": 0, "owned_by": "smol"] }
            return Self.json(["object": "list", "data": .array(data)], status: .ok)
        }
        v1.post("messages") { request, _ -> Response in
            if authorize(request) != nil {
                return Self.json(ServeError(status: 401, message: "invalid x-api-key").anthropicJSON, status: .unauthorized)
            }
            do {
                return try await messages(request)
            } catch let error as ServeError {
                return Self.anthropicError(error)
            }
        }
        v1.post("chat/completions") { request, _ -> Response in
            if let denied = authorize(request) { return denied }
            do {
                return try await chatCompletions(request)
            } catch let error as ServeError {
                return Self.error(error)
            }
        }
        return router
    }

    /// nil when the request may pass, else the 401 answer.
    func authorize(_ request: Request) -> Response? {
        guard let key = configuration.apiKey else { return nil }
        let given = request.headers[.authorization] ?? ""
        // Anthropic's clients send the key as x-api-key.
        let anthropicKey = HTTPField.Name("x-api-key").flatMap { request.headers[$0] }.map { "Bearer " + $0 } ?? ""
        let expected = "Bearer " + key.revealed
        guard Self.constantTimeEquals(given, expected) || Self.constantTimeEquals(anthropicKey, expected) else {
            return Self.error(ServeError(status: 401, message: "Incorrect or missing API key: send Authorization: Bearer <key>",
                                         type: "invalid_request_error", code: "invalid_api_key"))
        }
        return nil
    }

    /// Compares without an early exit, so the time taken does not reveal how much of a key was right.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        var difference = UInt8(truncatingIfNeeded: x.count ^ y.count) | (x.count == y.count ? 0 : 1)
        for i in 0..<max(x.count, y.count) {
            difference |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0)
        }
        return difference == 0
    }

    /// The request body as JSON, within the size limit.
    func body(_ request: Request) async throws(ServeError) -> JSONValue {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: configuration.maxBodyBytes)
        } catch {
            throw ServeError(status: 413, message: "the request body is over \(configuration.maxBodyBytes) bytes")
        }
        do {
            return try JSONValue(parsing: Array(buffer.readableBytesView))
        } catch {
            throw .badRequest("the body is not JSON: \(error)")
        }
    }

    /// The served model a request names, or a 404 listing the served names.
    func model(named name: String) throws(ServeError) -> any Model {
        guard let served = models.first(where: { $0.name == name }) else {
            throw ServeError(status: 404, message: "The model '\(name)' does not exist; served: "
                                 + models.map(\.name).joined(separator: ", "), param: "model", code: "model_not_found")
        }
        return served.model
    }

    private func chatCompletions(_ request: Request) async throws(ServeError) -> Response {
        let parsed = try ChatCompletionRequest(json: try await body(request), maxTokensCap: configuration.maxTokensCap)
        let served = (name: parsed.model, model: try model(named: parsed.model))
        let id = ChatCompletionResponse.newID(), created = Int(Date().timeIntervalSince1970)
        let gate = try await admit(parsed.model)
        if parsed.stream {
            return stream(parsed, model: served.model, id: id, created: created, gate: gate)
        }
        let started = ContinuousClock.now
        defer { Task { await gate.leave() } }
        do {
            logPrompt(id: id, parsed.messages)
            let message = try await served.model.generate(parsed.messages, options: parsed.options)
            log(id: id, model: parsed.model, status: 200, usage: message.tokenUsage, since: started)
            return Self.json(ChatCompletionResponse.completion(message, id: id, model: parsed.model, created: created), status: .ok)
        } catch let error as ModelError {
            let answer = ServeError(modelError: error)
            log(id: id, model: parsed.model, status: answer.status, usage: nil, since: started)
            throw answer
        } catch {
            throw ServeError(status: 500, message: "\(error)", type: "server_error")
        }
    }

    /// Streams the answer as `data: {chunk}` events and `data: [DONE]`. A failure after the first event
    /// is sent as an `error` event (the status is already 200); a client that goes away ends the model's
    /// stream, which stops a local generation at its next token.
    private func stream(_ parsed: ChatCompletionRequest, model: any Model, id: String, created: Int, gate: AdmissionGate) -> Response {
        let name = parsed.model, includeUsage = parsed.includeUsage
        // With tools, text may turn out to be a call (a local model writes it as text): hold it until the
        // end, and send it only if no call came, so clients never see a call's JSON as content.
        let holdText = !(parsed.options.tools ?? []).isEmpty
        logPrompt(id: id, parsed.messages)
        let deltas = model.generateStream(parsed.messages, options: parsed.options)
        let logger = self.logger, metrics = self.metrics
        let body = ResponseBody { writer in
            let started = ContinuousClock.now
            var firstToken: Duration?
            var status = 200
            var first = true
            var usage: TokenUsage?
            var finish: String?
            var held = ""
            var calls = false
            defer {
                let total = ContinuousClock.now - started
                metrics.request(model: name, status: status, usage: usage, firstToken: firstToken, total: total)
                Task { await gate.leave() }
            }
            func send(_ value: JSONValue) async throws {
                try await writer.write(ByteBuffer(string: "data: " + JSONEmitter().string(from: value) + "\n\n"))
            }
            do {
                for try await var delta in deltas {
                    if let u = delta.tokenUsage { usage = u }
                    if let f = delta.finishReason { finish = f }
                    if firstToken == nil, !(delta.content ?? "").isEmpty { firstToken = ContinuousClock.now - started }
                    if holdText, let text = delta.content {
                        held += text
                        delta.content = nil
                    }
                    if !(delta.toolCalls ?? []).isEmpty { calls = true }
                    if let piece = ChatCompletionResponse.delta(delta, first: first) {
                        try await send(ChatCompletionResponse.chunk(id: id, model: name, created: created, delta: piece,
                                                                    finishReason: nil, usage: nil))
                        first = false
                    }
                }
                if holdText, !calls, !held.isEmpty {
                    var piece: JSONObject = first ? ["role": "assistant"] : [:]
                    piece["content"] = .string(held)
                    try await send(ChatCompletionResponse.chunk(id: id, model: name, created: created, delta: piece,
                                                                finishReason: nil, usage: nil))
                    first = false
                }
                try await send(ChatCompletionResponse.chunk(id: id, model: name, created: created,
                                                            delta: first ? ["role": "assistant"] : [:],
                                                            finishReason: finish ?? "stop", usage: nil))
                if includeUsage, let usage {
                    try await send(ChatCompletionResponse.chunk(id: id, model: name, created: created, delta: nil,
                                                                finishReason: nil, usage: usage))
                }
                try await writer.write(ByteBuffer(string: "data: [DONE]\n\n"))
                logger.info("request", metadata: Self.metadata(id: id, model: name, status: 200, usage: usage, since: started))
            } catch let error as ModelError {
                let answer = ServeError(modelError: error)
                status = answer.status
                try? await send(answer.json)
                logger.info("request", metadata: Self.metadata(id: id, model: name, status: answer.status, usage: usage, since: started))
            }
            try await writer.finish(nil)
        }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        return Response(status: .ok, headers: headers, body: body)
    }

    /// With `logPrompts`, an info line with the request's last user message (at most 2,000 characters).
    func logPrompt(id: String, _ messages: [ChatMessage]) {
        guard configuration.logPrompts, let text = messages.last(where: { $0.role == .user })?.text else { return }
        logger.info("prompt", metadata: ["id": "\(id)", "prompt": "\(text.prefix(2000))"])
    }

    func log(id: String, model: String, status: Int, usage: TokenUsage?, since: ContinuousClock.Instant) {
        metrics.request(model: model, status: status, usage: usage, firstToken: nil, total: ContinuousClock.now - since)
        logger.info("request", metadata: Self.metadata(id: id, model: model, status: status, usage: usage, since: since))
    }

    /// One log line per request: id, model, status, tokens, latency; never a key or the prompt.
    static func metadata(id: String, model: String, status: Int, usage: TokenUsage?, since: ContinuousClock.Instant) -> Logger.Metadata {
        let elapsed = ContinuousClock.now - since
        var metadata: Logger.Metadata = ["id": "\(id)", "model": "\(model)", "status": "\(status)",
                                         "ms": "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)"]
        if let usage {
            metadata["prompt_tokens"] = "\(usage.inputTokens)"
            metadata["completion_tokens"] = "\(usage.outputTokens)"
        }
        return metadata
    }

    static func json(_ value: JSONValue, status: HTTPResponse.Status) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: JSONEmitter().string(from: value))))
    }

    static func anthropicError(_ error: ServeError) -> Response {
        var response = json(error.anthropicJSON, status: HTTPResponse.Status(code: error.status))
        if let wait = error.retryAfterSeconds { response.headers[.retryAfter] = String(wait) }
        return response
    }

    static func error(_ error: ServeError) -> Response {
        var response = json(error.json, status: HTTPResponse.Status(code: error.status))
        if let wait = error.retryAfterSeconds { response.headers[.retryAfter] = String(wait) }
        return response
    }
}
