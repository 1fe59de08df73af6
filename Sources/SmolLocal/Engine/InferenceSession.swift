import CSmolKernels

/// One conversation's decoding state over a shared ``LlamaModel``: the KV cache, the scratch buffers and the
/// logits of the last processed token.
///
/// All memory is allocated when the session is created; ``prefill(_:)`` and ``decode(_:)`` allocate nothing
/// per token. A session is not thread-safe: use it from one task at a time (it may move between tasks).
public final class InferenceSession {
    /// The model whose weights this session runs.
    public let model: LlamaModel
    /// The maximum number of tokens the cache holds.
    public let contextLength: Int
    /// The tokens whose keys and values are in the cache, in order.
    public private(set) var tokens: [Int32]

    /// The logits of the last processed token (`vocabSize` floats), valid until the next call that runs the
    /// model. Empty before the first call.
    public var logits: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: logitBuffer.pointer, count: hasLogits ? model.config.vocabSize : 0)
    }

    /// The number of cached tokens.
    public var position: Int { tokens.count }

    /// Tokens processed per batched step during prefill.
    static let chunk = 32

    private let layerNorms: [(attention: FloatBuffer, mlp: FloatBuffer)]
    private let biases: [(q: FloatBuffer?, k: FloatBuffer?, v: FloatBuffer?)]
    private let finalNorm: FloatBuffer
    private let ropeFrequencies: FloatBuffer
    private let keyCache: FloatBuffer
    private let valueCache: FloatBuffer
    private let x: FloatBuffer, xb: FloatBuffer, q: FloatBuffer, k: FloatBuffer, v: FloatBuffer
    private let attention: FloatBuffer, gate: FloatBuffer, up: FloatBuffer
    private let logitBuffer: FloatBuffer
    private let matmulScratch: FloatBuffer
    private let attentionScratch: FloatBuffer
    private let jobs: UnsafeMutablePointer<csk_matmul_job>
    private var hasLogits = false

    /// Creates a session with a cache for `contextLength` tokens (default: the model's maximum positions,
    /// capped at 4096; never more than the maximum positions). The f32 KV cache takes
    /// `2 × layers × contextLength × kvHeads × headDim × 4` bytes of address space, resident only as used.
    ///
    /// - Throws: ``InferenceError/outOfMemory(bytes:)`` when the buffers cannot be allocated.
    public init(model: LlamaModel, contextLength: Int? = nil) throws(InferenceError) {
        let c = model.config
        self.model = model
        self.contextLength = max(1, min(contextLength ?? min(c.maxPositions, 4096), c.maxPositions))
        tokens = []
        tokens.reserveCapacity(self.contextLength)
        let qDim = c.headCount * c.headDim, kvDim = c.kvHeadCount * c.headDim, n = Self.chunk
        var norms: [(attention: FloatBuffer, mlp: FloatBuffer)] = []
        var biases: [(q: FloatBuffer?, k: FloatBuffer?, v: FloatBuffer?)] = []
        func optional(_ values: [Float]?) throws(InferenceError) -> FloatBuffer? {
            guard let values else { return nil }
            return try FloatBuffer(values)
        }
        for layer in model.layers {
            norms.append((try FloatBuffer(layer.attentionNorm), try FloatBuffer(layer.mlpNorm)))
            biases.append((try optional(layer.qBias), try optional(layer.kBias), try optional(layer.vBias)))
        }
        layerNorms = norms
        self.biases = biases
        finalNorm = try FloatBuffer(model.finalNorm)
        ropeFrequencies = try FloatBuffer(model.ropeInverseFrequencies)
        let (cacheCount, overflow) = (c.layerCount * kvDim).multipliedReportingOverflow(by: self.contextLength)
        if overflow { throw .outOfMemory(bytes: Int.max) }
        keyCache = try FloatBuffer(count: cacheCount)
        valueCache = try FloatBuffer(count: cacheCount)
        x = try FloatBuffer(count: n * c.hiddenSize)
        xb = try FloatBuffer(count: n * max(c.hiddenSize, qDim))
        q = try FloatBuffer(count: n * qDim)
        k = try FloatBuffer(count: n * kvDim)
        v = try FloatBuffer(count: n * kvDim)
        attention = try FloatBuffer(count: n * qDim)
        gate = try FloatBuffer(count: n * c.intermediateSize)
        up = try FloatBuffer(count: n * c.intermediateSize)
        logitBuffer = try FloatBuffer(count: c.vocabSize)
        matmulScratch = try FloatBuffer(count: Int(csk_matmul_scratch_floats(Int32(max(c.hiddenSize, c.intermediateSize, qDim)))))
        attentionScratch = try FloatBuffer(count: Int(csk_attention_scratch_floats(Int32(self.contextLength))))
        jobs = UnsafeMutablePointer<csk_matmul_job>.allocate(capacity: 4)
        jobs.initialize(repeating: csk_matmul_job(), count: 4)
    }

    deinit { jobs.deallocate() }

    /// Forgets every cached token.
    public func reset() {
        tokens.removeAll(keepingCapacity: true)
        hasLogits = false
    }

    /// Keeps only the first `length` cached tokens (for reusing a shared prompt prefix). The logits are
    /// cleared: run ``prefill(_:)`` or ``decode(_:)`` before sampling.
    public func truncate(to length: Int) throws(InferenceError) {
        guard length >= 0, length <= tokens.count else { throw .invalidTruncation(length: length, cached: tokens.count) }
        tokens.removeSubrange(length...)
        hasLogits = false
    }

    /// The number of leading tokens of `prompt` that are already cached.
    public func cachedPrefixLength(of prompt: [Int32]) -> Int {
        var n = 0
        while n < prompt.count, n < tokens.count, prompt[n] == tokens[n] { n += 1 }
        return n
    }

    /// Appends `newTokens` to the cache in batches and leaves the last token's logits in ``logits``.
    public func prefill(_ newTokens: [Int32]) throws(InferenceError) {
        try validate(newTokens)
        var start = 0
        while start < newTokens.count {
            let end = min(start + Self.chunk, newTokens.count)
            forward(newTokens[start..<end], logitRows: end == newTokens.count ? .last : .none, output: nil)
            start = end
        }
    }

    /// Appends `newTokens` and returns the logits of every one of them (`count × vocabSize`, row-major).
    public func prefillReturningAllLogits(_ newTokens: [Int32]) throws(InferenceError) -> [Float] {
        try validate(newTokens)
        let vocab = model.config.vocabSize
        var out = [Float](repeating: 0, count: newTokens.count * vocab)
        out.withUnsafeMutableBufferPointer { buffer in
            var start = 0
            while start < newTokens.count {
                let end = min(start + Self.chunk, newTokens.count)
                forward(newTokens[start..<end], logitRows: .all, output: buffer.baseAddress! + start * vocab)
                start = end
            }
        }
        return out
    }

    /// Appends one token and leaves its logits in ``logits``.
    public func decode(_ token: Int32) throws(InferenceError) {
        try validate(CollectionOfOne(token))
        forward(CollectionOfOne(token), logitRows: .last, output: nil)
    }

    /// A copy of ``logits``.
    public func copyLogits() -> [Float] { Array(logits) }

    private func validate(_ newTokens: some Collection<Int32>) throws(InferenceError) {
        guard !newTokens.isEmpty else { throw .emptyInput }
        guard tokens.count + newTokens.count <= contextLength else {
            throw .contextOverflow(position: tokens.count, adding: newTokens.count, contextLength: contextLength)
        }
        let vocab = model.config.vocabSize
        for t in newTokens where t < 0 || Int(t) >= vocab { throw .invalidToken(token: t, vocabSize: vocab) }
    }

    private enum LogitRows { case none, last, all }

    private func setJob(_ index: Int, _ w: WeightMatrix, x: UnsafePointer<Float>, y: UnsafeMutablePointer<Float>,
                        ntok: Int, bias: FloatBuffer? = nil) {
        jobs[index] = csk_matmul_job(type: w.kernelType, rows: Int32(w.rows), cols: Int32(w.columns), ntok: Int32(ntok),
                                     w: w.baseAddress, row_bytes: w.rowBytes, x: x, y: y, y_stride: Int64(w.rows),
                                     bias: bias.map { UnsafePointer($0.pointer) }, affine: w.affineDescriptor)
    }

    /// Runs the tokens (at most `chunk`) through the model at the current position.
    private func forward(_ batch: some Collection<Int32>, logitRows: LogitRows, output: UnsafeMutablePointer<Float>?) {
        let c = model.config
        let n = batch.count, h = c.hiddenSize, hd = c.headDim
        let qDim = c.headCount * hd, kvDim = c.kvHeadCount * hd, inter = c.intermediateSize
        let start = tokens.count
        let interleaved: Int32 = c.ropeLayout == .interleaved ? 1 : 0
        let eps = Float(c.rmsNormEpsilon), scale = 1 / Float(hd).squareRoot()
        for (i, token) in batch.enumerated() {
            model.embedding.dequantizeRow(Int(token), into: x[i * h])
        }
        for (l, layer) in model.layers.enumerated() {
            let norms = layerNorms[l], bias = biases[l]
            for i in 0..<n { csk_rmsnorm(xb[i * h], x[i * h], norms.attention.pointer, Int32(h), eps) }
            setJob(0, layer.q, x: xb.pointer, y: q.pointer, ntok: n, bias: bias.q)
            setJob(1, layer.k, x: xb.pointer, y: k.pointer, ntok: n, bias: bias.k)
            setJob(2, layer.v, x: xb.pointer, y: v.pointer, ntok: n, bias: bias.v)
            csk_matmul(jobs, 3, matmulScratch.pointer)
            let kc = keyCache[l * contextLength * kvDim], vc = valueCache[l * contextLength * kvDim]
            for i in 0..<n {
                let pos = start + i
                csk_rope(q[i * qDim], Int32(c.headCount), Int32(hd), Int32(pos), ropeFrequencies.pointer, interleaved)
                csk_rope(k[i * kvDim], Int32(c.kvHeadCount), Int32(hd), Int32(pos), ropeFrequencies.pointer, interleaved)
                (kc + pos * kvDim).update(from: k[i * kvDim], count: kvDim)
                (vc + pos * kvDim).update(from: v[i * kvDim], count: kvDim)
            }
            for i in 0..<n {
                csk_attention(q[i * qDim], kc, vc, attention[i * qDim], Int32(c.headCount), Int32(c.kvHeadCount),
                              Int32(hd), Int32(start + i), scale, attentionScratch.pointer)
            }
            setJob(0, layer.o, x: attention.pointer, y: xb.pointer, ntok: n)
            csk_matmul(jobs, 1, matmulScratch.pointer)
            csk_add(x.pointer, xb.pointer, Int32(n * h))
            for i in 0..<n { csk_rmsnorm(xb[i * h], x[i * h], norms.mlp.pointer, Int32(h), eps) }
            setJob(0, layer.gate, x: xb.pointer, y: gate.pointer, ntok: n)
            setJob(1, layer.up, x: xb.pointer, y: up.pointer, ntok: n)
            csk_matmul(jobs, 2, matmulScratch.pointer)
            csk_silu_mul(gate.pointer, up.pointer, Int32(n * inter))
            setJob(0, layer.down, x: gate.pointer, y: xb.pointer, ntok: n)
            csk_matmul(jobs, 1, matmulScratch.pointer)
            csk_add(x.pointer, xb.pointer, Int32(n * h))
        }
        tokens.append(contentsOf: batch)
        switch logitRows {
        case .none:
            break
        case .last:
            csk_rmsnorm(xb.pointer, x[(n - 1) * h], finalNorm.pointer, Int32(h), eps)
            setJob(0, model.lmHead, x: xb.pointer, y: logitBuffer.pointer, ntok: 1)
            csk_matmul(jobs, 1, matmulScratch.pointer)
            hasLogits = true
        case .all:
            for i in 0..<n { csk_rmsnorm(xb[i * h], x[i * h], finalNorm.pointer, Int32(h), eps) }
            guard let output else { return }
            setJob(0, model.lmHead, x: xb.pointer, y: output, ntok: n)
            csk_matmul(jobs, 1, matmulScratch.pointer)
            logitBuffer.pointer.update(from: output + (n - 1) * c.vocabSize, count: c.vocabSize)
            hasLogits = true
        }
    }
}
