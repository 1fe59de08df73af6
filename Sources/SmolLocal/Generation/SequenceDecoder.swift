import Dispatch
import SmolCore

/// One generation's state between forward passes: sampling (its own sampler and seed), the grammar
/// constraint, detokenizing, stop sequences and the token limits.
///
/// The scheduler runs the model (alone or batched with other sequences) and then calls ``step()``, which
/// reads the session's logits, picks a token, emits its text, and says whether to decode it.
final class SequenceDecoder {
    let request: GenerationRequest
    let session: InferenceSession
    let constraint: TokenConstraint?
    /// The visible text emitted so far.
    private(set) var text = ""
    private(set) var generated = 0
    private(set) var finishReason = "length"
    private var sampler: Sampler
    private var detokenizer: StreamingDetokenizer
    private var matcher: StopSequenceMatcher
    private let endOfSequence: Set<Int32>
    private let contextLength: Int
    private let emit: (String) -> Void
    private let computedBefore: Int, reusedBefore: Int, budgetedBefore: Int
    private var constraintNanoseconds: UInt64 = 0, samplingNanoseconds: UInt64 = 0

    init(request: GenerationRequest, session: InferenceSession, constraint: TokenConstraint?, tokenizer: Tokenizer,
         endOfSequence: Set<Int32>, contextLength: Int, emit: @escaping (String) -> Void) {
        self.request = request
        self.session = session
        self.constraint = constraint
        constraint?.reset()
        computedBefore = constraint?.computed ?? 0
        reusedBefore = constraint?.reused ?? 0
        budgetedBefore = constraint?.budgeted ?? 0
        sampler = Sampler(parameters: request.sampling, seed: request.seed)
        detokenizer = StreamingDetokenizer(tokenizer: tokenizer, skipSpecialTokens: true)
        matcher = StopSequenceMatcher(stopSequences: request.stopSequences)
        self.endOfSequence = endOfSequence
        self.contextLength = contextLength
        self.emit = emit
    }

    /// Picks the next token from the session's logits and emits its text. Returns the token to run through
    /// the model next, or nil when the generation is over (``finishReason`` says why).
    func step() throws -> Int32? {
        guard generated < request.maxNewTokens else { return nil }
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
            return nil
        }
        if let constraint {
            let accepting = DispatchTime.now().uptimeNanoseconds
            try constraint.accept(next)
            constraintNanoseconds += DispatchTime.now().uptimeNanoseconds - accepting
        }
        generated += 1
        let piece = try detokenizer.append(next)
        if !piece.isEmpty {
            show(matcher.process(piece))
            if matcher.isStopped {
                finishReason = "stop"
                return nil
            }
        }
        // A complete document can only be followed by end-of-sequence: skip that forward pass.
        if constraint?.isFinished == true {
            finishReason = "stop"
            return nil
        }
        guard generated < request.maxNewTokens, session.position < contextLength else { return nil }
        return next
    }

    /// Emits the text still held back (an incomplete character, a possible stop-sequence start) and
    /// returns the summary. Call once, after ``step()`` returned nil.
    func finish() -> GenerationSummary {
        // A bare top-level number may end exactly at the limit: it is complete, not cut.
        if finishReason == "length", constraint?.canEnd == true { finishReason = "stop" }
        if !matcher.isStopped {
            show(matcher.process(detokenizer.finish()))
            show(matcher.finish())
        }
        return GenerationSummary(promptTokens: request.promptIDs.count, generatedTokens: generated,
                                 finishReason: finishReason,
                                 masksComputed: (constraint?.computed ?? 0) - computedBefore,
                                 masksReused: (constraint?.reused ?? 0) - reusedBefore,
                                 budgetMasks: (constraint?.budgeted ?? 0) - budgetedBefore,
                                 constraintSeconds: Double(constraintNanoseconds) / 1e9,
                                 samplingSeconds: Double(samplingNanoseconds) / 1e9)
    }

    private func show(_ visible: String) {
        guard !visible.isEmpty else { return }
        text += visible
        emit(visible)
    }
}
