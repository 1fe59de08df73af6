import CSmolKernels

/// Decodes one token for each of several sessions of one model in a single pass, so every weight matrix is
/// read once per step for all of them instead of once per session.
///
/// The rows of one step belong to different sequences: norms, projections, the MLP (dense or experts) and
/// the LM head run over all rows together; per row, RoPE uses that session's position, keys and values go
/// into that session's cache, and attention reads that session's cache (with its own sliding windows).
/// Matrix products go through `csk_matmul_rowwise`, which runs each row through the same fused kernels as a
/// one-token product, so a sequence decodes the same whatever else is in the batch (for GGUF weights its
/// logits are those of the session's own ``InferenceSession/decode(_:)``).
///
/// All buffers are allocated once, for ``capacity`` rows. Not thread-safe: one step at a time.
public final class DecodeBatch {
    /// The model every session of a step must run.
    public let model: LlamaModel
    /// The most sessions one step decodes.
    public let capacity: Int
    let x: FloatBuffer, xb: FloatBuffer, q: FloatBuffer, k: FloatBuffer, v: FloatBuffer
    let attention: FloatBuffer, gate: FloatBuffer, up: FloatBuffer
    let logitRows: FloatBuffer
    let matmulScratch: FloatBuffer
    /// Attention scratch for the longest context among the sessions seen so far (grown in `decode`).
    private var attentionScratch: FloatBuffer?
    private var attentionScratchContext = 0
    private let attentionRows: UnsafeMutablePointer<csk_attention_row>
    let jobs: UnsafeMutablePointer<csk_matmul_job>
    let moe: ExpertScratch?

    /// Allocates the buffers for steps of up to `capacity` sessions (default 8).
    ///
    /// - Throws: ``InferenceError/outOfMemory(bytes:)`` when the buffers cannot be allocated.
    public init(model: LlamaModel, capacity: Int = 8) throws(InferenceError) {
        let c = model.config
        self.model = model
        self.capacity = max(1, capacity)
        let n = self.capacity, qDim = c.headCount * c.headDim, kvDim = c.kvHeadCount * c.headDim
        x = try FloatBuffer(count: n * c.hiddenSize)
        xb = try FloatBuffer(count: n * max(c.hiddenSize, qDim))
        q = try FloatBuffer(count: n * qDim)
        k = try FloatBuffer(count: n * kvDim)
        v = try FloatBuffer(count: n * kvDim)
        attention = try FloatBuffer(count: n * qDim)
        let expertWidth = c.experts.map { $0.topK * $0.intermediateSize } ?? 0
        gate = try FloatBuffer(count: n * max(c.intermediateSize, expertWidth))
        up = try FloatBuffer(count: n * max(c.intermediateSize, expertWidth))
        logitRows = try FloatBuffer(count: n * c.vocabSize)
        let widest = max(c.hiddenSize, c.intermediateSize, qDim, c.experts?.intermediateSize ?? 0)
        matmulScratch = try FloatBuffer(count: Int(csk_matmul_scratch_floats(Int32(widest))))
        let jobCapacity = max(4, 2 * (c.experts?.count ?? 0))
        jobs = UnsafeMutablePointer<csk_matmul_job>.allocate(capacity: jobCapacity)
        jobs.initialize(repeating: csk_matmul_job(), count: jobCapacity)
        attentionRows = UnsafeMutablePointer<csk_attention_row>.allocate(capacity: self.capacity)
        attentionRows.initialize(repeating: csk_attention_row(), count: self.capacity)
        moe = try c.experts.map { e throws(InferenceError) in try ExpertScratch(experts: e, hidden: c.hiddenSize, tokens: n) }
    }

    deinit {
        jobs.deallocate()
        attentionRows.deallocate()
    }

    /// Appends `token` to each `session` and leaves that token's logits in the session's
    /// ``InferenceSession/logits``. The sessions must be distinct, at most ``capacity``, and run ``model``.
    ///
    /// - Throws: the first row's ``InferenceError`` (a full cache, an invalid token) before anything runs.
    public func decode(_ batch: [(session: InferenceSession, token: Int32)]) throws(InferenceError) {
        guard !batch.isEmpty else { throw .emptyInput }
        guard batch.count <= capacity else { throw .invalidBatch(reason: "\(batch.count) sessions; the batch holds \(capacity)") }
        for (i, row) in batch.enumerated() {
            // The same mapped weights: a model loaded twice has other buffers and maybe other layer setups.
            guard row.session.model.embedding.baseAddress == model.embedding.baseAddress else {
                throw .invalidBatch(reason: "a session runs another model")
            }
            for other in batch[..<i] where other.session === row.session { throw .invalidBatch(reason: "a session appears twice") }
            try row.session.validate(CollectionOfOne(row.token))
        }
        let longest = batch.map(\.session.contextLength).max() ?? 1
        if longest > attentionScratchContext {
            let c = model.config
            let group = c.headCount / max(1, c.kvHeadCount)
            attentionScratch = try FloatBuffer(count: Int(csk_attention_scratch_floats(Int32(longest), Int32(group))))
            attentionScratchContext = longest
        }
        forward(batch)
    }

    private func forward(_ batch: [(session: InferenceSession, token: Int32)]) {
        let c = model.config
        let n = batch.count, h = c.hiddenSize, hd = c.headDim
        let qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd
        let interleaved: Int32 = c.ropeLayout == .interleaved ? 1 : 0
        let eps = Float(c.rmsNormEpsilon)
        let scale = Float((c.attentionScale ?? 1 / Double(hd).squareRoot()) * c.ropeScoreFactor)
        let softcap = Float(c.attentionSoftcap ?? 0)
        // The norms and biases are the model's, the same in every session: the first session's copies serve
        // all rows. RoPE tables may depend on a session's context length, so each row uses its own.
        let shared = batch[0].session
        for (i, row) in batch.enumerated() {
            model.embedding.dequantizeRow(Int(row.token), into: x[i * h])
        }
        if let factor = c.embeddingScale {
            for i in 0..<(n * h) { x.pointer[i] *= factor }
        }
        for (l, layer) in model.layers.enumerated() {
            let state = shared.layerStates[l]
            for i in 0..<n { csk_rmsnorm(xb[i * h], x[i * h], state.attentionNorm.pointer, Int32(h), eps) }
            setJob(0, layer.q, x: xb.pointer, y: q.pointer, ntok: n, bias: state.qBias)
            setJob(1, layer.k, x: xb.pointer, y: k.pointer, ntok: n, bias: state.kBias)
            setJob(2, layer.v, x: xb.pointer, y: v.pointer, ntok: n, bias: state.vBias)
            runJobs(3)
            for (i, row) in batch.enumerated() {
                let session = row.session, pos = session.position
                let layerOffset = l * session.contextLength * kvDim
                let qi = q[i * qDim], ki = k[i * kvDim]
                if let qNorm = state.qNorm, let kNorm = state.kNorm {
                    for head in 0..<c.headCount { csk_rmsnorm(qi + head * hd, qi + head * hd, qNorm.pointer, Int32(hd), eps) }
                    for head in 0..<c.kvHeadCount { csk_rmsnorm(ki + head * hd, ki + head * hd, kNorm.pointer, Int32(hd), eps) }
                }
                if let rope = session.layerStates[l].rope {
                    let rot = Int32(c.ropeDimensions)
                    csk_rope(qi, Int32(c.headCount), Int32(hd), rot, Int32(pos), rope.pointer, interleaved)
                    csk_rope(ki, Int32(c.kvHeadCount), Int32(hd), rot, Int32(pos), rope.pointer, interleaved)
                }
                session.storeCache(session.keyCache, at: layerOffset + pos * kvDim, from: ki, count: kvDim)
                session.storeCache(session.valueCache, at: layerOffset + pos * kvDim, from: v[i * kvDim], count: kvDim)
                let first = state.window.map { max(0, pos - $0 + 1) } ?? 0
                attentionRows[i] = csk_attention_row(q: qi, k_cache: session.keyCache.raw.advanced(by: layerOffset * session.keyCache.type.byteWidth),
                                                     v_cache: session.valueCache.raw.advanced(by: layerOffset * session.valueCache.type.byteWidth),
                                                     out: attention[i * qDim], first: Int32(first), position: Int32(pos))
            }
            attend(batch, scale: scale, softcap: softcap)
            setJob(0, layer.o, x: attention.pointer, y: xb.pointer, ntok: n)
            runJobs(1)
            if let post = state.postAttentionNorm {
                for i in 0..<n { csk_rmsnorm(xb[i * h], xb[i * h], post.pointer, Int32(h), eps) }
            }
            csk_add(x.pointer, xb.pointer, Int32(n * h))
            for i in 0..<n { csk_rmsnorm(xb[i * h], x[i * h], state.mlpNorm.pointer, Int32(h), eps) }
            if let dense = layer.dense {
                runDense(dense, tokens: n)
            } else if let experts = layer.experts {
                runExperts(experts, tokens: n)
            }
            if let post = state.postMLPNorm {
                for i in 0..<n { csk_rmsnorm(xb[i * h], xb[i * h], post.pointer, Int32(h), eps) }
            }
            csk_add(x.pointer, xb.pointer, Int32(n * h))
        }
        let vocab = c.vocabSize
        for i in 0..<n { csk_rmsnorm(xb[i * h], x[i * h], shared.finalNorm.pointer, Int32(h), eps) }
        setJob(0, model.lmHead, x: xb.pointer, y: logitRows.pointer, ntok: n)
        runJobs(1)
        if let cap = c.finalLogitSoftcap.map(Float.init) { csk_softcap(logitRows.pointer, Int32(n * vocab), cap) }
        for (i, row) in batch.enumerated() {
            row.session.logitBuffer.pointer.update(from: logitRows[i * vocab], count: vocab)
            row.session.hasLogits = true
            row.session.tokens.append(row.token)
        }
    }
}

extension DecodeBatch {
    /// One parallel region for every row's attention (rows with an f16 cache and rows with an f32 cache in
    /// one call each), over the rows `forward` filled in for this layer.
    private func attend(_ batch: [(session: InferenceSession, token: Int32)], scale: Float, softcap: Float) {
        let c = model.config
        guard let scratch = attentionScratch?.pointer else { return }
        var f16 = 0
        for row in batch where row.session.cacheType == .f16 { f16 += 1 }
        if f16 == batch.count || f16 == 0 {
            csk_attention_rows(attentionRows, Int32(batch.count), f16 > 0 ? 1 : 0, Int32(c.headCount), Int32(c.kvHeadCount),
                               Int32(c.headDim), scale, softcap, scratch)
            return
        }
        // Mixed cache types: the f16 rows first, then the f32 rows (each row's numbers are the same either way).
        var order = Array(0..<batch.count)
        order.sort { (batch[$0].session.cacheType == .f16 ? 0 : 1) < (batch[$1].session.cacheType == .f16 ? 0 : 1) }
        let rows = order.map { attentionRows[$0] }
        rows.withUnsafeBufferPointer { p in
            csk_attention_rows(p.baseAddress, Int32(f16), 1, Int32(c.headCount), Int32(c.kvHeadCount), Int32(c.headDim),
                               scale, softcap, scratch)
            csk_attention_rows(p.baseAddress! + f16, Int32(batch.count - f16), 0, Int32(c.headCount), Int32(c.kvHeadCount),
                               Int32(c.headDim), scale, softcap, scratch)
        }
    }
}

extension DecodeBatch: ForwardWorkspace {
    func runJobs(_ count: Int) { csk_matmul_rowwise(jobs, Int32(count), matmulScratch.pointer) }
}
