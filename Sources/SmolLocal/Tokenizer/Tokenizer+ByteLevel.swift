/// The pieces a byte-level BPE tokenizer is assembled from, whatever file they came from.
struct ByteLevelDefinition {
    /// Model vocabulary: token text → id.
    var vocabulary: [ExactText: Int32]
    /// Merges in rank order, each with the place it came from for error messages.
    var merges: [(left: String, right: String, path: String)]
    var ignoresMerges = false
    var steps: [PreTokenizerStep]
    var normalizesNFC = false
    var addedTokens: [AddedToken] = []
    /// Ids that count as special beyond the added tokens flagged special (GGUF control tokens).
    var extraSpecialIDs: Set<Int32> = []
    var unknownID: Int32?
    /// The id BPE emits for a byte with no token (`model.unk_token`); `nil` drops such bytes.
    var byteFallbackUnknownID: Int32?
    var bosID: Int32?
    var eosID: Int32?
    var paddingID: Int32?
    var prefixIDs: [Int32] = []
    var suffixIDs: [Int32] = []
    /// Where the vocabulary came from, for error messages (`model.vocab`, `tokenizer.ggml.tokens`).
    var vocabularyPath: String
}

extension Tokenizer {
    init(byteLevel definition: ByteLevelDefinition) throws(TokenizerError) {
        var tokenIDs = definition.vocabulary
        var size = 0
        for id in tokenIDs.values { size = max(size, Int(id) + 1) }
        for token in definition.addedTokens { size = max(size, Int(token.id) + 1) }
        // Ids index dense tables; a stray huge id would otherwise allocate gigabytes.
        let entryCount = definition.vocabulary.count + definition.addedTokens.count
        guard size <= 2 * entryCount + 1024 else {
            throw .invalidField(
                path: definition.vocabularyPath, reason: "ids go up to \(size - 1) for only \(entryCount) tokens")
        }
        var texts = [String?](repeating: nil, count: size)
        for (text, id) in tokenIDs { texts[Int(id)] = String(decoding: text.bytes, as: UTF8.self) }
        for token in definition.addedTokens {
            texts[Int(token.id)] = token.content
            tokenIDs[ExactText(token.content)] = token.id
        }

        var mergeTable = MergeTable(capacity: definition.merges.count)
        for (rank, merge) in definition.merges.enumerated() {
            guard let left = definition.vocabulary[ExactText(merge.left)],
                let right = definition.vocabulary[ExactText(merge.right)],
                let merged = definition.vocabulary[ExactText(merge.left + merge.right)]
            else {
                throw .invalidMerge(path: merge.path, merge: "\(merge.left) \(merge.right)")
            }
            mergeTable.insertIfAbsent(pairKey(left, right), UInt64(rank) << 32 | UInt64(UInt32(bitPattern: merged)))
        }

        // Real vocabularies can lack some byte tokens (SmolLM2 has none for 0x00–0x08, …). `tokenizers` then
        // emits `unk_token` if the model names one and otherwise drops the byte; llama.cpp always drops it.
        var byteTokens = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            byteTokens[byte] = definition.vocabulary[ExactText(String(ByteLevelAlphabet.characters[byte]))] ?? -1
        }

        var tokenBytes = [[UInt8]](repeating: [], count: size)
        for (id, text) in texts.enumerated() {
            guard let text else { continue }
            tokenBytes[id] = ByteLevelAlphabet.decode(text) ?? Array(text.utf8)
        }

        var wholeWords: [ExactText: Int32]?
        if definition.ignoresMerges {
            var words: [ExactText: Int32] = [:]
            words.reserveCapacity(definition.vocabulary.count)
            for (text, id) in definition.vocabulary {
                if let bytes = ByteLevelAlphabet.decode(String(decoding: text.bytes, as: UTF8.self)) { words[ExactText(bytes: bytes)] = id }
            }
            wholeWords = words
        }

        let merger = BytePairMerger(
            merges: mergeTable, byteTokens: byteTokens, wholeWords: wholeWords, unknownID: definition.byteFallbackUnknownID,
            cache: WordCache(capacity: 16_384))
        var special = definition.extraSpecialIDs
        for token in definition.addedTokens where token.isSpecial { special.insert(token.id) }

        self.init(
            model: .byteLevel(merger, steps: definition.steps),
            normalizesNFC: definition.normalizesNFC,
            rawMatcher: AddedTokenMatcher(definition.addedTokens.filter { !$0.isNormalized }),
            normalizedMatcher: AddedTokenMatcher(definition.addedTokens.filter { $0.isNormalized }),
            tokenTexts: texts, tokenBytes: tokenBytes, tokenIDs: tokenIDs,
            prefixIDs: definition.prefixIDs, suffixIDs: definition.suffixIDs, stripsLeadingSpaceOnDecode: false,
            specialTokenIDs: special, bosTokenID: definition.bosID, eosTokenID: definition.eosID,
            paddingTokenID: definition.paddingID, unknownTokenID: definition.unknownID)
    }
}
