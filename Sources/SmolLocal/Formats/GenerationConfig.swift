import SmolCore

/// The decoding defaults from an HF `generation_config.json`.
public struct GenerationConfig: Sendable, Equatable {
    /// End-of-sequence tokens (an int or a list in the file).
    public var eosTokenIDs: [Int] = []
    /// `bos_token_id`.
    public var bosTokenID: Int?
    /// `pad_token_id`.
    public var padTokenID: Int?
    /// `do_sample` (transformers' default is greedy).
    public var doSample: Bool = false
    /// `temperature`.
    public var temperature: Double?
    /// `top_k`.
    public var topK: Int?
    /// `top_p`.
    public var topP: Double?
    /// `min_p`.
    public var minP: Double?
    /// `repetition_penalty`.
    public var repetitionPenalty: Double?
    /// `max_new_tokens`.
    public var maxNewTokens: Int?

    /// An empty configuration (transformers' defaults).
    public init() {}

    /// Reads `generation_config.json` at `path`.
    public init(contentsOf path: String) throws(ModelFileError) {
        try self.init(json: try readJSONFile(path), path: path)
    }

    /// Builds the configuration from a parsed `generation_config.json` object.
    public init(json: JSONValue, path: String) throws(ModelFileError) {
        guard json.objectValue != nil else { throw .badConfig(path: path, key: "", reason: "not a JSON object") }
        if let e = json["eos_token_id"], !e.isNull {
            if let i = e.intValue {
                eosTokenIDs = [i]
            } else if let list = e.arrayValue, list.allSatisfy({ $0.intValue != nil }) {
                eosTokenIDs = list.compactMap(\.intValue)
            } else {
                throw .badConfig(path: path, key: "eos_token_id", reason: "not an integer or a list of integers")
            }
        }
        bosTokenID = json["bos_token_id"]?.intValue
        padTokenID = json["pad_token_id"]?.intValue
        doSample = json["do_sample"]?.boolValue ?? false
        temperature = json["temperature"]?.doubleValue
        topK = json["top_k"]?.intValue
        topP = json["top_p"]?.doubleValue
        minP = json["min_p"]?.doubleValue
        repetitionPenalty = json["repetition_penalty"]?.doubleValue
        maxNewTokens = json["max_new_tokens"]?.intValue
    }
}
