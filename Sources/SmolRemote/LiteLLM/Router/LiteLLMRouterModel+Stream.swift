import SmolCore

extension LiteLLMRouterModel {
    /// Streams from one deployment of the group, failing over (retries, then fallback groups) only until the
    /// first delta arrives.
    ///
    /// Opening a stream and waiting for its first delta is the attempt that may be retried elsewhere; once a
    /// delta has been handed to the caller, a failure ends the stream with that error (and counts against the
    /// deployment) rather than starting again on another deployment, which would repeat output.
    /// Cancelling the consumer cancels the request and releases the deployment.
    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let core = core
        return AsyncThrowingStream { continuation in
            let task = Task {
                var opened: OpenedStream?
                do {
                    let stream = try await route(messages, streaming: true) { index in
                        try await Self.open(index, core: core, messages: messages, options: options)
                    }
                    opened = stream
                    var usage: TokenUsage?
                    if let first = stream.first {
                        usage = first.tokenUsage ?? usage
                        continuation.yield(first)
                        var iterator = stream.iterator
                        while let delta = try await iterator.next() {
                            if let reported = delta.tokenUsage { usage = reported }
                            continuation.yield(delta)
                        }
                    }
                    opened = nil
                    core.succeeded(stream.index, started: stream.started, firstToken: stream.firstAt, usage: usage)
                    continuation.finish()
                } catch {
                    // A failure after the first delta: the deployment is charged, nothing is retried.
                    if let stream = opened { core.failed(stream.index, error: error) }
                    continuation.finish(throwing: RouterCore.isCancellation(error) ? ModelError.cancelled as any Error : error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// A deployment's stream that has produced its first delta (or ended without one).
    struct OpenedStream {
        let index: Int
        let started: Duration
        let firstAt: Duration?
        let first: ChatMessageStreamDelta?
        var iterator: AsyncThrowingStream<ChatMessageStreamDelta, any Error>.Iterator
    }

    /// Opens deployment `index`'s stream and waits for its first delta; a failure is recorded and thrown so
    /// that the router may try elsewhere.
    private static func open(
        _ index: Int, core: RouterCore, messages: [ChatMessage], options: GenerateOptions
    ) async throws -> OpenedStream {
        let started = core.clock.now()
        var iterator = core.entries[index].model.generateStream(messages, options: options).makeAsyncIterator()
        do {
            let first = try await iterator.next()
            return OpenedStream(index: index, started: started, firstAt: first == nil ? nil : core.clock.now(),
                                first: first, iterator: iterator)
        } catch {
            core.failed(index, error: error)
            throw error
        }
    }
}
