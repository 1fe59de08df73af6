import CSmolKernels
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

/// Runs generations for one local model, several at once, each on a thread of its own with a KV cache
/// of its own.
///
/// Decoding is seconds of CPU work; it never runs on Swift's cooperative thread pool (which has as many
/// threads as cores and would starve every other task). Up to ``maxConcurrent`` generations run at the
/// same time (the kernels' worker threads go to whichever step asks first; the others run their step on
/// their own thread, so none waits for another); later ones wait their turn in order. Finished sessions
/// are kept, and a prompt that extends an earlier conversation gets the session holding its prefix.
final class LocalGenerator: Sendable {
    let checkpoint: LocalCheckpoint
    let contextLength: Int
    /// The most generations that decode at the same time.
    let maxConcurrent: Int
    /// The kernel threads each generation's steps may use.
    let threads: Int
    private let workers = DispatchQueue(label: "swift-smolagents.local-generation", attributes: .concurrent)
    private let admission: DispatchSemaphore
    private let pool = SessionPool()

    init(checkpoint: LocalCheckpoint, contextLength: Int?, threads: Int, maxConcurrent: Int = 4) {
        self.checkpoint = checkpoint
        self.threads = threads
        let limit = checkpoint.model.config.maxPositions
        self.contextLength = max(1, min(contextLength ?? min(limit, 8_192), limit))
        self.maxConcurrent = max(1, maxConcurrent)
        admission = DispatchSemaphore(value: self.maxConcurrent)
    }

    /// Starts a generation whose events become the stream's elements through `transform`. Ending the
    /// stream early (or cancelling its consumer) stops decoding at the next token.
    func start<Element: Sendable>(
        _ request: GenerationRequest, transform: @escaping @Sendable (GenerationEvent) -> Element
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Element.self)
        let cancelled = CancellationFlag()
        continuation.onTermination = { _ in cancelled.set() }
        workers.async { [self] in
            admission.wait()
            defer { admission.signal() }
            csk_set_caller_threads(Int32(threads))
            do {
                if cancelled.isSet { throw ModelError.cancelled }
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
        let session: InferenceSession
        if let idle = pool.takeSession(for: prompt) {
            session = idle
        } else {
            do {
                session = try InferenceSession(model: checkpoint.model, contextLength: contextLength)
            } catch {
                throw ModelError.invalidInput(message: error.description, location: "contextLength")
            }
        }
        defer { pool.giveBack(session, keeping: maxConcurrent) }
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
        defer { if let constraint, let key = request.grammar?.key { pool.giveBack(constraint, key: key) } }
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

    /// A constraint for `grammar`, with the masks cached by earlier generations under the same grammar
    /// (each running generation has one of its own). The vocabulary's trie is built on first use (tens of
    /// milliseconds) and kept.
    private func makeConstraint(for grammar: JSONGrammar) -> TokenConstraint {
        if let idle = pool.takeConstraint(grammar.key) { return idle }
        let trie = pool.trie { TokenTrie(tokenizer: checkpoint.tokenizer, excluding: checkpoint.endOfSequenceIDs) }
        return TokenConstraint(grammar: grammar, trie: trie, endOfSequence: checkpoint.endOfSequenceIDs)
    }
}

/// The idle sessions and constraints of a generator, shared by its generation threads.
///
/// `@unchecked Sendable` is sound: every stored property is read and written only inside `lock`, and an
/// object taken out (a session, a constraint) belongs to exactly one generation thread until that thread
/// gives it back under the lock, which also publishes its writes to the next taker.
private final class SessionPool: @unchecked Sendable {
    private let lock = Mutex(())
    private var idle: [InferenceSession] = []
    private var trieValue: TokenTrie?
    private var constraints: [String: [TokenConstraint]] = [:]

    /// The idle session that holds the longest prefix of `prompt` (the most recently used on a tie).
    func takeSession(for prompt: [Int32]) -> InferenceSession? {
        lock.withLock { _ in
            guard !idle.isEmpty else { return nil }
            var best = idle.count - 1, bestLength = -1
            for (i, session) in idle.enumerated().reversed() {
                let length = session.cachedPrefixLength(of: prompt)
                if length > bestLength { (best, bestLength) = (i, length) }
            }
            return idle.remove(at: best)
        }
    }

    /// Keeps a finished session for later calls (at most `limit`; the oldest are freed).
    func giveBack(_ session: InferenceSession, keeping limit: Int) {
        lock.withLock { _ in
            idle.append(session)
            if idle.count > limit { idle.removeFirst(idle.count - limit) }
        }
    }

    func trie(_ build: () -> TokenTrie) -> TokenTrie {
        if let existing = lock.withLock({ _ in trieValue }) { return existing }
        let built = build()
        return lock.withLock { _ in
            if let existing = trieValue { return existing }
            trieValue = built
            return built
        }
    }

    func takeConstraint(_ key: String) -> TokenConstraint? {
        lock.withLock { _ in constraints[key]?.popLast() }
    }

    func giveBack(_ constraint: TokenConstraint, key: String) {
        lock.withLock { _ in
            if constraints[key] == nil, constraints.count >= 8 { constraints.removeAll() }
            constraints[key, default: []].append(constraint)
        }
    }
}

/// Set once when a generation's consumer goes away; read by the decoding thread before every token.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)

    var isSet: Bool { flag.load(ordering: .relaxed) }

    func set() { flag.store(true, ordering: .relaxed) }
}
