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

/// Runs generations for one local model, up to ``maxConcurrent`` of them decoded together.
///
/// One scheduling thread per model owns the running sequences, each with a KV cache (session) of its own.
/// Between decode steps it admits waiting requests and prefills their prompts a few chunks at a time (so
/// the running sequences are not stalled for a whole long prompt); then one ``DecodeBatch`` step decodes a
/// token for every running sequence, reading each weight matrix once for all of them; then each sequence
/// samples (its own sampler, constraint, stop sequences) and emits its text, and a finished or cancelled
/// one leaves the batch at once. A sequence decodes the same whatever else is in the batch (the batch's
/// products compute each row independently of the others).
///
/// Decoding is seconds of CPU work; it never runs on Swift's cooperative thread pool (which has as many
/// threads as cores and would starve every other task). Finished sessions are kept, and a prompt that
/// extends an earlier conversation gets the session holding its prefix.
final class LocalGenerator: Sendable {
    let checkpoint: LocalCheckpoint
    let contextLength: Int
    /// The most generations decoded together; later ones wait their turn in order.
    let maxConcurrent: Int
    /// The kernel threads this model's steps may use.
    let threads: Int
    /// Prompt tokens prefilled between two decode steps while other sequences are decoding.
    static let prefillBudget = 2 * InferenceSession.chunk
    private let worker = DispatchQueue(label: "swift-smolagents.local-generation")
    private let waiting = Mutex(WaitingRequests())
    private let pool = SessionPool()

    init(checkpoint: LocalCheckpoint, contextLength: Int?, threads: Int, maxConcurrent: Int = 8) {
        self.checkpoint = checkpoint
        self.threads = threads
        let limit = checkpoint.model.config.maxPositions
        self.contextLength = max(1, min(contextLength ?? min(limit, 8_192), limit))
        self.maxConcurrent = max(1, maxConcurrent)
    }

    /// Starts a generation whose events become the stream's elements through `transform`. Ending the
    /// stream early (or cancelling its consumer) stops decoding at the next token.
    func start<Element: Sendable>(
        _ request: GenerationRequest, transform: @escaping @Sendable (GenerationEvent) -> Element
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream.makeStream(of: Element.self)
        let cancelled = CancellationFlag()
        continuation.onTermination = { _ in cancelled.set() }
        let item = QueuedGeneration(request: request, cancelled: cancelled,
                                    emit: { continuation.yield(transform($0)) },
                                    end: { error in
                                        if let error { continuation.finish(throwing: error) } else { continuation.finish() }
                                    })
        let wake = waiting.withLock { state -> Bool in
            state.queue.append(item)
            defer { state.running = true }
            return !state.running
        }
        if wake { worker.async { [self] in schedule() } }
        return stream
    }

    /// The scheduling loop: runs until no generation is running or waiting.
    private func schedule() {
        csk_set_caller_threads(Int32(threads))
        var running: [RunningGeneration] = []
        var batch: DecodeBatch?
        while true {
            let free = maxConcurrent - running.count, idle = running.isEmpty
            let admitted = waiting.withLock { state -> [QueuedGeneration] in
                let taken = Array(state.queue.prefix(free))
                state.queue.removeFirst(taken.count)
                // Decided under the lock, so a request queued after this sees `running == false` and restarts the loop.
                if taken.isEmpty, idle { state.running = false }
                return taken
            }
            if admitted.isEmpty, idle { return }
            running += admitted.compactMap(admit)
            for generation in running where generation.item.cancelled.isSet { fail(generation, ModelError.cancelled) }
            prefill(running)
            running.removeAll { $0.ended }
            let rows = running.filter { $0.next != nil }
            guard !rows.isEmpty else { continue }
            do {
                if batch == nil { batch = try DecodeBatch(model: checkpoint.model, capacity: maxConcurrent) }
                try batch?.decode(rows.map { (session: $0.session, token: $0.next!) })
                for generation in rows { advance(generation) }
            } catch {
                for generation in rows { fail(generation, error) }
            }
            running.removeAll { $0.ended }
        }
    }

    /// Prefills up to ``prefillBudget`` prompt tokens (everything when no sequence is decoding), oldest
    /// request first; a sequence whose prompt is done samples its first token.
    private func prefill(_ running: [RunningGeneration]) {
        let decoding = running.contains { $0.next != nil }
        var budget = Self.prefillBudget
        for generation in running where !generation.ended && !generation.remaining.isEmpty {
            while !generation.remaining.isEmpty, budget > 0 || !decoding {
                // Chunks cut where `InferenceSession.prefill` cuts them, so the logits are the same.
                let chunk = generation.remaining.prefix(InferenceSession.chunk)
                budget -= chunk.count
                do {
                    try generation.session.validate(chunk)
                } catch {
                    fail(generation, error)
                    break
                }
                generation.remaining = generation.remaining.dropFirst(chunk.count)
                generation.session.forward(chunk, logitRows: generation.remaining.isEmpty ? .last : .none, output: nil)
            }
            if !generation.ended, generation.remaining.isEmpty { advance(generation) }
        }
    }

    /// Samples a sequence's next token from its logits and emits its text; ends the generation when it
    /// is finished or cancelled.
    private func advance(_ generation: RunningGeneration) {
        if generation.item.cancelled.isSet { return fail(generation, ModelError.cancelled) }
        do {
            generation.next = try generation.decoder.step()
        } catch {
            return fail(generation, error)
        }
        guard generation.next == nil else { return }
        let summary = generation.decoder.finish()
        generation.item.emit(.finished(summary, text: generation.decoder.text))
        generation.item.end(nil)
        release(generation)
    }

    /// Sets up a waiting request: a session (the idle one with the longest cached prefix of the prompt),
    /// truncated to the reusable prefix, and its decoding state. Nil when it was ended instead.
    private func admit(_ item: QueuedGeneration) -> RunningGeneration? {
        let request = item.request, prompt = request.promptIDs
        if item.cancelled.isSet {
            item.end(ModelError.cancelled)
            return nil
        }
        guard !prompt.isEmpty else {
            item.end(ModelError.invalidInput(message: "the prompt has no tokens", location: "messages"))
            return nil
        }
        guard prompt.count < contextLength else {
            item.end(ModelError.invalidInput(
                message: "the prompt has \(prompt.count) tokens; the context holds \(contextLength)", location: "messages"))
            return nil
        }
        let session: InferenceSession
        do {
            session = try pool.takeSession(for: prompt) ?? InferenceSession(model: checkpoint.model, contextLength: contextLength)
            // Reuse the cached prefix, but always run at least the last prompt token to get its logits.
            try session.truncate(to: min(session.cachedPrefixLength(of: prompt), prompt.count - 1))
        } catch {
            item.end(ModelError.invalidInput(message: "\(error)", location: "contextLength"))
            return nil
        }
        let constraint = request.grammar.map(makeConstraint(for:))
        let decoder = SequenceDecoder(request: request, session: session, constraint: constraint, tokenizer: checkpoint.tokenizer,
                                      endOfSequence: checkpoint.endOfSequenceIDs, contextLength: contextLength,
                                      emit: { item.emit(.text($0)) })
        return RunningGeneration(item: item, decoder: decoder, remaining: prompt[session.position...])
    }

    /// Ends a generation with `error` (an engine error as invalid input) and frees its session.
    private func fail(_ generation: RunningGeneration, _ error: any Error) {
        generation.session.reset()
        if let error = error as? InferenceError {
            generation.item.end(ModelError.invalidInput(message: error.description, location: "messages"))
        } else {
            generation.item.end(error)
        }
        release(generation)
    }

    private func release(_ generation: RunningGeneration) {
        generation.ended = true
        generation.next = nil
        pool.giveBack(generation.session, keeping: maxConcurrent)
        if let constraint = generation.decoder.constraint, let key = generation.decoder.request.grammar?.key {
            pool.giveBack(constraint, key: key)
        }
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

/// A request waiting for the scheduler, with the ends of its stream.
private struct QueuedGeneration: Sendable {
    let request: GenerationRequest
    let cancelled: CancellationFlag
    let emit: @Sendable (GenerationEvent) -> Void
    /// Finishes the stream, with the error when there is one.
    let end: @Sendable ((any Error)?) -> Void
}

private struct WaitingRequests: Sendable {
    var queue: [QueuedGeneration] = []
    /// Whether a scheduling loop is running (it takes new requests between steps).
    var running = false
}

/// A generation the scheduler is running: prefilling its prompt, then decoding.
private final class RunningGeneration {
    let item: QueuedGeneration
    let decoder: SequenceDecoder
    /// Prompt tokens not yet prefilled.
    var remaining: ArraySlice<Int32>
    /// The token the next decode step runs, or nil while prefilling.
    var next: Int32?
    /// Set when the stream has been finished and the session given back.
    var ended = false
    var session: InferenceSession { decoder.session }

    init(item: QueuedGeneration, decoder: SequenceDecoder, remaining: ArraySlice<Int32>) {
        self.item = item
        self.decoder = decoder
        self.remaining = remaining
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
