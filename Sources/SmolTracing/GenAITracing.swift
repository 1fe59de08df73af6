import SmolCore
import Tracing

/// One span per `generate` / `generateStream`, with OpenTelemetry's GenAI semantic conventions
/// (`chat {model}`, `gen_ai.operation.name`, `gen_ai.provider.name`, `gen_ai.request.*`,
/// `gen_ai.response.finish_reasons`, `gen_ai.usage.*`, errors recorded), through swift-distributed-tracing.
///
/// Shared by the remote backends (SmolRemote) and the local engine (SmolLocal), which never import each other; a
/// target of its own because SmolCore depends on nothing. Its symbols are `package`: not API.
///
/// The libraries depend on the tracing API only: spans go to the given tracer (``HTTPConfiguration/tracer``, a local
/// model's `tracer`), else to the tracer the application bootstrapped (`InstrumentationSystem.bootstrap`; none means
/// a no-op tracer, and no attribute is even computed). Prompts and answers are never recorded.
package enum GenAITracing {
    /// The request attributes: the values the backend actually used.
    package struct Request: Sendable {
        package var temperature: Double?
        package var topP: Double?
        package var topK: Int?
        package var maxTokens: Int?
        package var seed: Int?
        package var stopSequences: [String]?

        package init(temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil, maxTokens: Int? = nil,
                     seed: Int? = nil, stopSequences: [String]? = nil) {
            self.temperature = temperature
            self.topP = topP
            self.topK = topK
            self.maxTokens = maxTokens
            self.seed = seed
            self.stopSequences = stopSequences
        }

        /// What a remote request sends: model-level parameters win over per-call ones (smolagents' rule).
        package init(options: GenerateOptions, modelParameters: ModelParameters) {
            func parameter(_ names: String...) -> JSONValue? {
                for name in names {
                    if case .value(let value)? = modelParameters[name] { return value }
                    if let value = options.parameters[name] { return value }
                }
                return nil
            }
            self.init(temperature: parameter("temperature")?.doubleValue, topP: parameter("top_p")?.doubleValue,
                      maxTokens: parameter("max_tokens", "max_completion_tokens", "max_new_tokens")?.intValue,
                      stopSequences: options.stopSequences)
        }
    }

    /// A remote `generate` call inside its `client` span.
    package static func traced(
        provider: String, model: String?, options: GenerateOptions, modelParameters: ModelParameters, tracer: (any Tracer)?,
        _ body: () async throws -> ChatMessage
    ) async throws -> ChatMessage {
        try await traced(provider: provider, model: model, kind: .client,
                         request: Request(options: options, modelParameters: modelParameters), tracer: tracer, body)
    }

    /// A remote stream inside its `client` span.
    package static func traced(
        provider: String, model: String?, options: GenerateOptions, modelParameters: ModelParameters, tracer: (any Tracer)?,
        stream upstream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    ) -> AsyncThrowingStream<ChatMessageStreamDelta, any Error> {
        traced(provider: provider, model: model, kind: .client, request: Request(options: options, modelParameters: modelParameters),
               tracer: tracer, stream: upstream)
    }

    /// A `generate` call inside its span (`kind`: `client` for a remote service, `internal` for a model in this
    /// process, as the conventions allow). `request` is evaluated only when the span records.
    package static func traced(
        provider: String, model: String?, kind: SpanKind, request: @autoclosure () -> Request, tracer: (any Tracer)?,
        _ body: () async throws -> ChatMessage
    ) async throws -> ChatMessage {
        let span = start(provider: provider, model: model, kind: kind, request: request, tracer: tracer)
        defer { span.end() }
        do {
            let message = try await body()
            if span.isRecording { record(span, finishReason: message.finishReason, usage: message.tokenUsage) }
            return message
        } catch {
            fail(span, error)
            throw error
        }
    }

    /// A stream inside its span, which ends with the stream: finished, failed or cancelled by its consumer.
    ///
    /// The span's bookkeeping runs in the consumer's own `next()` calls (decision 006): no forwarding task,
    /// so the upstream keeps its back-pressure, and a consumer that stops early (cancels, or drops the
    /// stream) ends the span as cancelled, not as a success.
    package static func traced(
        provider: String, model: String?, kind: SpanKind, request: @autoclosure () -> Request, tracer: (any Tracer)?,
        stream upstream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    ) -> AsyncThrowingStream<ChatMessageStreamDelta, any Error> {
        let span = start(provider: provider, model: model, kind: kind, request: request, tracer: tracer)
        guard span.isRecording else {
            span.end()
            return upstream
        }
        let state = TracedStream(upstream: upstream.makeAsyncIterator(), span: span)
        return AsyncThrowingStream(unfolding: { try await state.next() })
    }

    /// The state behind a traced stream: the upstream iterator, what the span will record, and whether it ended.
    ///
    /// `@unchecked Sendable` is sound: one instance serves one `AsyncThrowingStream(unfolding:)`, whose closure
    /// is called by a single consumer one call at a time, and `deinit` runs after the last of those calls.
    private final class TracedStream: @unchecked Sendable {
        private var upstream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>.AsyncIterator?
        private let span: any Span
        private var finishReason: String?
        private var usage: TokenUsage?
        private var ended = false

        init(upstream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>.AsyncIterator, span: any Span) {
            self.upstream = upstream
            self.span = span
        }

        func next() async throws -> ChatMessageStreamDelta? {
            guard var iterator = upstream else { return nil }
            let delta: ChatMessageStreamDelta?
            do {
                delta = try await iterator.next()
            } catch {
                upstream = nil
                end(failure: error)
                throw error
            }
            guard let delta else {
                upstream = nil
                // An upstream that ends because its consumer was cancelled did not finish: a cancelled span.
                end(failure: Task.isCancelled ? ModelError.cancelled : nil)
                return nil
            }
            upstream = iterator
            if let reason = delta.finishReason { finishReason = reason }
            if let more = delta.tokenUsage { usage = usage.map { $0 + more } ?? more }
            return delta
        }

        private func end(failure: (any Error)?) {
            guard !ended else { return }
            ended = true
            if let failure { GenAITracing.fail(span, failure) } else { GenAITracing.record(span, finishReason: finishReason, usage: usage) }
            span.end()
        }

        deinit {
            // Dropped before its end: the consumer stopped reading.
            if !ended { end(failure: ModelError.cancelled) }
        }
    }

    private static func start(provider: String, model: String?, kind: SpanKind, request: () -> Request,
                              tracer: (any Tracer)?) -> any Span {
        let tracer = tracer ?? InstrumentationSystem.tracer
        let span = tracer.startSpan("chat" + (model.map { " " + $0 } ?? ""), ofKind: kind)
        guard span.isRecording else { return span }
        let request = request()
        var attributes = span.attributes
        attributes["gen_ai.operation.name"] = "chat"
        attributes["gen_ai.provider.name"] = provider
        if let model { attributes["gen_ai.request.model"] = model }
        if let temperature = request.temperature { attributes["gen_ai.request.temperature"] = temperature }
        if let topP = request.topP { attributes["gen_ai.request.top_p"] = topP }
        // The conventions type top_k as a double.
        if let topK = request.topK { attributes["gen_ai.request.top_k"] = Double(topK) }
        if let maxTokens = request.maxTokens { attributes["gen_ai.request.max_tokens"] = maxTokens }
        if let seed = request.seed { attributes["gen_ai.request.seed"] = seed }
        if let stops = request.stopSequences, !stops.isEmpty { attributes["gen_ai.request.stop_sequences"] = stops }
        span.attributes = attributes
        return span
    }

    fileprivate static func record(_ span: any Span, finishReason: String?, usage: TokenUsage?) {
        var attributes = span.attributes
        if let finishReason { attributes["gen_ai.response.finish_reasons"] = [finishReason] }
        if let usage {
            attributes["gen_ai.usage.input_tokens"] = usage.inputTokens
            attributes["gen_ai.usage.output_tokens"] = usage.outputTokens
        }
        span.attributes = attributes
    }

    fileprivate static func fail(_ span: any Span, _ error: any Error) {
        span.recordError(error)
        // A low-cardinality type, as the conventions ask: the HTTP status, or the error's kind (never its message).
        let type: String
        if case .cancelled? = error as? ModelError {
            type = "cancelled"  // the one case without a payload, so without a label in its mirror
        } else if let error = error as? ModelError {
            type = error.status.map(String.init) ?? Mirror(reflecting: error).children.first?.label ?? "ModelError"
        } else {
            type = String(describing: Swift.type(of: error))
        }
        span.attributes["error.type"] = type
        span.setStatus(SpanStatus(code: .error))
    }
}
