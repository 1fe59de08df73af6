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
    public internal(set) var tokens: [Int32]

    /// The logits of the last processed token (`vocabSize` floats), valid until the next call that runs the
    /// model. Empty before the first call.
    public var logits: UnsafeBufferPointer<Float> {
        UnsafeBufferPointer(start: logitBuffer.pointer, count: hasLogits ? model.config.vocabSize : 0)
    }

    /// The number of cached tokens.
    public var position: Int { tokens.count }

    /// Tokens processed per batched step during prefill.
    static let chunk = 32

    /// What each layer needs at run time, copied into buffers the kernels can read.
    struct LayerState {
        var attentionNorm: FloatBuffer, mlpNorm: FloatBuffer
        var qBias: FloatBuffer?, kBias: FloatBuffer?, vBias: FloatBuffer?
        var qNorm: FloatBuffer?, kNorm: FloatBuffer?
        var postAttentionNorm: FloatBuffer?, postMLPNorm: FloatBuffer?
        /// Keys the layer sees (itself included), or nil for all earlier positions.
        var window: Int?
        /// The layer's RoPE inverse frequencies, or nil when it skips RoPE.
        var rope: FloatBuffer?
    }

    let layerStates: [LayerState]
    let finalNorm: FloatBuffer
    let keyCache: CacheBuffer
    let valueCache: CacheBuffer
    /// The element type of the key/value cache.
    public var cacheType: KVCacheType { keyCache.type }
    let x: FloatBuffer, xb: FloatBuffer, q: FloatBuffer, k: FloatBuffer, v: FloatBuffer
    let attention: FloatBuffer, gate: FloatBuffer, up: FloatBuffer
    let logitBuffer: FloatBuffer
    let matmulScratch: FloatBuffer
    let attentionScratch: FloatBuffer
    let jobs: UnsafeMutablePointer<csk_matmul_job>
    let jobCapacity: Int
    /// Mixture-of-experts scratch (nil for dense models).
    let moe: ExpertScratch?
    var hasLogits = false

    /// Creates a session with a cache for `contextLength` tokens (default: the model's maximum positions,
    /// capped at 4096; never more than the maximum positions). The KV cache takes
    /// `2 × layers × contextLength × kvHeads × headDim × 2` bytes of address space in f16 (× 4 in f32),
    /// resident only as used.
    ///
    /// - Throws: ``InferenceError/outOfMemory(bytes:)`` when the buffers cannot be allocated.
    public init(model: LlamaModel, contextLength: Int? = nil, cacheType: KVCacheType = .f16) throws(InferenceError) {
        let c = model.config
        self.model = model
        self.contextLength = max(1, min(contextLength ?? min(c.maxPositions, 4096), c.maxPositions))
        tokens = []
        tokens.reserveCapacity(self.contextLength)
        let qDim = c.headCount * c.headDim, kvDim = c.kvHeadCount * c.headDim, n = Self.chunk
        func optional(_ values: [Float]?) throws(InferenceError) -> FloatBuffer? {
            guard let values else { return nil }
            return try FloatBuffer(values)
        }
        var global = c.ropeInverseFrequencies(contextLength: self.contextLength)
        if let divisors = model.ropeFrequencyDivisors {
            for i in global.indices where i < divisors.count && divisors[i] != 0 { global[i] /= divisors[i] }
        }
        let globalRope = try FloatBuffer(global)
        let localRope = try optional(c.localRopeInverseFrequencies())
        var states: [LayerState] = []
        for (i, layer) in model.layers.enumerated() {
            let sliding = c.attention(ofLayer: i) == .sliding
            states.append(LayerState(
                attentionNorm: try FloatBuffer(layer.attentionNorm), mlpNorm: try FloatBuffer(layer.mlpNorm),
                qBias: try optional(layer.qBias), kBias: try optional(layer.kBias), vBias: try optional(layer.vBias),
                qNorm: try optional(layer.qNorm), kNorm: try optional(layer.kNorm),
                postAttentionNorm: try optional(layer.postAttentionNorm), postMLPNorm: try optional(layer.postMLPNorm),
                window: sliding ? c.slidingWindow : nil,
                rope: c.noRopeLayers.contains(i) ? nil : (sliding ? localRope ?? globalRope : globalRope)))
        }
        layerStates = states
        finalNorm = try FloatBuffer(model.finalNorm)
        let (cacheCount, overflow) = (c.layerCount * kvDim).multipliedReportingOverflow(by: self.contextLength)
        if overflow { throw .outOfMemory(bytes: Int.max) }
        keyCache = try CacheBuffer(count: cacheCount, type: cacheType)
        valueCache = try CacheBuffer(count: cacheCount, type: cacheType)
        x = try FloatBuffer(count: n * c.hiddenSize)
        xb = try FloatBuffer(count: n * max(c.hiddenSize, qDim))
        q = try FloatBuffer(count: n * qDim)
        k = try FloatBuffer(count: n * kvDim)
        v = try FloatBuffer(count: n * kvDim)
        attention = try FloatBuffer(count: n * qDim)
        let expertWidth = c.experts.map { $0.topK * $0.intermediateSize } ?? 0
        gate = try FloatBuffer(count: n * max(c.intermediateSize, expertWidth))
        up = try FloatBuffer(count: n * max(c.intermediateSize, expertWidth))
        logitBuffer = try FloatBuffer(count: c.vocabSize)
        let widest = max(c.hiddenSize, c.intermediateSize, qDim, c.experts?.intermediateSize ?? 0)
        matmulScratch = try FloatBuffer(count: Int(csk_matmul_scratch_floats(Int32(widest))))
        attentionScratch = try FloatBuffer(count: Int(csk_attention_scratch_floats(Int32(self.contextLength), Int32(model.config.headCount / max(1, model.config.kvHeadCount)))))
        jobCapacity = max(4, 2 * (c.experts?.count ?? 0))
        jobs = UnsafeMutablePointer<csk_matmul_job>.allocate(capacity: jobCapacity)
        jobs.initialize(repeating: csk_matmul_job(), count: jobCapacity)
        moe = try c.experts.map { e throws(InferenceError) in try ExpertScratch(experts: e, hidden: c.hiddenSize, tokens: n) }
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

    func validate(_ newTokens: some Collection<Int32>) throws(InferenceError) {
        guard !newTokens.isEmpty else { throw .emptyInput }
        guard tokens.count + newTokens.count <= contextLength else {
            throw .contextOverflow(position: tokens.count, adding: newTokens.count, contextLength: contextLength)
        }
        let vocab = model.config.vocabSize
        for t in newTokens where t < 0 || Int(t) >= vocab { throw .invalidToken(token: t, vocabSize: vocab) }
    }
}
