import CSmolKernels

/// The buffers and job array a forward pass works in: a session's own (rows are tokens of one sequence) or
/// a ``DecodeBatch``'s (rows are sequences). The MLP code runs on either.
protocol ForwardWorkspace: AnyObject {
    var model: LlamaModel { get }
    var xb: FloatBuffer { get }
    var gate: FloatBuffer { get }
    var up: FloatBuffer { get }
    var jobs: UnsafeMutablePointer<csk_matmul_job> { get }
    var moe: ExpertScratch? { get }
    /// Runs `jobs[0..<count]`.
    func runJobs(_ count: Int)
}

extension InferenceSession: ForwardWorkspace {
    func runJobs(_ count: Int) { csk_matmul(jobs, Int32(count), matmulScratch.pointer) }
}

extension ForwardWorkspace {
    func setJob(_ index: Int, _ w: WeightMatrix, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                ntok: Int, bias: FloatBuffer? = nil, yStride: Int? = nil) {
        jobs[index] = csk_matmul_job(type: w.kernelType, rows: Int32(w.rows), cols: Int32(w.columns), ntok: Int32(ntok),
                                     w: w.baseAddress, row_bytes: w.rowBytes, x: x, y: y, y_stride: Int64(yStride ?? w.rows),
                                     bias: bias.map { UnsafePointer($0.pointer) }, affine: w.affineDescriptor)
    }

    /// xb (`tokens` rows of the normed hidden state) → xb, through a gated MLP.
    func runDense(_ mlp: LlamaModel.DenseMLP, tokens n: Int) {
        setJob(0, mlp.gate, x: xb.pointer, y: gate.pointer, ntok: n)
        setJob(1, mlp.up, x: xb.pointer, y: up.pointer, ntok: n)
        runJobs(2)
        activate(gate.pointer, up.pointer, count: n * mlp.gate.rows)
        setJob(0, mlp.down, x: gate.pointer, y: xb.pointer, ntok: n)
        runJobs(1)
    }

    /// gate = act(gate) * up over `count` values.
    func activate(_ g: UnsafeMutablePointer<Float>, _ u: UnsafePointer<Float>, count: Int) {
        switch model.config.activation {
        case .silu: csk_silu_mul(g, u, Int32(count))
        case .geluTanh: csk_gelu_tanh_mul(g, u, Int32(count))
        }
    }
}

extension InferenceSession {
    enum LogitRows { case none, last, all }

    /// Runs the tokens (at most `chunk`) through the model at the current position.
    func forward(_ batch: some Collection<Int32>, logitRows: LogitRows, output: UnsafeMutablePointer<Float>?) {
        let c = model.config
        let n = batch.count, h = c.hiddenSize, hd = c.headDim
        let qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd
        let start = tokens.count
        let interleaved: Int32 = c.ropeLayout == .interleaved ? 1 : 0
        let eps = Float(c.rmsNormEpsilon)
        let scale = Float((c.attentionScale ?? 1 / Double(hd).squareRoot()) * c.ropeScoreFactor)
        let softcap = Float(c.attentionSoftcap ?? 0)
        for (i, token) in batch.enumerated() {
            model.embedding.dequantizeRow(Int(token), into: x[i * h])
        }
        if let factor = c.embeddingScale {
            for i in 0..<(n * h) { x.pointer[i] *= factor }
        }
        for (l, layer) in model.layers.enumerated() {
            let state = layerStates[l]
            for i in 0..<n { csk_rmsnorm(xb[i * h], x[i * h], state.attentionNorm.pointer, Int32(h), eps) }
            setJob(0, layer.q, x: xb.pointer, y: q.pointer, ntok: n, bias: state.qBias)
            setJob(1, layer.k, x: xb.pointer, y: k.pointer, ntok: n, bias: state.kBias)
            setJob(2, layer.v, x: xb.pointer, y: v.pointer, ntok: n, bias: state.vBias)
            runJobs(3)
            let layerOffset = l * contextLength * kvDim
            for i in 0..<n {
                let pos = start + i
                let qi = q[i * qDim], ki = k[i * kvDim]
                if let qNorm = state.qNorm, let kNorm = state.kNorm {
                    for head in 0..<c.headCount { csk_rmsnorm(qi + head * hd, qi + head * hd, qNorm.pointer, Int32(hd), eps) }
                    for head in 0..<c.kvHeadCount { csk_rmsnorm(ki + head * hd, ki + head * hd, kNorm.pointer, Int32(hd), eps) }
                }
                if let rope = state.rope {
                    let rot = Int32(c.ropeDimensions)
                    csk_rope(qi, Int32(c.headCount), Int32(hd), rot, Int32(pos), rope.pointer, interleaved)
                    csk_rope(ki, Int32(c.kvHeadCount), Int32(hd), rot, Int32(pos), rope.pointer, interleaved)
                }
                storeCache(keyCache, at: layerOffset + pos * kvDim, from: ki, count: kvDim)
                storeCache(valueCache, at: layerOffset + pos * kvDim, from: v[i * kvDim], count: kvDim)
            }
            for i in 0..<n {
                let pos = start + i
                let first = state.window.map { max(0, pos - $0 + 1) } ?? 0
                attend(query: q[i * qDim], layerOffset: layerOffset, first: first, position: pos, output: attention[i * qDim],
                       scale: scale, softcap: softcap)
            }
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
        tokens.append(contentsOf: batch)
        let vocab = c.vocabSize
        let cap = c.finalLogitSoftcap.map(Float.init)
        switch logitRows {
        case .none:
            break
        case .last:
            csk_rmsnorm(xb.pointer, x[(n - 1) * h], finalNorm.pointer, Int32(h), eps)
            setJob(0, model.lmHead, x: xb.pointer, y: logitBuffer.pointer, ntok: 1)
            runJobs(1)
            if let cap { csk_softcap(logitBuffer.pointer, Int32(vocab), cap) }
            hasLogits = true
        case .all:
            for i in 0..<n { csk_rmsnorm(xb[i * h], x[i * h], finalNorm.pointer, Int32(h), eps) }
            guard let output else { return }
            setJob(0, model.lmHead, x: xb.pointer, y: output, ntok: n)
            runJobs(1)
            if let cap { csk_softcap(output, Int32(n * vocab), cap) }
            logitBuffer.pointer.update(from: output + (n - 1) * vocab, count: vocab)
            hasLogits = true
        }
    }

    /// Writes `count` floats into a cache at element `offset`, converting to the cache's type.
    func storeCache(_ cache: CacheBuffer, at offset: Int, from source: UnsafePointer<Float>, count: Int) {
        switch cache.type {
        case .f32: (cache.raw.assumingMemoryBound(to: Float.self) + offset).update(from: source, count: count)
        case .f16: csk_store_f16(cache.raw.assumingMemoryBound(to: UInt16.self) + offset, source, Int32(count))
        }
    }

    /// Attention of one query row over this session's cached positions `first...position` of the layer
    /// whose cache starts at element `layerOffset`.
    func attend(query: UnsafeMutablePointer<Float>, layerOffset: Int, first: Int, position: Int,
                output: UnsafeMutablePointer<Float>, scale: Float, softcap: Float) {
        let c = model.config
        switch keyCache.type {
        case .f32:
            let kc = keyCache.raw.assumingMemoryBound(to: Float.self) + layerOffset
            let vc = valueCache.raw.assumingMemoryBound(to: Float.self) + layerOffset
            csk_attention(query, kc, vc, output, Int32(c.headCount), Int32(c.kvHeadCount),
                          Int32(c.headDim), Int32(first), Int32(position), scale, softcap, attentionScratch.pointer)
        case .f16:
            let kc = keyCache.raw.assumingMemoryBound(to: UInt16.self) + layerOffset
            let vc = valueCache.raw.assumingMemoryBound(to: UInt16.self) + layerOffset
            csk_attention_f16(query, kc, vc, output, Int32(c.headCount), Int32(c.kvHeadCount),
                              Int32(c.headDim), Int32(first), Int32(position), scale, softcap, attentionScratch.pointer)
        }
    }
}
