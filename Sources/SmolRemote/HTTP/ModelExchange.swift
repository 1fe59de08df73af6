import SmolCore

/// What every HTTP model client does around its codec: one GenAI span per call, the rate limiter, the
/// exchange through the engine, and decoding errors redacted with the request's secrets. A client supplies
/// only how to build its request and read its answer.
struct ModelExchange: Sendable {
    /// OpenTelemetry's `gen_ai.provider.name`.
    let provider: String
    let modelID: String?
    let parameters: ModelParameters
    let http: HTTPEngine
    let rateLimiter: RateLimiter?

    /// One non-streamed call: `request` builds the request and its secrets, `decode` reads the body.
    func generate(options: GenerateOptions, request: () async throws -> (HTTPEngine.Request, [Secret]),
                  decode: ([UInt8]) throws -> ChatMessage) async throws -> ChatMessage {
        try await GenAITracing.traced(provider: provider, model: modelID, options: options, modelParameters: parameters,
                                      tracer: http.configuration.tracer) {
            let (request, secrets) = try await request()
            _ = try await rateLimiter?.throttle()
            let response = try await http.send(request, secrets: secrets)
            do {
                return try decode(response.body)
            } catch let error as ModelError {
                throw error.redacted(secrets)
            }
        }
    }

    /// One stream, framed by `Framing` and pulled by its consumer; `transform` adapts the deltas (client-side
    /// stops, a JSON mode) inside the span.
    func stream<Framing: DeltaFraming>(
        _ framing: Framing.Type, options: GenerateOptions,
        request: @escaping @Sendable () async throws -> (HTTPEngine.Request, [Secret]),
        transform: (AsyncThrowingStream<ChatMessageStreamDelta, any Error>) -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
            = { $0 }
    ) -> AsyncThrowingStream<ChatMessageStreamDelta, any Error> {
        let exchange = self
        let stream = DeltaStreamSource<Framing>(open: {
            let (request, secrets) = try await request()
            _ = try await exchange.rateLimiter?.throttle()
            return (try await exchange.http.stream(request, secrets: secrets), secrets)
        }).stream
        return GenAITracing.traced(provider: provider, model: modelID, options: options, modelParameters: parameters,
                                   tracer: http.configuration.tracer, stream: transform(stream))
    }
}
