import Foundation
import SmolCore

/// Everything a local model needs, loaded from one place: weights, tokenizer, chat template, the tokens
/// that end a generation and the checkpoint's generation defaults.
///
/// Two layouts are read: a `.gguf` file (weights, `tokenizer.ggml.*` vocabulary and
/// `tokenizer.chat_template` in one file), and a Hugging Face folder (`config.json`, safetensors,
/// `tokenizer.json`, `tokenizer_config.json`, `chat_template.jinja`, `generation_config.json`). A folder
/// that holds exactly one `.gguf` file and no `config.json` is read as that file.
public struct LocalCheckpoint: Sendable {
    /// The weights.
    public let model: LlamaModel
    /// The tokenizer.
    public let tokenizer: Tokenizer
    /// The chat template, when the checkpoint has one.
    public let chatTemplate: ChatTemplate?
    /// A named template for tool use (`tokenizer_config.json` lists of `{name, template}`), when present.
    public let toolUseTemplate: ChatTemplate?
    /// Token ids that end a generation (EOS from the config, generation config and tokenizer).
    public let endOfSequenceIDs: Set<Int32>
    /// The special tokens a template may use: `bos_token`, `eos_token`, `unk_token`, `pad_token`.
    public let specialTokens: [String: String]
    /// Generation defaults (`generation_config.json`; empty for GGUF files).
    public let generationConfig: GenerationConfig
    /// The file or folder it was loaded from.
    public let path: String

    /// Loads the checkpoint at `path` (a `.gguf` file or a model folder).
    public init(path: String) throws(ModelError) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .invalidInput(message: "no model file or folder at \(path)", location: "modelID")
        }
        if isDirectory.boolValue, !FileManager.default.fileExists(atPath: path + "/config.json") {
            let ggufs = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                .filter { $0.hasSuffix(".gguf") }.sorted()
            guard ggufs.count == 1 else {
                throw .invalidInput(
                    message: ggufs.isEmpty
                        ? "\(path) holds neither config.json nor a .gguf file"
                        : "\(path) holds several .gguf files (\(ggufs.joined(separator: ", "))); name one",
                    location: "modelID")
            }
            try self.init(ggufPath: path + "/" + ggufs[0])
        } else if isDirectory.boolValue {
            try self.init(folder: path)
        } else {
            try self.init(ggufPath: path)
        }
    }

    private init(ggufPath: String) throws(ModelError) {
        let gguf = try Self.load { () throws(ModelFileError) in try GGUFFile(path: ggufPath) }
        model = try Self.load { () throws(ModelFileError) in try LlamaModel(gguf: gguf) }
        do {
            tokenizer = try Tokenizer(gguf: try GGUFVocabulary(metadata: gguf.metadata))
        } catch {
            throw .invalidInput(message: "\(ggufPath): \(error)", location: "modelID")
        }
        chatTemplate = try gguf.metadata.string("tokenizer.chat_template").map { source throws(ModelError) in
            try Self.template(source, origin: "\(ggufPath) (tokenizer.chat_template)")
        }
        toolUseTemplate = try gguf.metadata.string("tokenizer.chat_template.tool_use").map { source throws(ModelError) in
            try Self.template(source, origin: "\(ggufPath) (tokenizer.chat_template.tool_use)")
        }
        var eos = Set<Int32>()
        for key in ["tokenizer.ggml.eos_token_id", "tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"] {
            if let id = gguf.metadata.int(key), let token = Int32(exactly: id) { eos.insert(token) }
        }
        endOfSequenceIDs = eos.union(model.config.eosTokenIDs.compactMap { Int32(exactly: $0) })
        specialTokens = Self.specialTokens(of: tokenizer)
        generationConfig = GenerationConfig()
        path = ggufPath
    }

    private init(folder: String) throws(ModelError) {
        model = try Self.load { () throws(ModelFileError) in try LlamaModel(checkpointDirectory: folder) }
        do {
            tokenizer = try Tokenizer(directory: URL(fileURLWithPath: folder))
        } catch {
            throw .invalidInput(message: "\(folder): \(error)", location: "modelID")
        }
        let generationPath = folder + "/generation_config.json"
        generationConfig = FileManager.default.fileExists(atPath: generationPath)
            ? try Self.load { () throws(ModelFileError) in try GenerationConfig(contentsOf: generationPath) }
            : GenerationConfig()
        let templates = try Self.templates(in: folder)
        chatTemplate = templates.main
        toolUseTemplate = templates.toolUse
        var eos = Set(model.config.eosTokenIDs.compactMap { Int32(exactly: $0) })
        eos.formUnion(generationConfig.eosTokenIDs.compactMap { Int32(exactly: $0) })
        if let id = tokenizer.eosTokenID { eos.insert(id) }
        endOfSequenceIDs = eos
        specialTokens = Self.specialTokens(of: tokenizer)
        path = folder
    }

    /// `chat_template.jinja` first (transformers 5), then `tokenizer_config.json`'s `chat_template`, a string
    /// or a list of `{name, template}` (`default` and `tool_use`).
    private static func templates(in folder: String) throws(ModelError) -> (main: ChatTemplate?, toolUse: ChatTemplate?) {
        let jinjaPath = folder + "/chat_template.jinja"
        if let data = FileManager.default.contents(atPath: jinjaPath) {
            return (try template(String(decoding: data, as: UTF8.self), origin: jinjaPath), nil)
        }
        let configPath = folder + "/tokenizer_config.json"
        guard let data = FileManager.default.contents(atPath: configPath) else { return (nil, nil) }
        let json: JSONValue
        do {
            json = try JSONValue(parsing: [UInt8](data))
        } catch {
            throw .invalidInput(message: "\(configPath): \(error)", location: "modelID")
        }
        switch json["chat_template"] {
        case .string(let source)?:
            return (try template(source, origin: "\(configPath) (chat_template)"), nil)
        case .array(let entries)?:
            var named: [String: ChatTemplate] = [:]
            for (index, entry) in entries.enumerated() {
                guard let name = entry["name"]?.stringValue, let source = entry["template"]?.stringValue else {
                    throw .invalidInput(message: "\(configPath): chat_template[\(index)] needs a name and a template",
                                        location: "modelID")
                }
                named[name] = try template(source, origin: "\(configPath) (chat_template '\(name)')")
            }
            return (named["default"], named["tool_use"])
        default:
            return (nil, nil)
        }
    }

    private static func template(_ source: String, origin: String) throws(ModelError) -> ChatTemplate {
        do {
            return try ChatTemplate(source: source)
        } catch {
            throw .invalidInput(message: "the chat template in \(origin) does not parse: \(error)", location: "modelID")
        }
    }

    private static func specialTokens(of tokenizer: Tokenizer) -> [String: String] {
        var tokens: [String: String] = [:]
        let named: [(String, Int32?)] = [("bos_token", tokenizer.bosTokenID), ("eos_token", tokenizer.eosTokenID),
                                          ("unk_token", tokenizer.unknownTokenID), ("pad_token", tokenizer.paddingTokenID)]
        for (name, id) in named {
            if let id, let text = tokenizer.token(for: id) { tokens[name] = text }
        }
        return tokens
    }

    private static func load<T>(_ body: () throws(ModelFileError) -> T) throws(ModelError) -> T {
        do {
            return try body()
        } catch {
            throw .invalidInput(message: "\(error)", location: "modelID")
        }
    }
}
