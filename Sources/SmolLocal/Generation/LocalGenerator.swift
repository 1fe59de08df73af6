import Dispatch
import SmolCore
import Synchronization

/// What one generation asks for.
struct GenerationRequest: Sendable {
    var promptIDs: [Int32]
    var maxNewTokens: Int
    var sampling: SamplingParameters
    var seed: UInt64
    var stopSequences: [String]
}

/// What a generation produces: visible text as it is decoded, then a summary.
enum GenerationEvent: Sendable {
    case text(String)
    case finished(GenerationSummary, text: String)
}

/// How a generation ended.
struct GenerationSummary: Sendable {
    var promptTokens: Int
    var generatedTokens: Int
    /// `"stop"` (end-of-sequence token or stop sequence) or `"length"` (token or context limit).
    var finishReason: String
}

/// Runs generations for one local model, one at a time, on a dispatch queue of its own.
///
/// Decoding is seconds of CPU work; it never runs on Swift's cooperative thread pool (which has as many
/// threads as cores and would starve every other task). One ``InferenceSession`` is kept between calls,
/// so a prompt that extends the previous conversation reuses its cached keys and values.
final class LocalGenerator: Sendable {
    let checkpoint: LocalCheckpoint
    let contextLength: Int
    private let queue = DispatchQueue(label: "swift-smolagents.local-generation")
    private let state = QueueConfined()

    init(checkpoint: LocalCheckpoint, contextLength: Int?) {
        self.checkpoint = checkpoint
        let limit = checkpoint.model.config.maxPositions
        self.contextLength = max(1, min(contextLength ?? min(limit, 8_192), limit))
    }

    /// Starts a generation whose events become the stream's elements through `transform`. Ending the
    /// stream early (or cancelling its consumer) stops decoding at the next token.
    func start<Element: Sendable>(
        _ request: GenerationRequest, transform: @escaping @Sendable (GenerationEvent) -> Element
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Element.self)
        let cancelled = CancellationFlag()
        continuation.onTermination = { _ in cancelled.set() }
        queue.async { [self] in
            do {
                var text = ""
                let summary = try run(request, cancelled: cancelled) { piece in
                    text += piece
                    continuation.yield(transform(.text(piece)))
                }
                continuation.yield(transform(.finished(summary, text: text)))
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        return stream
    }

    private func run(_ request: GenerationRequest, cancelled: CancellationFlag,
                     emit: (String) -> Void) throws -> GenerationSummary {
        let prompt = request.promptIDs
        guard !prompt.isEmpty else { throw ModelError.invalidInput(message: "the prompt has no tokens", location: "messages") }
        guard prompt.count < contextLength else {
            throw ModelError.invalidInput(
                message: "the prompt has \(prompt.count) tokens; the context holds \(contextLength)", location: "messages")
        }
        dispatchPrecondition(condition: .onQueue(queue))
        let session: InferenceSession
        if let existing = state.session {
            session = existing
        } else {
            do {
                session = try InferenceSession(model: checkpoint.model, contextLength: contextLength)
            } catch {
                throw ModelError.invalidInput(message: error.description, location: "contextLength")
            }
        }
        state.session = session
        do {
            // Reuse the cached prefix, but always run at least the last prompt token to get its logits.
            let reused = min(session.cachedPrefixLength(of: prompt), prompt.count - 1)
            try session.truncate(to: reused)
            try session.prefill(Array(prompt[reused...]))
            return try decodeLoop(session, request, cancelled: cancelled, emit: emit)
        } catch let error as InferenceError {
            session.reset()
            throw ModelError.invalidInput(message: error.description, location: "messages")
        } catch {
            session.reset()
            throw error
        }
    }

    private func decodeLoop(_ session: InferenceSession, _ request: GenerationRequest, cancelled: CancellationFlag,
                            emit: (String) -> Void) throws -> GenerationSummary {
        var sampler = Sampler(parameters: request.sampling, seed: request.seed)
        var detokenizer = StreamingDetokenizer(tokenizer: checkpoint.tokenizer, skipSpecialTokens: true)
        var matcher = StopSequenceMatcher(stopSequences: request.stopSequences)
        let endOfSequence = checkpoint.endOfSequenceIDs
        var generated = 0
        var finishReason = "length"
        while generated < request.maxNewTokens {
            if cancelled.isSet { throw ModelError.cancelled }
            let next = sampler.sample(session.logits, context: session.tokens)
            if endOfSequence.contains(next) {
                finishReason = "stop"
                break
            }
            generated += 1
            let piece = try detokenizer.append(next)
            if !piece.isEmpty {
                let visible = matcher.process(piece)
                if !visible.isEmpty { emit(visible) }
                if matcher.isStopped {
                    finishReason = "stop"
                    break
                }
            }
            guard generated < request.maxNewTokens, session.position < contextLength else { break }
            try session.decode(next)
        }
        if !matcher.isStopped {
            let tail = matcher.process(detokenizer.finish())
            if !tail.isEmpty { emit(tail) }
            let held = matcher.finish()
            if !held.isEmpty { emit(held) }
        }
        return GenerationSummary(promptTokens: request.promptIDs.count, generatedTokens: generated,
                                 finishReason: finishReason)
    }
}

/// The decoding session, touched only on its generator's serial queue.
///
/// `@unchecked Sendable` is sound: ``LocalGenerator`` reads and writes ``session`` only from work items
/// on its own serial `DispatchQueue` (checked with `dispatchPrecondition`), so no two threads ever touch
/// it at once, and the queue's ordering publishes each write to the next work item.
private final class QueueConfined: @unchecked Sendable {
    var session: InferenceSession?
}

/// Set once when a generation's consumer goes away; read by the decoding thread before every token.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    var isSet: Bool { flag.load(ordering: .relaxed) }

    func set() { flag.store(true, ordering: .relaxed) }
}
