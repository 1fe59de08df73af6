extension LlamaModel {
    /// How the public initializers reach a checkpoint's tensors.
    struct TensorSource {
        /// The tensor a name refers to, or a `.missing` error.
        var lookup: (String) throws(ModelFileError) -> TensorRef
        /// The tensor a name refers to, if present.
        var optional: (String) -> TensorRef?
        /// A whole `[rows, columns]` matrix (MLX affine-quantized ones included).
        var matrix: (String, Int, Int) throws(ModelFileError) -> WeightMatrix

        /// Rows `first ..< first + rows` of a fused or stacked tensor holding `total` rows of `columns`.
        func slice(_ name: String, first: Int, rows: Int, total: Int, columns: Int) throws(ModelFileError) -> WeightMatrix {
            let tensor = try lookup(name)
            let module = name.hasSuffix(".weight") ? String(name.dropLast(7)) : name
            if optional(module + ".scales") != nil || tensor.type == .u32 {
                throw .badTensor(path: tensor.file.path, tensor: name,
                                 reason: "MLX-quantized fused or stacked projections are not supported; use an unquantized or GGUF checkpoint")
            }
            return try WeightMatrix(tensor, firstRow: first, rows: rows, totalRows: total, columns: columns)
        }
    }

    init(config: ModelConfig, source: String, ropeFrequencyDivisors: [Float]?, names: TensorNames, normOffset: Float,
         lookup: @escaping (String) throws(ModelFileError) -> TensorRef, optional: @escaping (String) -> TensorRef?,
         matrix: @escaping (String, Int, Int) throws(ModelFileError) -> WeightMatrix) throws(ModelFileError) {
        try self.init(config: config, source: source, ropeFrequencyDivisors: ropeFrequencyDivisors, names: names,
                      normOffset: normOffset, tensors: TensorSource(lookup: lookup, optional: optional, matrix: matrix))
    }

    private init(config: ModelConfig, source: String, ropeFrequencyDivisors: [Float]?, names: TensorNames, normOffset: Float,
                 tensors: TensorSource) throws(ModelFileError) {
        self.config = config
        self.source = source
        self.ropeFrequencyDivisors = ropeFrequencyDivisors
        let h = config.hiddenSize
        func norm(_ name: String, _ count: Int) throws(ModelFileError) -> [Float] {
            let values = try loadVector(try tensors.lookup(name), count: count)
            return normOffset == 0 ? values : values.map { $0 + normOffset }
        }
        embedding = try tensors.matrix(names.embedding, config.vocabSize, h)
        finalNorm = try norm(names.finalNorm, h)
        if !config.tieWordEmbeddings, tensors.optional(names.lmHead) != nil {
            lmHead = try tensors.matrix(names.lmHead, config.vocabSize, h)
        } else {
            lmHead = embedding
        }
        var layers: [Layer] = []
        for i in 0..<config.layerCount {
            layers.append(try Self.layer(i, config: config, source: source, names: names, tensors: tensors, norm: norm))
        }
        self.layers = layers
    }

    private static func layer(_ i: Int, config c: ModelConfig, source: String, names: TensorNames, tensors: TensorSource,
                              norm: (String, Int) throws(ModelFileError) -> [Float]) throws(ModelFileError) -> Layer {
        let h = c.hiddenSize, qDim = c.headCount * c.headDim, kvDim = c.kvHeadCount * c.headDim
        func name(_ n: String) -> String { names.layer(i, n) }
        func bias(_ n: String, _ count: Int) throws(ModelFileError) -> [Float]? {
            guard let b = tensors.optional(name(n)) else {
                if c.attentionBias { throw .missing(path: source, what: "tensor '\(name(n))'") }
                return nil
            }
            return try loadVector(b, count: count)
        }
        func optionalNorm(_ n: String, _ count: Int, required: Bool) throws(ModelFileError) -> [Float]? {
            guard required else { return nil }
            return try norm(name(n), count)
        }
        let q: WeightMatrix, k: WeightMatrix, v: WeightMatrix
        if c.architecture == .phi3, tensors.optional(name(names.fusedQKV)) != nil {
            let total = qDim + 2 * kvDim, fused = name(names.fusedQKV)
            q = try tensors.slice(fused, first: 0, rows: qDim, total: total, columns: h)
            k = try tensors.slice(fused, first: qDim, rows: kvDim, total: total, columns: h)
            v = try tensors.slice(fused, first: qDim + kvDim, rows: kvDim, total: total, columns: h)
        } else {
            q = try tensors.matrix(name(names.q), qDim, h)
            k = try tensors.matrix(name(names.k), kvDim, h)
            v = try tensors.matrix(name(names.v), kvDim, h)
        }
        var dense: DenseMLP?
        var experts: Experts?
        if c.hasExperts(layer: i), let e = c.experts {
            experts = try Self.experts(i, e, config: c, source: source, names: names, tensors: tensors)
        } else {
            dense = try Self.denseMLP(i, config: c, names: names, tensors: tensors)
        }
        return Layer(
            attentionNorm: try norm(name(names.attentionNorm), h),
            q: q, k: k, v: v,
            o: try tensors.matrix(name(names.o), h, qDim),
            qBias: try bias(names.qBias, qDim), kBias: try bias(names.kBias, kvDim), vBias: try bias(names.vBias, kvDim),
            qNorm: try optionalNorm(names.qNorm, c.headDim, required: c.qkNorm),
            kNorm: try optionalNorm(names.kNorm, c.headDim, required: c.qkNorm),
            postAttentionNorm: try optionalNorm(names.postAttentionNorm, h, required: c.sandwichNorms),
            mlpNorm: try norm(name(names.mlpNorm), h),
            postMLPNorm: try optionalNorm(names.postMLPNorm, h, required: c.sandwichNorms),
            dense: dense, experts: experts)
    }

    private static func denseMLP(_ i: Int, config c: ModelConfig, names: TensorNames,
                                 tensors: TensorSource) throws(ModelFileError) -> DenseMLP {
        let h = c.hiddenSize, inter = c.intermediateSize
        let down = try tensors.matrix(names.layer(i, names.down), h, inter)
        let fused = names.layer(i, names.fusedGateUp)
        if c.architecture == .phi3, let t = tensors.optional(fused), t.shape.first == 2 * inter {
            // Phi-3's gate_up_proj: the gate's rows, then the up projection's (transformers chunks it in two).
            return DenseMLP(gate: try tensors.slice(fused, first: 0, rows: inter, total: 2 * inter, columns: h),
                            up: try tensors.slice(fused, first: inter, rows: inter, total: 2 * inter, columns: h), down: down)
        }
        return DenseMLP(gate: try tensors.matrix(names.layer(i, names.gate), inter, h),
                        up: try tensors.matrix(names.layer(i, names.up), inter, h), down: down)
    }

    private static func experts(_ i: Int, _ e: ModelConfig.MixtureOfExperts, config c: ModelConfig, source: String, names: TensorNames,
                                tensors: TensorSource) throws(ModelFileError) -> Experts {
        let h = c.hiddenSize, w = e.intermediateSize, n = e.count
        let router = try tensors.matrix(names.layer(i, names.router), n, h)
        var mlps: [DenseMLP] = []
        mlps.reserveCapacity(n)
        func name(_ s: String?) -> String? { s.map { names.layer(i, $0) } }
        if let gate = name(names.stackedGate), let up = name(names.stackedUp), let down = name(names.stackedDown),
           tensors.optional(gate) != nil {
            // GGUF: [experts, width, hidden] for gate and up, [experts, hidden, width] for down.
            for x in 0..<n {
                mlps.append(DenseMLP(gate: try tensors.slice(gate, first: x * w, rows: w, total: n * w, columns: h),
                                     up: try tensors.slice(up, first: x * w, rows: w, total: n * w, columns: h),
                                     down: try tensors.slice(down, first: x * h, rows: h, total: n * h, columns: w)))
            }
        } else if let gateUp = name(names.stackedGateUp), let down = name(names.stackedDown), tensors.optional(gateUp) != nil {
            // transformers 5's fused experts: gate_up_proj [experts, 2 × width, hidden], down_proj [experts, hidden, width].
            for x in 0..<n {
                mlps.append(DenseMLP(gate: try tensors.slice(gateUp, first: 2 * x * w, rows: w, total: 2 * n * w, columns: h),
                                     up: try tensors.slice(gateUp, first: 2 * x * w + w, rows: w, total: 2 * n * w, columns: h),
                                     down: try tensors.slice(down, first: x * h, rows: h, total: n * h, columns: w)))
            }
        } else if let expert = names.expert {
            for x in 0..<n {
                mlps.append(DenseMLP(gate: try tensors.matrix(names.layer(i, expert(x, names.expertGate)), w, h),
                                     up: try tensors.matrix(names.layer(i, expert(x, names.expertUp)), w, h),
                                     down: try tensors.matrix(names.layer(i, expert(x, names.expertDown)), h, w)))
            }
        } else {
            throw .missing(path: source, what: "the expert tensors of layer \(i) ('\(names.layer(i, names.stackedGate ?? ""))')")
        }
        return Experts(router: router, experts: mlps)
    }
}
