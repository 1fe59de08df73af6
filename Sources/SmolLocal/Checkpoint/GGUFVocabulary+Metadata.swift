extension GGUFVocabulary {
    /// The tokenizer a GGUF file carries, from its `tokenizer.ggml.*` metadata.
    ///
    /// - Throws: ``TokenizerError/missingField(path:)`` naming the key when the file has no vocabulary,
    ///   or ``TokenizerError/unsupported(path:value:)`` when a key holds the wrong kind of value.
    public init(metadata: GGUFMetadata) throws(TokenizerError) {
        func integer(_ key: String) throws(TokenizerError) -> Int32? {
            guard let value = metadata[key] else { return nil }
            guard let int = value.intValue, let id = Int32(exactly: int) else {
                throw .unsupported(path: key, value: "\(value)")
            }
            return id
        }
        guard let model = metadata.string("tokenizer.ggml.model") else {
            throw .missingField(path: "tokenizer.ggml.model")
        }
        guard let tokens = metadata.stringArray("tokenizer.ggml.tokens") else {
            throw .missingField(path: "tokenizer.ggml.tokens")
        }
        var tokenTypes: [Int32]?
        if metadata["tokenizer.ggml.token_type"] != nil {
            guard let types = metadata.intArray("tokenizer.ggml.token_type") else {
                throw .unsupported(path: "tokenizer.ggml.token_type", value: "not an integer array")
            }
            tokenTypes = types.map { Int32(clamping: $0) }
        }
        var scores: [Float]?
        if metadata["tokenizer.ggml.scores"] != nil {
            guard let values = metadata.floatArray("tokenizer.ggml.scores") else {
                throw .unsupported(path: "tokenizer.ggml.scores", value: "not a float array")
            }
            scores = values
        }
        var merges: [String]?
        if metadata["tokenizer.ggml.merges"] != nil {
            guard let values = metadata.stringArray("tokenizer.ggml.merges") else {
                throw .unsupported(path: "tokenizer.ggml.merges", value: "not a string array")
            }
            merges = values
        }
        self.init(
            model: model, pre: metadata.string("tokenizer.ggml.pre"), tokens: tokens, tokenTypes: tokenTypes,
            scores: scores, merges: merges, bosID: try integer("tokenizer.ggml.bos_token_id"),
            eosID: try integer("tokenizer.ggml.eos_token_id"), unknownID: try integer("tokenizer.ggml.unknown_token_id"),
            paddingID: try integer("tokenizer.ggml.padding_token_id"),
            addBOS: metadata.bool("tokenizer.ggml.add_bos_token"), addEOS: metadata.bool("tokenizer.ggml.add_eos_token"),
            addSpacePrefix: metadata.bool("tokenizer.ggml.add_space_prefix"))
    }
}
