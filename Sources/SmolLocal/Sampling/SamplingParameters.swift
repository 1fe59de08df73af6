/// How the next token is chosen, with transformers' `generate` semantics.
///
/// With `doSample == false` (or a temperature of 0) decoding is greedy; the repetition penalty still applies,
/// as transformers applies it as a logits processor before the argmax.
public struct SamplingParameters: Sendable, Equatable {
    /// Sample (true) or take the argmax (false).
    public var doSample: Bool
    /// Logits are divided by this before the filters (1 = unchanged; 0 means greedy).
    public var temperature: Double
    /// Keep only the `topK` most likely tokens (nil or 0 = off).
    public var topK: Int?
    /// Keep the smallest top set whose probability reaches `topP` (nil or ≥ 1 = off).
    public var topP: Double?
    /// Drop tokens whose probability is below `minP` × the top probability (nil = off).
    public var minP: Double?
    /// HF repetition penalty over every token of the context (nil or 1 = off): a seen token's logit is
    /// divided by it when positive, multiplied when negative.
    public var repetitionPenalty: Double?

    /// Creates parameters; the defaults are greedy decoding.
    public init(doSample: Bool = false, temperature: Double = 1, topK: Int? = nil, topP: Double? = nil,
                minP: Double? = nil, repetitionPenalty: Double? = nil) {
        self.doSample = doSample
        self.temperature = temperature
        self.topK = topK
        self.topP = topP
        self.minP = minP
        self.repetitionPenalty = repetitionPenalty
    }

    /// Greedy decoding.
    public static let greedy = SamplingParameters()

    /// Whether decoding reduces to an argmax.
    public var isGreedy: Bool { !doSample || temperature <= 0 }
}
