/// The completion parameters most calls set, typed, so a misspelt name or a wrong type is a compile error
/// rather than a provider's 400 at run time; anything else goes in ``extra`` (the JSON escape hatch).
///
/// They become the snake_case JSON parameters every backend already reads (`max_tokens`, `temperature`,
/// `top_p`, …; local models read `top_k`, `min_p`, `repetition_penalty` and `do_sample` too), so they mix
/// freely with parameters given as JSON:
///
/// ```swift
/// let options = GenerateOptions(stopSequences: ["Observation:"],
///                               generation: GenerationParameters(maxTokens: 200, temperature: 0, seed: 1))
/// let model = try OpenAIServerModel(modelID: "gpt-4o-mini",
///                                   parameters: ModelParameters(GenerationParameters(temperature: 0.2)))
/// ```
public struct GenerationParameters: Sendable, Hashable {
    /// The answer's length limit in tokens (`max_tokens`).
    public var maxTokens: Int?
    /// Sampling temperature (`temperature`).
    public var temperature: Double?
    /// Nucleus sampling mass (`top_p`).
    public var topP: Double?
    /// Keep only the `k` most likely tokens (`top_k`; local models and providers that accept it).
    public var topK: Int?
    /// Drop tokens less likely than this fraction of the most likely one (`min_p`).
    public var minP: Double?
    /// The sampling seed (`seed`), so a sample can be reproduced.
    public var seed: Int?
    /// transformers' repetition penalty (`repetition_penalty`; local models).
    public var repetitionPenalty: Double?
    /// transformers' `do_sample` (local models: without it decoding is greedy).
    public var doSample: Bool?
    /// Any other parameter, as JSON; a typed field of the same name wins.
    public var extra: JSONObject

    /// Creates parameters; unset ones are not sent.
    public init(maxTokens: Int? = nil, temperature: Double? = nil, topP: Double? = nil, topK: Int? = nil,
                minP: Double? = nil, seed: Int? = nil, repetitionPenalty: Double? = nil, doSample: Bool? = nil,
                extra: JSONObject = [:]) {
        self.maxTokens = maxTokens
        self.temperature = temperature
        self.topP = topP
        self.topK = topK
        self.minP = minP
        self.seed = seed
        self.repetitionPenalty = repetitionPenalty
        self.doSample = doSample
        self.extra = extra
    }

    /// The parameters as the JSON object backends send: ``extra`` in its order, then the typed fields that are set.
    public var jsonObject: JSONObject {
        var object = extra
        let typed: [(String, JSONValue?)] = [
            ("max_tokens", maxTokens.map(JSONValue.int)), ("temperature", temperature.map(JSONValue.double)),
            ("top_p", topP.map(JSONValue.double)), ("top_k", topK.map(JSONValue.int)), ("min_p", minP.map(JSONValue.double)),
            ("seed", seed.map(JSONValue.int)), ("repetition_penalty", repetitionPenalty.map(JSONValue.double)),
            ("do_sample", doSample.map(JSONValue.bool)),
        ]
        for case (let key, let value?) in typed { object[key] = value }
        return object
    }
}

extension GenerateOptions {
    /// Creates options whose per-call parameters are typed (see ``GenerationParameters``).
    public init(stopSequences: [String]? = nil, responseFormat: ResponseFormat? = nil, tools: [Tool]? = nil,
                toolChoice: ToolChoice? = nil, generation: GenerationParameters) {
        self.init(stopSequences: stopSequences, responseFormat: responseFormat, tools: tools, toolChoice: toolChoice,
                  parameters: generation.jsonObject)
    }
}

extension ModelParameters {
    /// Model-level parameters from typed ones (see ``GenerationParameters``).
    public init(_ generation: GenerationParameters) {
        self.init(generation.jsonObject)
    }
}
