/// A tokenizer vocabulary as a GGUF file stores it (`tokenizer.ggml.*` metadata), independent of the GGUF reader.
public struct GGUFVocabulary: Sendable, Equatable {
    /// GGUF token types (`tokenizer.ggml.token_type`).
    public enum TokenType: Int32, Sendable {
        /// An ordinary token.
        case normal = 1
        /// The unknown token.
        case unknown = 2
        /// A control token such as BOS, EOS or `<|im_start|>`.
        case control = 3
        /// A user-defined token, matched in text like an added token.
        case userDefined = 4
        /// A placeholder that never occurs.
        case unused = 5
        /// A `<0xNN>` byte-fallback token.
        case byte = 6
    }

    /// `tokenizer.ggml.model`: `"gpt2"` (byte-level BPE) or `"llama"` (SentencePiece BPE).
    public var model: String
    /// `tokenizer.ggml.pre`: the pre-tokenizer name for `"gpt2"` vocabularies (`"smollm"`, `"qwen2"`, `"llama-bpe"`…).
    public var pre: String?
    /// `tokenizer.ggml.tokens`, in id order.
    public var tokens: [String]
    /// `tokenizer.ggml.token_type` raw values (see ``TokenType``).
    public var tokenTypes: [Int32]?
    /// `tokenizer.ggml.scores`, needed for `"llama"` vocabularies.
    public var scores: [Float]?
    /// `tokenizer.ggml.merges` as `"left right"` strings, needed for `"gpt2"` vocabularies.
    public var merges: [String]?
    /// `tokenizer.ggml.bos_token_id`.
    public var bosID: Int32?
    /// `tokenizer.ggml.eos_token_id`.
    public var eosID: Int32?
    /// `tokenizer.ggml.unknown_token_id`.
    public var unknownID: Int32?
    /// `tokenizer.ggml.padding_token_id`.
    public var paddingID: Int32?
    /// `tokenizer.ggml.add_bos_token`.
    public var addBOS: Bool?
    /// `tokenizer.ggml.add_eos_token`.
    public var addEOS: Bool?
    /// `tokenizer.ggml.add_space_prefix` (`"llama"` vocabularies; llama.cpp defaults it to true).
    public var addSpacePrefix: Bool?

    /// Creates a vocabulary from the GGUF metadata values.
    public init(
        model: String, pre: String? = nil, tokens: [String], tokenTypes: [Int32]? = nil, scores: [Float]? = nil,
        merges: [String]? = nil, bosID: Int32? = nil, eosID: Int32? = nil, unknownID: Int32? = nil,
        paddingID: Int32? = nil, addBOS: Bool? = nil, addEOS: Bool? = nil, addSpacePrefix: Bool? = nil
    ) {
        self.model = model
        self.pre = pre
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.scores = scores
        self.merges = merges
        self.bosID = bosID
        self.eosID = eosID
        self.unknownID = unknownID
        self.paddingID = paddingID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.addSpacePrefix = addSpacePrefix
    }
}

extension Tokenizer {
    /// Builds the tokenizer llama.cpp would build from a GGUF file's vocabulary.
    ///
    /// `"gpt2"` gives byte-level BPE with the pre-tokenizer llama.cpp picks for `pre` (`gpt2`/`default` →
    /// GPT-2 regex; `smollm`/`starcoder`/`refact` → digits then GPT-2; `llama-bpe`/`llama3` → Llama-3 regex,
    /// whole-word lookup first; `qwen2` → Qwen2 regex, without NFC, as llama.cpp does). `"llama"` gives
    /// SentencePiece BPE by scores with byte fallback. Control, user-defined and unknown tokens are matched in
    /// text as llama.cpp does with `special = true`; control tokens are the special ones.
    /// - Throws: ``TokenizerError`` naming the `tokenizer.ggml.*` key that is missing, malformed or unsupported.
    public init(gguf vocabulary: GGUFVocabulary) throws(TokenizerError) {
        let count = vocabulary.tokens.count
        func checkLength<T>(_ values: [T]?, _ key: String) throws(TokenizerError) {
            if let values, values.count != count {
                throw .invalidField(path: key, reason: "has \(values.count) entries for \(count) tokens")
            }
        }
        try checkLength(vocabulary.tokenTypes, "tokenizer.ggml.token_type")
        try checkLength(vocabulary.scores, "tokenizer.ggml.scores")
        func checkID(_ id: Int32?, _ key: String) throws(TokenizerError) -> Int32? {
            guard let id, id >= 0 else { return nil }  // llama.cpp writes -1 for "none"
            guard Int(id) < count else { throw .invalidField(path: key, reason: "id \(id) is not below \(count)") }
            return id
        }
        let bos = try checkID(vocabulary.bosID, "tokenizer.ggml.bos_token_id")
        let eos = try checkID(vocabulary.eosID, "tokenizer.ggml.eos_token_id")
        let unknown = try checkID(vocabulary.unknownID, "tokenizer.ggml.unknown_token_id")
        let padding = try checkID(vocabulary.paddingID, "tokenizer.ggml.padding_token_id")

        let types = vocabulary.tokenTypes ?? [Int32](repeating: GGUFVocabulary.TokenType.normal.rawValue, count: count)
        var addedTokens: [AddedToken] = []
        var controlIDs: Set<Int32> = []
        for (index, type) in types.enumerated() {
            let id = Int32(index)
            switch GGUFVocabulary.TokenType(rawValue: type) {
            case .control:
                controlIDs.insert(id)
                addedTokens.append(AddedToken(content: vocabulary.tokens[index], id: id, isSpecial: true))
            case .userDefined, .unknown:
                addedTokens.append(AddedToken(content: vocabulary.tokens[index], id: id, isSpecial: false))
            case .normal, .unused, .byte:
                break
            case nil:
                throw .invalidField(path: "tokenizer.ggml.token_type[\(index)]", reason: "unknown token type \(type)")
            }
        }

        switch vocabulary.model {
        case "gpt2":
            var definition = ByteLevelDefinition(
                vocabulary: [:], merges: [], steps: [], vocabularyPath: "tokenizer.ggml.tokens")
            (definition.steps, definition.ignoresMerges) = try Self.ggufPreTokenizer(vocabulary.pre)
            definition.vocabulary.reserveCapacity(count)
            for (index, token) in vocabulary.tokens.enumerated() where definition.vocabulary[ExactText(token)] == nil {
                definition.vocabulary[ExactText(token)] = Int32(index)
            }
            guard let merges = vocabulary.merges else { throw .missingField(path: "tokenizer.ggml.merges") }
            definition.merges.reserveCapacity(merges.count)
            for (index, line) in merges.enumerated() {
                let path = "tokenizer.ggml.merges[\(index)]"
                // llama.cpp looks for the separating space from the second character on.
                guard let space = line.dropFirst().firstIndex(of: " ") else {
                    throw .invalidField(path: path, reason: "\(line.debugDescription) is not two tokens separated by a space")
                }
                definition.merges.append((String(line[..<space]), String(line[line.index(after: space)...]), path))
            }
            definition.addedTokens = addedTokens
            definition.extraSpecialIDs = controlIDs
            definition.unknownID = unknown
            definition.bosID = bos
            definition.eosID = eos
            definition.paddingID = padding
            if vocabulary.addBOS ?? false, let bos { definition.prefixIDs = [bos] }
            if vocabulary.addEOS ?? false, let eos { definition.suffixIDs = [eos] }
            try self.init(byteLevel: definition)
        case "llama":
            try self.init(
                sentencePiece: vocabulary, types: types, addedTokens: addedTokens, controlIDs: controlIDs,
                bos: bos, eos: eos, unknown: unknown, padding: padding)
        default:
            throw .unsupported(path: "tokenizer.ggml.model", value: vocabulary.model)
        }
    }

    private static func ggufPreTokenizer(_ pre: String?) throws(TokenizerError) -> ([PreTokenizerStep], Bool) {
        let byteLevel = PreTokenizerStep.byteLevel(addPrefixSpace: false, useRegex: false)
        switch pre ?? "default" {
        case "default", "gpt2", "gpt-2":
            return ([.byteLevel(addPrefixSpace: false, useRegex: true)], false)
        case "smollm", "starcoder", "refact", "codeshell":
            return ([.digits(individual: true), .byteLevel(addPrefixSpace: false, useRegex: true)], false)
        case "llama-bpe", "llama3":
            return ([.split(.llama3), byteLevel], true)
        case "qwen2":
            return ([.split(.qwen2), byteLevel], false)
        case let other:
            throw .unsupported(path: "tokenizer.ggml.pre", value: other)
        }
    }

    private init(
        sentencePiece vocabulary: GGUFVocabulary, types: [Int32], addedTokens: [AddedToken], controlIDs: Set<Int32>,
        bos: Int32?, eos: Int32?, unknown: Int32?, padding: Int32?
    ) throws(TokenizerError) {
        guard let scores = vocabulary.scores else { throw .missingField(path: "tokenizer.ggml.scores") }
        var pieceIDs: [ExactText: Int32] = [:]
        pieceIDs.reserveCapacity(vocabulary.tokens.count)
        var byteTokens = [Int32](repeating: -1, count: 256)
        var tokenBytes: [[UInt8]] = []
        tokenBytes.reserveCapacity(vocabulary.tokens.count)
        for (index, token) in vocabulary.tokens.enumerated() {
            if pieceIDs[ExactText(token)] == nil { pieceIDs[ExactText(token)] = Int32(index) }
            if types[index] == GGUFVocabulary.TokenType.byte.rawValue, let byte = Self.byteValue(token) {
                byteTokens[Int(byte)] = Int32(index)
                tokenBytes.append([byte])
            } else {
                tokenBytes.append(Array(token.replacingSpaceMarkers().utf8))
            }
        }
        if unknown == nil, let missing = byteTokens.firstIndex(of: -1) {
            throw .invalidField(
                path: "tokenizer.ggml.tokens",
                reason: "no <0x\(String(missing, radix: 16, uppercase: true))> byte token and no unknown token")
        }
        let model = SentencePieceModel(
            pieceIDs: pieceIDs, scores: scores, byteTokens: byteTokens, unknownID: unknown,
            addsDummyPrefix: vocabulary.addSpacePrefix ?? true)
        self.init(
            model: .sentencePiece(model), normalizesNFC: false,
            rawMatcher: AddedTokenMatcher(addedTokens), normalizedMatcher: AddedTokenMatcher([]),
            tokenTexts: vocabulary.tokens, tokenBytes: tokenBytes, tokenIDs: pieceIDs,
            prefixIDs: (vocabulary.addBOS ?? true) ? bos.map { [$0] } ?? [] : [],
            suffixIDs: (vocabulary.addEOS ?? false) ? eos.map { [$0] } ?? [] : [],
            stripsLeadingSpaceOnDecode: vocabulary.addSpacePrefix ?? true,
            specialTokenIDs: controlIDs, bosTokenID: bos, eosTokenID: eos, paddingTokenID: padding,
            unknownTokenID: unknown)
    }

    /// The byte of a `<0xNN>` token.
    private static func byteValue(_ token: String) -> UInt8? {
        let utf8 = Array(token.utf8)
        guard utf8.count == 6, token.hasPrefix("<0x"), token.hasSuffix(">") else { return nil }
        return UInt8(String(decoding: utf8[3..<5], as: UTF8.self), radix: 16)
    }
}

extension String {
    /// SentencePiece's `▁` (U+2581) back to spaces.
    func replacingSpaceMarkers() -> String {
        String(String.UnicodeScalarView(unicodeScalars.map { $0 == "\u{2581}" ? " " : $0 }))
    }
}
