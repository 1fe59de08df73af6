import Foundation
import SmolCore

extension Tokenizer {
    /// Loads `tokenizer.json` and, when present, `tokenizer_config.json` from a model folder.
    ///
    /// - Throws: ``TokenizerError`` naming the file and JSON path of anything malformed or unsupported.
    public init(directory: URL) throws(TokenizerError) {
        let tokenizerURL = directory.appendingPathComponent("tokenizer.json")
        let configURL = directory.appendingPathComponent("tokenizer_config.json")
        let tokenizerBytes = try Self.readFile(tokenizerURL)
        let configBytes = FileManager.default.fileExists(atPath: configURL.path) ? try Self.readFile(configURL) : nil
        try self.init(tokenizerJSON: tokenizerBytes, tokenizerConfigJSON: configBytes)
    }

    /// Builds a tokenizer from the bytes of a Hugging Face `tokenizer.json` and optional `tokenizer_config.json`
    /// (which supplies bos/eos/pad/unk tokens, `add_bos_token` / `add_eos_token` and special flags).
    ///
    /// Supported: model `BPE` (merges as `"a b"` strings or `["a", "b"]` pairs, `ignore_merges`), normalizer
    /// `NFC` or none, pre-tokenizers `ByteLevel`, `Split` (GPT-2 / Llama-3 / Qwen2 regex, isolated), `Digits`
    /// and `Sequence` of these, decoder `ByteLevel`, post-processors `TemplateProcessing` / `ByteLevel`.
    /// - Throws: ``TokenizerError`` naming the JSON path of anything malformed or unsupported.
    public init(tokenizerJSON: [UInt8], tokenizerConfigJSON: [UInt8]? = nil) throws(TokenizerError) {
        let root = JSONCursor(try Self.parse(tokenizerJSON, file: "tokenizer.json"), path: "")
        let config = try tokenizerConfigJSON.map { bytes throws(TokenizerError) in
            JSONCursor(try Self.parse(bytes, file: "tokenizer_config.json"), path: "tokenizer_config")
        }

        let model = try root.field("model")
        let modelType = try model.type()
        guard modelType == "BPE" else { throw .unsupported(path: "model.type", value: modelType) }
        if let dropout = model.optionalField("dropout"), dropout.value.doubleValue != 0 {
            throw .unsupported(path: dropout.path, value: "\(dropout.value)")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let affix = model.optionalField(key), try affix.string() != "" {
                throw .unsupported(path: affix.path, value: affix.value.description)
            }
        }
        if let fallback = model.optionalField("byte_fallback"), try fallback.bool() {
            throw .unsupported(path: fallback.path, value: "true (only byte-level BPE is supported)")
        }

        var vocabulary: [ExactText: Int32] = [:]
        let vocabularyMembers = try model.field("vocab").members()
        vocabulary.reserveCapacity(vocabularyMembers.count)
        for member in vocabularyMembers { vocabulary[ExactText(member.key)] = try member.value.tokenID() }

        var merges: [(left: String, right: String, path: String)] = []
        let mergeItems = try model.field("merges").array()
        merges.reserveCapacity(mergeItems.count)
        for item in mergeItems {
            if let line = item.value.stringValue {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw item.invalid("a merge string must be two tokens separated by one space") }
                merges.append((String(parts[0]), String(parts[1]), item.path))
            } else {
                let pair = try item.array()
                guard pair.count == 2 else { throw item.invalid("a merge pair must have two tokens") }
                merges.append((try pair[0].string(), try pair[1].string(), item.path))
            }
        }

        var addedTokens: [AddedToken] = []
        for item in try root.optionalField("added_tokens")?.array() ?? [] {
            addedTokens.append(
                AddedToken(
                    content: try item.field("content").string(), id: try item.field("id").tokenID(),
                    isSpecial: try item.optionalField("special")?.bool() ?? false,
                    stripsLeft: try item.optionalField("lstrip")?.bool() ?? false,
                    stripsRight: try item.optionalField("rstrip")?.bool() ?? false,
                    isSingleWord: try item.optionalField("single_word")?.bool() ?? false,
                    isNormalized: try item.optionalField("normalized")?.bool() ?? false))
        }
        if let decoderEntries = try config?.optionalField("added_tokens_decoder")?.members() {
            for entry in decoderEntries where try entry.value.optionalField("special")?.bool() ?? false {
                let content = try entry.value.field("content").string()
                if let index = addedTokens.firstIndex(where: { $0.content == content }) {
                    addedTokens[index].isSpecial = true
                }
            }
        }
        var allIDs = vocabulary
        for token in addedTokens { allIDs[ExactText(token.content)] = token.id }

        func tokenID(_ cursor: JSONCursor?) throws(TokenizerError) -> Int32? {
            guard let cursor else { return nil }
            let text: String
            if let content = cursor.optionalField("content") { text = try content.string() } else { text = try cursor.string() }
            guard let id = allIDs[ExactText(text)] else { throw cursor.invalid("token \(text.debugDescription) is not in the vocabulary") }
            return id
        }

        let steps = try Self.preTokenizerSteps(root.optionalField("pre_tokenizer"))
        guard steps.contains(where: { if case .byteLevel = $0 { true } else { false } }) else {
            throw .unsupported(path: "pre_tokenizer", value: "a pre-tokenizer without ByteLevel")
        }
        try Self.checkDecoder(root.optionalField("decoder"))

        var definition = ByteLevelDefinition(
            vocabulary: vocabulary, merges: merges, steps: steps, vocabularyPath: "model.vocab")
        definition.ignoresMerges = try model.optionalField("ignore_merges")?.bool() ?? false
        definition.normalizesNFC = try Self.normalizesNFC(root.optionalField("normalizer"))
        definition.addedTokens = addedTokens
        definition.unknownID = try tokenID(model.optionalField("unk_token"))
        definition.byteFallbackUnknownID = definition.unknownID
        if definition.unknownID == nil { definition.unknownID = try tokenID(config?.optionalField("unk_token")) }
        definition.bosID = try tokenID(config?.optionalField("bos_token"))
        definition.eosID = try tokenID(config?.optionalField("eos_token"))
        definition.paddingID = try tokenID(config?.optionalField("pad_token"))

        if let template = try Self.templateProcessing(root.optionalField("post_processor"), ids: allIDs) {
            (definition.prefixIDs, definition.suffixIDs) = template
        } else {
            if try config?.optionalField("add_bos_token")?.bool() ?? false, let bos = definition.bosID {
                definition.prefixIDs = [bos]
            }
            if try config?.optionalField("add_eos_token")?.bool() ?? false, let eos = definition.eosID {
                definition.suffixIDs = [eos]
            }
        }
        try self.init(byteLevel: definition)
    }

    static func readFile(_ url: URL) throws(TokenizerError) -> [UInt8] {
        do {
            return [UInt8](try Data(contentsOf: url))
        } catch {
            throw .unreadableFile(path: url.path, reason: "\(error)")
        }
    }

    /// The most JSON values (keys included) a tokenizer file may hold: the largest real byte-level BPE files
    /// (a 256k vocabulary with its merges as pairs) hold about two million.
    static let maxJSONValues = 8_000_000

    private static func parse(_ bytes: [UInt8], file: String) throws(TokenizerError) -> JSONValue {
        // Parsed JSON costs tens of bytes per value however short its text: refuse absurd counts first.
        guard JSONValueBudget.valueCount(bytes, limit: maxJSONValues) <= maxJSONValues else {
            throw .invalidJSON(file: file, message: "more than \(maxJSONValues) JSON values")
        }
        do {
            return try JSONValue(parsing: bytes)
        } catch {
            throw .invalidJSON(file: file, message: error.description)
        }
    }

    private static func normalizesNFC(_ normalizer: JSONCursor?) throws(TokenizerError) -> Bool {
        guard let normalizer else { return false }
        let type = try normalizer.type()
        switch type {
        case "NFC":
            return true
        case "Sequence":
            var nfc = false
            for item in try normalizer.field("normalizers").array() { nfc = try normalizesNFC(item) || nfc }
            return nfc
        default:
            throw .unsupported(path: "\(normalizer.path).type", value: type)
        }
    }

    private static func preTokenizerSteps(_ cursor: JSONCursor?) throws(TokenizerError) -> [PreTokenizerStep] {
        guard let cursor else { return [] }
        let type = try cursor.type()
        switch type {
        case "Sequence":
            var steps: [PreTokenizerStep] = []
            for item in try cursor.field("pretokenizers").array() { steps += try preTokenizerSteps(item) }
            return steps
        case "ByteLevel":
            return [
                .byteLevel(
                    addPrefixSpace: try cursor.optionalField("add_prefix_space")?.bool() ?? true,
                    useRegex: try cursor.optionalField("use_regex")?.bool() ?? true)
            ]
        case "Digits":
            return [.digits(individual: try cursor.optionalField("individual_digits")?.bool() ?? false)]
        case "Split":
            let behavior = try cursor.field("behavior").string()
            guard behavior == "Isolated" else { throw .unsupported(path: "\(cursor.path).behavior", value: behavior) }
            if let invert = cursor.optionalField("invert"), try invert.bool() {
                throw .unsupported(path: invert.path, value: "true")
            }
            let pattern = try cursor.field("pattern")
            guard let regex = pattern.optionalField("Regex") else {
                throw .unsupported(path: pattern.path, value: pattern.value.description)
            }
            guard let known = SplitPattern(regex: try regex.string()) else {
                throw .unsupported(path: regex.path, value: regex.value.description)
            }
            return [.split(known)]
        default:
            throw .unsupported(path: "\(cursor.path).type", value: type)
        }
    }

    private static func checkDecoder(_ decoder: JSONCursor?) throws(TokenizerError) {
        guard let decoder else { throw .missingField(path: "decoder") }
        let type = try decoder.type()
        switch type {
        case "ByteLevel":
            return
        case "Sequence":
            let items = try decoder.field("decoders").array()
            guard !items.isEmpty else { throw .unsupported(path: decoder.path, value: "an empty Sequence") }
            for item in items { try checkDecoder(item) }
        default:
            throw .unsupported(path: "\(decoder.path).type", value: type)
        }
    }

    /// The tokens `TemplateProcessing` puts before and after a single sequence, or `nil` when there is no
    /// template (no post-processor, or `ByteLevel`, which adds nothing).
    private static func templateProcessing(
        _ cursor: JSONCursor?, ids: [ExactText: Int32]
    ) throws(TokenizerError) -> ([Int32], [Int32])? {
        guard let cursor else { return nil }
        let type = try cursor.type()
        switch type {
        case "ByteLevel":
            return nil
        case "Sequence":
            var result: ([Int32], [Int32])?
            for item in try cursor.field("processors").array() {
                if let template = try templateProcessing(item, ids: ids) { result = template }
            }
            return result
        case "TemplateProcessing":
            var prefix: [Int32] = []
            var suffix: [Int32] = []
            var seenSequence = false
            for item in try cursor.field("single").array() {
                if item.optionalField("Sequence") != nil {
                    seenSequence = true
                    continue
                }
                let special = try item.field("SpecialToken")
                let name = try special.field("id").string()
                let tokenIDs: [Int32]
                if let listed = try cursor.optionalField("special_tokens")?.optionalField(name)?.field("ids").array() {
                    tokenIDs = try listed.map { item throws(TokenizerError) in try item.tokenID() }
                } else if let id = ids[ExactText(name)] {
                    tokenIDs = [id]
                } else {
                    throw special.invalid("special token \(name.debugDescription) is not in the vocabulary")
                }
                if seenSequence { suffix += tokenIDs } else { prefix += tokenIDs }
            }
            return (prefix, suffix)
        default:
            throw .unsupported(path: "\(cursor.path).type", value: type)
        }
    }
}
