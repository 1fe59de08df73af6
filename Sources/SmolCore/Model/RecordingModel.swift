import Foundation

/// Wraps any model and records each request and its answer to a JSON-lines cassette, for
/// ``ReplayModel`` to play back offline.
///
/// Calls pass through unchanged. A completed `generate` and a completed (or failed) stream are
/// recorded; a stream the consumer abandons is not, as its answer is incomplete. A `generate` that
/// throws is not recorded.
public struct RecordingModel: Model {
    private let base: any Model
    private let writer: CassetteWriter

    /// Records calls to `base` in the cassette at `cassette`, appending, or starting afresh if `truncate`.
    public init(wrapping base: any Model, cassette: URL, truncate: Bool = false) throws(ModelError) {
        self.base = base
        self.writer = try CassetteWriter(url: cassette, truncate: truncate)
    }

    public var modelID: String? { base.modelID }
    public var toolNameKey: String { base.toolNameKey }
    public var toolArgumentsKey: String { base.toolArgumentsKey }
    public var streamsIncrementally: Bool { base.streamsIncrementally }

    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        let message = try await base.generate(messages, options: options)
        let request = CassetteEntry.request(modelID: modelID, messages: messages, options: options)
        try await writer.append(CassetteEntry(request: request, response: .message(message)))
        return message
    }

    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let upstream = base.generateStream(messages, options: options)
        let request = CassetteEntry.request(modelID: modelID, messages: messages, options: options)
        let writer = self.writer
        return AsyncThrowingStream { continuation in
            let task = Task {
                var deltas: [ChatMessageStreamDelta] = []
                do {
                    for try await delta in upstream {
                        deltas.append(delta)
                        continuation.yield(delta)
                    }
                    try Task.checkCancellation()
                    try await writer.append(CassetteEntry(request: request, response: .stream(deltas: deltas, error: nil)))
                    continuation.finish()
                } catch is CancellationError {
                    continuation.finish(throwing: CancellationError())
                } catch {
                    let entry = CassetteEntry(request: request, response: .stream(deltas: deltas, error: "\(error)"))
                    do {
                        try await writer.append(entry)
                        continuation.finish(throwing: error)
                    } catch let writeError {
                        continuation.finish(throwing: writeError)
                    }
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
