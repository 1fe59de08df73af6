import Foundation
import SmolCore
import SmolTracing
import Tracing

/// smolagents' `MLXModel`: an mlx-community checkpoint (MLX affine-quantized or unquantized safetensors)
/// run by this package's own engine, so it works on Linux as well as macOS, with no Python and no MLX.
///
/// `modelID` is a model folder or a hub id found in the Hugging Face cache (see ``ModelLocator``); GGUF
/// files and plain HF folders load too. Quantized weights stay packed: the kernels dequantize inside the
/// dot products.
///
/// Semantics follow smolagents' `MLXModel` (which calls `mlx_lm.load` and `mlx_lm.stream_generate`):
/// - Messages are flattened to text and rendered with the checkpoint's chat template;
///   `applyChatTemplateKwargs` gets `add_generation_prompt: true` unless it sets it.
/// - Parameters (model-level, which win, and per call) are `mlx_lm.stream_generate`'s: `max_tokens`
///   (default 256, as mlx-lm; -1 for no limit but the context), and the sampler's `temp` (alias
///   `temperature`), `top_p`, `top_k`, `min_p`, plus `repetition_penalty` and `seed`. Decoding is greedy
///   unless `temp` > 0; `generation_config.json` sampling defaults are ignored, as mlx-lm ignores them.
/// - Generation ends at the checkpoint's end-of-sequence tokens. Stop sequences cut the text at the stop,
///   which never reaches the output; they are matched as the text streams, so a stop followed by more
///   characters in the same token still stops (what smolagents' `rfind` scan achieves).
/// - Usage is the prompt's token count and the generated token count (smolagents counts stream chunks,
///   which adds one when the model ends with its end-of-sequence token).
/// - Streaming is offered too (smolagents' MLXModel has none): text deltas, then usage.
/// - Tools are rendered by the template and written tool calls are parsed, as ``TransformersModel`` does.
///
/// Generation is ``TransformersModel``'s (one engine, one generator per model), with MLX's parameters.
public struct MLXModel: Model {
    /// The id the model was created with.
    public private(set) var modelID: String?
    /// `mlx_lm.load` keyword arguments as given (with `tokenizer_config.trust_remote_code` set).
    public let loadKwargs: JSONObject
    /// Chat template variables, `add_generation_prompt` included.
    public let applyChatTemplateKwargs: JSONObject
    /// Model-level `stream_generate` parameters (smolagents' `**kwargs`).
    public let parameters: JSONObject
    /// The loaded checkpoint.
    public var checkpoint: LocalCheckpoint { engine.checkpoint }

    /// Where this model's GenAI spans go (`chat {modelID}`, kind `internal`, provider `mlx`); `nil`, the default: the
    /// tracer the application bootstrapped with `InstrumentationSystem` (a no-op one unless it did).
    public var tracer: (any Tracer)?

    private let engine: TransformersModel

    /// `gen_ai.provider.name` of its spans: the conventions list no local runtime, so a custom value, the one
    /// smolagents' class is named after.
    static let providerName = "mlx"

    /// mlx-lm's default answer length (`stream_generate(max_tokens=256)`).
    public static let defaultMaxTokens = 256

    static let supportedParameters: Set<String> = [
        "max_tokens", "temp", "temperature", "top_p", "top_k", "min_p", "repetition_penalty", "seed",
    ]

    /// Loads the model `modelID` names.
    ///
    /// - Parameters:
    ///   - modelID: A model folder (mlx-community layout) or a hub id in the Hugging Face cache.
    ///   - trustRemoteCode: Accepted for smolagents compatibility; no code is ever run from a checkpoint.
    ///   - loadKwargs: `mlx_lm.load` options: `tokenizer_config` (only `trust_remote_code`), `lazy` (weights
    ///     are always mapped lazily), `revision` (for ``load(modelID:trustRemoteCode:loadKwargs:applyChatTemplateKwargs:parameters:contextLength:threads:maxBatchSize:downloader:environment:)``).
    ///     Others (`adapter_path`, `model_config`) are an error rather than silently ignored.
    ///   - applyChatTemplateKwargs: Extra chat template variables.
    ///   - parameters: Generation parameters for every call (see the type's documentation).
    ///   - contextLength: Tokens the key/value cache holds (default: the model's limit, at most 8192).
    ///   - threads: Kernel threads this model's generations use (default: the process's kernel thread
    ///     count, ``KernelThreads``); other models keep theirs.
    ///   - maxBatchSize: The most generations decoded together; later ones wait.
    ///   - environment: Where the Hugging Face cache variables are read.
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` naming the file and what is wrong with it.
    public init(modelID: String, trustRemoteCode: Bool = false, loadKwargs: JSONObject = [:],
                applyChatTemplateKwargs: JSONObject = [:], parameters: JSONObject = [:], contextLength: Int? = nil, threads: Int? = nil,
                maxBatchSize: Int = 8, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ModelError) {
        var load = loadKwargs
        try Self.checkLoadKwargs(load)
        var tokenizerConfig = load["tokenizer_config"]?.objectValue ?? [:]
        if tokenizerConfig["trust_remote_code"] == nil { tokenizerConfig["trust_remote_code"] = .bool(trustRemoteCode) }
        load["tokenizer_config"] = .object(tokenizerConfig)
        var template = applyChatTemplateKwargs
        if template["add_generation_prompt"] == nil { template["add_generation_prompt"] = .bool(true) }
        _ = try Self.engineParameters(call: [:], model: parameters)
        engine = try TransformersModel(modelID: modelID, maxNewTokens: Self.defaultMaxTokens, applyChatTemplateKwargs: template,
                                       contextLength: contextLength, threads: threads, maxBatchSize: maxBatchSize,
                                       environment: environment)
        self.modelID = modelID
        self.loadKwargs = load
        self.applyChatTemplateKwargs = template
        self.parameters = parameters
    }

    /// Loads the model `modelID` names, downloading a hub id that is not on disk with `downloader` (into the
    /// Hugging Face cache) unless `HF_HUB_OFFLINE` is set; `loadKwargs["revision"]` picks the revision.
    public static func load(
        modelID: String, trustRemoteCode: Bool = false, loadKwargs: JSONObject = [:],
        applyChatTemplateKwargs: JSONObject = [:], parameters: JSONObject = [:], contextLength: Int? = nil, threads: Int? = nil,
        maxBatchSize: Int = 8, downloader: (any ModelDownloader)?, environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> MLXModel {
        try checkLoadKwargs(loadKwargs)
        let locator = ModelLocator(environment: environment)
        var id = modelID
        if let downloader, (try? locator.locate(modelID)) == nil, locator.isHubID(modelID), !locator.isOffline {
            let revision = loadKwargs["revision"]?.stringValue ?? "main"
            id = try await downloader.download(repository: modelID, revision: revision, hubCache: locator.hubCache)
        }
        var model = try MLXModel(modelID: id, trustRemoteCode: trustRemoteCode, loadKwargs: loadKwargs,
                                 applyChatTemplateKwargs: applyChatTemplateKwargs, parameters: parameters,
                                 contextLength: contextLength, threads: threads, maxBatchSize: maxBatchSize,
                                 environment: environment)
        model.modelID = modelID
        return model
    }

    /// Streams text as it is decoded.
    public var streamsIncrementally: Bool { true }

    /// Generates one answer.
    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        let engineOptions: GenerateOptions
        do {
            engineOptions = try translated(options)
        } catch {
            // A refused parameter still gets its span (the error recorded), as the engine's own refusals do.
            return try await GenAITracing.traced(provider: Self.providerName, model: modelID, kind: .internal,
                                                 request: GenAITracing.Request(stopSequences: options.stopSequences),
                                                 tracer: tracer) { throw error }
        }
        var message = try await engine.generate(messages, options: engineOptions, span: (Self.providerName, modelID, tracer))
        if case .object(var raw)? = message.raw {
            raw["completion_kwargs"] = .object(completionKwargs(options))
            message.raw = .object(raw)
        }
        return message
    }

    /// Streams one answer: text deltas as decoded, then a delta with usage and finish reason.
    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        do {
            return engine.generateStream(messages, options: try translated(options), span: (Self.providerName, modelID, tracer))
        } catch {
            return GenAITracing.traced(provider: Self.providerName, model: modelID, kind: .internal,
                                       request: GenAITracing.Request(stopSequences: options.stopSequences), tracer: tracer,
                                       stream: AsyncThrowingStream { $0.finish(throwing: error) })
        }
    }

    /// What smolagents would pass to `stream_generate`: the merged parameters.
    private func completionKwargs(_ options: GenerateOptions) -> JSONObject {
        var merged = options.parameters
        for (key, value) in parameters { merged[key] = value }
        return merged
    }

    /// The call's options with MLX's parameters turned into the engine's.
    private func translated(_ options: GenerateOptions) throws(ModelError) -> GenerateOptions {
        var result = options
        result.parameters = try Self.engineParameters(call: options.parameters, model: parameters)
        return result
    }

    /// mlx-lm parameters → the engine's (transformers-style) ones. Model-level values win over the call's.
    static func engineParameters(call: JSONObject, model: JSONObject) throws(ModelError) -> JSONObject {
        var merged = call
        for (key, value) in model { merged[key] = value }
        for (key, value) in merged where value != .null && !supportedParameters.contains(key) {
            throw .invalidInput(
                message: "unsupported MLXModel parameter '\(key)' (supported: \(supportedParameters.sorted().joined(separator: ", ")))",
                location: "parameters.\(key)")
        }
        var out: JSONObject = [:]
        if let value = merged["max_tokens"], value != .null {
            guard let limit = value.intValue, limit == -1 || limit > 0 else {
                throw .invalidInput(message: "max_tokens must be a positive integer or -1 (no limit), got \(value)",
                                    location: "parameters.max_tokens")
            }
            out["max_new_tokens"] = .int(limit == -1 ? Int(Int32.max) : limit)
        }
        let temperature = merged["temp"].flatMap { $0 == .null ? nil : $0 } ?? merged["temperature"] ?? .null
        var sampling = false
        if temperature != .null {
            guard let t = temperature.doubleValue, t.isFinite, t >= 0 else {
                throw .invalidInput(message: "temp must be a non-negative number, got \(temperature)", location: "parameters.temp")
            }
            sampling = t > 0
            if sampling { out["temperature"] = .double(t) }
        }
        out["do_sample"] = .bool(sampling)
        // mlx-lm's sampler applies top_k only when given (transformers would default it to 50).
        out["top_k"] = merged["top_k"].flatMap { $0 == .null ? nil : $0 } ?? .int(0)
        for key in ["top_p", "min_p", "repetition_penalty", "seed"] {
            if let value = merged[key], value != .null { out[key] = value }
        }
        return out
    }

    static func checkLoadKwargs(_ kwargs: JSONObject) throws(ModelError) {
        for (key, value) in kwargs {
            switch key {
            case "lazy", "revision":
                continue
            case "tokenizer_config":
                guard let object = value.objectValue else {
                    throw .invalidInput(message: "load_kwargs.tokenizer_config must be an object", location: "loadKwargs.tokenizer_config")
                }
                for name in object.keys where name != "trust_remote_code" {
                    throw .invalidInput(message: "unsupported tokenizer_config option '\(name)'", location: "loadKwargs.tokenizer_config.\(name)")
                }
            default:
                throw .invalidInput(message: "unsupported load_kwargs option '\(key)' (supported: lazy, revision, tokenizer_config)",
                                    location: "loadKwargs.\(key)")
            }
        }
    }
}
