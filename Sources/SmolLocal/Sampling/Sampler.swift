#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Chooses next tokens from logits: greedy, or temperature / top-k / top-p / min-p sampling after the
/// repetition penalty, in transformers' order (penalty, temperature, top-k, top-p, min-p).
///
/// Deterministic: the same parameters, seed and logits give the same tokens. Scratch buffers are kept
/// between calls, so sampling allocates nothing once warmed up.
public struct Sampler: Sendable {
    /// The decoding parameters.
    public var parameters: SamplingParameters
    /// The random generator (advanced by each sampled token).
    public var generator: SeededGenerator
    private var scores: [Float] = []
    private var order: [Int32] = []

    /// Creates a sampler with `parameters` and a generator seeded with `seed`.
    public init(parameters: SamplingParameters = .greedy, seed: UInt64 = 0) {
        self.parameters = parameters
        self.generator = SeededGenerator(seed: seed)
    }

    /// The index of the largest logit (the first one on ties, as `torch.argmax`).
    public static func argmax(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
        var best = 0
        var bestValue = -Float.infinity
        for i in logits.indices where logits[i] > bestValue || i == 0 {
            bestValue = logits[i]
            best = i
        }
        return Int32(best)
    }

    /// Picks the next token from `logits`, given the tokens of the context so far (prompt included) for the
    /// repetition penalty.
    public mutating func sample(_ logits: UnsafeBufferPointer<Float>, context: some Sequence<Int32>) -> Int32 {
        sample(logits, context: context, allowed: nil)
    }

    /// Picks the next token among those set in `allowed` (bit `i % 64` of word `i / 64`; `nil`: all).
    ///
    /// The mask applies right after the repetition penalty and before temperature, top-k, top-p and
    /// min-p, as a transformers logits processor would: the filters then work on the allowed tokens'
    /// distribution, so sampling stays correct (top-k keeps the k best *allowed* tokens). At least one
    /// token must be allowed.
    mutating func sample(_ logits: UnsafeBufferPointer<Float>, context: some Sequence<Int32>,
                         allowed: UnsafeBufferPointer<UInt64>?) -> Int32 {
        let p = parameters
        if p.isGreedy && (p.repetitionPenalty ?? 1) == 1 && allowed == nil { return Self.argmax(logits) }
        // Move the scratch out of self so the closure can also mutate self (the generator, `order`).
        var work: [Float] = []
        swap(&work, &scores)
        defer { swap(&work, &scores) }
        if work.count != logits.count { work = [Float](repeating: 0, count: logits.count) }
        return work.withUnsafeMutableBufferPointer { s -> Int32 in
            penalize(logits, context: context, into: s)
            if let allowed { Self.mask(s, allowed) }
            if p.isGreedy { return Self.argmax(UnsafeBufferPointer(s)) }
            warp(s)
            return draw(from: s)
        }
    }

    /// Sets the scores of tokens not in `allowed` to -infinity.
    static func mask(_ s: UnsafeMutableBufferPointer<Float>, _ allowed: UnsafeBufferPointer<UInt64>) {
        let n = s.count
        for w in 0..<min(allowed.count, (n + 63) / 64) {
            var blocked = ~allowed[w]
            if blocked == 0 { continue }
            let base = w << 6
            while blocked != 0 {
                let i = base + blocked.trailingZeroBitCount
                if i >= n { break }
                s[i] = -.infinity
                blocked &= blocked - 1
            }
        }
    }

    /// The distribution that ``sample(_:context:)`` draws from when sampling: probabilities after the
    /// penalty, temperature, top-k, top-p and min-p (zero for filtered tokens). For tests and diagnostics.
    public mutating func probabilities(_ logits: UnsafeBufferPointer<Float>, context: some Sequence<Int32>) -> [Float] {
        var out = [Float](repeating: 0, count: logits.count)
        out.withUnsafeMutableBufferPointer {
            penalize(logits, context: context, into: $0)
            warp($0)
        }
        return out
    }

    /// Copies `logits` into `s` with the HF repetition penalty applied to every token of `context`.
    private func penalize(_ logits: UnsafeBufferPointer<Float>, context: some Sequence<Int32>, into s: UnsafeMutableBufferPointer<Float>) {
        _ = s.update(fromContentsOf: logits)
        let penalty = Float(parameters.repetitionPenalty ?? 1)
        guard penalty != 1 else { return }
        // Reading the original logit makes a token that occurs several times penalized once, as in HF.
        for t in context where t >= 0 && Int(t) < s.count {
            let original = logits[Int(t)]
            s[Int(t)] = original < 0 ? original * penalty : original / penalty
        }
    }

    /// Turns penalized scores into the sampling distribution: temperature, top-k, softmax, top-p, min-p.
    private mutating func warp(_ s: UnsafeMutableBufferPointer<Float>) {
        let p = parameters
        let n = s.count
        if p.temperature != 1 && p.temperature > 0 {
            let t = Float(p.temperature)
            for i in 0..<n { s[i] /= t }
        }
        if let k = p.topK, k > 0, k < n {
            // The k-th largest value; ties with it are kept, as in transformers.
            order.removeAll(keepingCapacity: true)
            for i in 0..<n { order.append(Int32(i)) }
            let threshold = kthLargest(s, k)
            for i in 0..<n where s[i] < threshold { s[i] = -.infinity }
        }
        var maxLogit = -Float.infinity
        for v in s where v > maxLogit { maxLogit = v }
        guard maxLogit.isFinite else {
            let best = Int(Self.argmax(UnsafeBufferPointer(s)))
            for i in 0..<n { s[i] = i == best ? 1 : 0 }
            return
        }
        var total = 0.0
        for i in 0..<n {
            let e = s[i] == -.infinity ? 0 : exp(Double(s[i] - maxLogit))
            s[i] = Float(e)
            total += e
        }
        for i in 0..<n { s[i] = Float(Double(s[i]) / total) }
        if let topP = p.topP, topP < 1 {
            applyTopP(s, Float(topP))
            renormalize(s)
        }
        if let minP = p.minP, minP > 0 {
            var top: Float = 0
            for v in s where v > top { top = v }
            let cut = Float(minP) * top
            for i in 0..<n where s[i] < cut { s[i] = 0 }
            renormalize(s)
        }
    }

    private func renormalize(_ s: UnsafeMutableBufferPointer<Float>) {
        var mass = 0.0
        for v in s { mass += Double(v) }
        guard mass > 0 else { return }
        for i in 0..<s.count { s[i] = Float(Double(s[i]) / mass) }
    }

    private mutating func draw(from s: UnsafeMutableBufferPointer<Float>) -> Int32 {
        var mass = 0.0
        for v in s { mass += Double(v) }
        let u = generator.nextUnit() * mass
        var acc = 0.0
        var last = 0
        for i in 0..<s.count where s[i] > 0 {
            acc += Double(s[i])
            last = i
            if u < acc { return Int32(i) }
        }
        return Int32(last)
    }

    /// The k-th largest finite-or-not value of `s` (1-based k), by partial selection on a copy of the indices.
    private mutating func kthLargest(_ s: UnsafeMutableBufferPointer<Float>, _ k: Int) -> Float {
        order.withUnsafeMutableBufferPointer { idx -> Float in
            var lo = 0, hi = idx.count - 1
            let target = k - 1
            while lo < hi {
                let pivot = s[Int(idx[(lo + hi) / 2])]
                var i = lo, j = hi
                while i <= j {
                    while s[Int(idx[i])] > pivot { i += 1 }
                    while s[Int(idx[j])] < pivot { j -= 1 }
                    if i <= j { idx.swapAt(i, j); i += 1; j -= 1 }
                }
                if target <= j { hi = j } else if target >= i { lo = i } else { break }
            }
            return s[Int(idx[target])]
        }
    }

    /// Zeroes the probabilities outside the top-p nucleus: a token is kept when the mass of the tokens
    /// ranked above it is below `topP` (transformers' `cumsum(ascending) > 1 - top_p`).
    private mutating func applyTopP(_ s: UnsafeMutableBufferPointer<Float>, _ topP: Float) {
        // Only tokens above some threshold can be in the nucleus; find one whose set already reaches topP,
        // so that only that set needs sorting.
        var top: Float = 0
        for v in s where v > top { top = v }
        var threshold = top
        var mass: Float = 0
        repeat {
            threshold /= 16
            mass = 0
            for v in s where v >= threshold { mass += v }
        } while mass < topP && threshold > 1e-30
        order.removeAll(keepingCapacity: true)
        for i in 0..<s.count where s[i] >= threshold && s[i] > 0 { order.append(Int32(i)) }
        order.sort { s[Int($0)] > s[Int($1)] || (s[Int($0)] == s[Int($1)] && $0 < $1) }
        var above: Float = 0
        var keep = 0
        for idx in order {
            if above >= topP && keep > 0 { break }
            above += s[Int(idx)]
            keep += 1
        }
        for j in keep..<order.count { s[Int(order[j])] = 0 }
        for i in 0..<s.count where s[i] < threshold { s[i] = 0 }
    }
}
