import CSmolKernels

/// The buffers a session needs to route tokens through a mixture of experts, allocated once.
final class ExpertScratch {
    let topK: Int
    let normalize: Bool
    /// Router logits, then probabilities: `tokens × experts`.
    let routerLogits: FloatBuffer
    /// The inputs of every (token, expert) pair, grouped by expert: `tokens × topK` rows of `hidden`.
    let gathered: FloatBuffer
    /// The experts' outputs, in the same slots.
    let outputs: FloatBuffer
    /// Per (token, k): the chosen expert and its weight.
    var chosen: [Int]
    var weights: [Float]
    /// Per expert: how many slots, and where its slots start.
    var counts: [Int]
    var offsets: [Int]
    /// Per slot: the token it belongs to and its weight.
    var slotToken: [Int]
    var slotWeight: [Float]

    init(experts e: ModelConfig.MixtureOfExperts, hidden: Int, tokens: Int) throws(InferenceError) {
        topK = e.topK
        normalize = e.normalizeTopK
        routerLogits = try FloatBuffer(count: tokens * e.count)
        gathered = try FloatBuffer(count: tokens * e.topK * hidden)
        outputs = try FloatBuffer(count: tokens * e.topK * hidden)
        chosen = Array(repeating: 0, count: tokens * e.topK)
        weights = Array(repeating: 0, count: tokens * e.topK)
        counts = Array(repeating: 0, count: e.count)
        offsets = Array(repeating: 0, count: e.count)
        slotToken = Array(repeating: 0, count: tokens * e.topK)
        slotWeight = Array(repeating: 0, count: tokens * e.topK)
    }

    /// Picks each token's top-k experts from the router's probabilities (softmax over all experts, as
    /// transformers does; renormalized over the chosen ones when the model says so) and lays out the slots.
    func route(tokens n: Int, experts count: Int) {
        for t in 0..<n {
            let p = routerLogits[t * count]
            csk_softmax(p, Int32(count))
            var sum: Float = 0
            for j in 0..<topK {
                // The largest not yet taken; ties go to the lower index.
                var best = -1
                var bestValue = -Float.infinity
                for e in 0..<count where p[e] > bestValue && !chosen[(t * topK)..<(t * topK + j)].contains(e) {
                    best = e
                    bestValue = p[e]
                }
                chosen[t * topK + j] = best
                weights[t * topK + j] = bestValue
                sum += bestValue
            }
            if normalize, sum > 0 {
                for j in 0..<topK { weights[t * topK + j] /= sum }
            }
        }
        for e in 0..<count { counts[e] = 0 }
        for i in 0..<(n * topK) { counts[chosen[i]] += 1 }
        var next = 0
        for e in 0..<count {
            offsets[e] = next
            next += counts[e]
        }
        // Slots of one expert in token order, experts in index order (the order transformers sums them in).
        var fill = offsets
        for t in 0..<n {
            for j in 0..<topK {
                let e = chosen[t * topK + j]
                slotToken[fill[e]] = t
                slotWeight[fill[e]] = weights[t * topK + j]
                fill[e] += 1
            }
        }
    }
}

extension ForwardWorkspace {
    /// xb (`tokens` rows of the normed hidden state) → xb, through the layer's top-k experts.
    func runExperts(_ layer: LlamaModel.Experts, tokens n: Int) {
        guard let moe else { return }
        let h = model.config.hiddenSize, count = layer.experts.count
        setJob(0, layer.router, x: xb.pointer, y: moe.routerLogits.pointer, ntok: n)
        runJobs(1)
        moe.route(tokens: n, experts: count)
        for slot in 0..<(n * moe.topK) {
            moe.gathered[slot * h].update(from: xb[moe.slotToken[slot] * h], count: h)
        }
        var jobCount = 0
        for e in 0..<count where moe.counts[e] > 0 {
            let mlp = layer.experts[e], off = moe.offsets[e], width = mlp.gate.rows
            setJob(jobCount, mlp.gate, x: moe.gathered[off * h], y: gate[off * width], ntok: moe.counts[e])
            setJob(jobCount + 1, mlp.up, x: moe.gathered[off * h], y: up[off * width], ntok: moe.counts[e])
            jobCount += 2
        }
        runJobs(jobCount)
        let width = layer.experts[0].gate.rows
        activate(gate.pointer, up.pointer, count: n * moe.topK * width)
        jobCount = 0
        for e in 0..<count where moe.counts[e] > 0 {
            let off = moe.offsets[e]
            setJob(jobCount, layer.experts[e].down, x: gate[off * width], y: moe.outputs[off * h], ntok: moe.counts[e])
            jobCount += 1
        }
        runJobs(jobCount)
        xb.pointer.update(repeating: 0, count: n * h)
        for slot in 0..<(n * moe.topK) {
            csk_axpy(xb[moe.slotToken[slot] * h], moe.slotWeight[slot], moe.outputs[slot * h], Int32(h))
        }
    }
}
