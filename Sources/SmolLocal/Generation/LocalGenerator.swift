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
    /// When set, only tokens that keep the output a valid document of this grammar are sampled, and
    /// generation ends when the document is complete.
    var grammar: JSONGrammar? = nil
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
    /// `"stop"` (end-of-sequence token, stop sequence, or a constrained document complete) or `"length"`
    /// (token or context limit; a constrained document is then incomplete).
    var finishReason: String
    /// For a constrained generation: token masks computed and served from the cache.
    var masksComputed = 0
    var masksReused = 0
    var budgetMasks = 0
    /// Time spent choosing tokens: getting the constraint's masks and advancing it, and sampling.
    var constraintSeconds = 0.0
    var samplingSeconds = 0.0
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
        let constraint = request.grammar.map(makeConstraint(for:))
        constraint?.reset()
        let computedBefore = constraint?.computed ?? 0, reusedBefore = constraint?.reused ?? 0
        let budgetedBefore = constraint?.budgeted ?? 0
        var constraintNanoseconds: UInt64 = 0, samplingNanoseconds: UInt64 = 0
        var sampler = Sampler(parameters: request.sampling, seed: request.seed)
        var detokenizer = StreamingDetokenizer(tokenizer: checkpoint.tokenizer, skipSpecialTokens: true)
        var matcher = StopSequenceMatcher(stopSequences: request.stopSequences)
        let endOfSequence = checkpoint.endOfSequenceIDs
        var generated = 0
        var finishReason = "length"
        while generated < request.maxNewTokens {
            if cancelled.isSet { throw ModelError.cancelled }
            let next: Int32
            let started = DispatchTime.now().uptimeNanoseconds
            if let constraint {
                let tokensLeft = min(request.maxNewTokens - generated, contextLength - session.position)
                var masked: UInt64 = 0
                next = try constraint.withAllowedTokens(tokensLeft: tokensLeft) { allowed in
                    masked = DispatchTime.now().uptimeNanoseconds
                    return sampler.sample(session.logits, context: session.tokens, allowed: allowed)
                }
                let sampled = DispatchTime.now().uptimeNanoseconds
                constraintNanoseconds += masked - started
                samplingNanoseconds += sampled - masked
            } else {
                next = sampler.sample(session.logits, context: session.tokens)
                samplingNanoseconds += DispatchTime.now().uptimeNanoseconds - started
            }
            if endOfSequence.contains(next) {
                finishReason = "stop"
                break
            }
            if let constraint {
                let accepting = DispatchTime.now().uptimeNanoseconds
                try constraint.accept(next)
                constraintNanoseconds += DispatchTime.now().uptimeNanoseconds - accepting
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
            // A complete document can only be followed by end-of-sequence: skip that forward pass.
            if constraint?.isFinished == true {
                finishReason = "stop"
                break
            }
            guard generated < request.maxNewTokens, session.position < contextLength else { break }
            try session.decode(next)
        }
        // A bare top-level number may end exactly at the limit: it is complete, not cut.
        if finishReason == "length", constraint?.canEnd == true { finishReason = "stop" }
        if !matcher.isStopped {
            let tail = matcher.process(detokenizer.finish())
            if !tail.isEmpty { emit(tail) }
            let held = matcher.finish()
            if !held.isEmpty { emit(held) }
        }
        return GenerationSummary(promptTokens: request.promptIDs.count, generatedTokens: generated,
                                 finishReason: finishReason,
                                 masksComputed: (constraint?.computed ?? 0) - computedBefore,
                                 masksReused: (constraint?.reused ?? 0) - reusedBefore,
                                 budgetMasks: (constraint?.budgeted ?? 0) - budgetedBefore,
                                 constraintSeconds: Double(constraintNanoseconds) / 1e9,
                                 samplingSeconds: Double(samplingNanoseconds) / 1e9)
    }

    /// The constraint for `grammar`, with the masks cached by earlier generations under the same grammar.
    /// The vocabulary's trie is built on first use (tens of milliseconds) and kept.
    private func makeConstraint(for grammar: JSONGrammar) -> TokenConstraint {
        dispatchPrecondition(condition: .onQueue(queue))
        if let existing = state.constraints[grammar.key] { return existing }
        let trie: TokenTrie
        if let built = state.trie {
            trie = built
        } else {
            trie = TokenTrie(tokenizer: checkpoint.tokenizer, excluding: checkpoint.endOfSequenceIDs)
            state.trie = trie
        }
        if state.constraints.count >= 8 { state.constraints.removeAll() }
        let constraint = TokenConstraint(grammar: grammar, trie: trie, endOfSequence: checkpoint.endOfSequenceIDs)
        state.constraints[grammar.key] = constraint
        return constraint
    }
}

/// The decoding session, touched only on its generator's serial queue.
///
/// `@unchecked Sendable` is sound: ``LocalGenerator`` reads and writes ``session`` only from work items
/// on its own serial `DispatchQueue` (checked with `dispatchPrecondition`), so no two threads ever touch
/// it at once, and the queue's ordering publishes each write to the next work item.
private final class QueueConfined: @unchecked Sendable {
    var session: InferenceSession?
    /// The vocabulary as a trie, and the constraints (with their mask caches) of recent grammars.
    var trie: TokenTrie?
    var constraints: [String: TokenConstraint] = [:]
}

/// Set once when a generation's consumer goes away; read by the decoding thread before every token.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    var isSet: Bool { flag.load(ordering: .relaxed) }

    func set() { flag.store(true, ordering: .relaxed) }
}
