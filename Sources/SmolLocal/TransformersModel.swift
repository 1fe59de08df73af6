import Foundation
import SmolCore
import SmolTracing
import Tracing

/// smolagents' `TransformersModel`: a local Llama-family model run by this package's own engine, with
/// no Python.
///
/// `modelID` is a `.gguf` file, a Hugging Face model folder, or a hub id found in the Hugging Face cache
/// (see ``ModelLocator``). Messages are normalized as smolagents does for a text model, rendered with the
/// checkpoint's chat template (tools included) and tokenized without added special tokens.
///
/// Semantics follow smolagents, with its known bugs fixed:
/// - `max_new_tokens` (default 4096; `maxTokens` overrides it) limits the answer; a call's
///   `max_new_tokens` / `max_tokens` parameter wins over the model's. Other parameters given at init win
///   over the call's. Supported: `do_sample`, `temperature`, `top_k`, `top_p`, `min_p`,
///   `repetition_penalty`, `seed` (transformers' meaning: without `do_sample` decoding is greedy).
/// - Generation ends at the checkpoint's end-of-sequence tokens. Stop sequences are matched on the
///   decoded text as it streams, so a stop string that ends inside a token still stops (smolagents #1703)
///   and never reaches the output, streamed or not.
/// - With tools, the template renders them and tool calls written by the model (Qwen/Hermes
///   `<tool_call>` blocks, Llama 3 JSON) are parsed into ``/SmolCore/ChatMessage/toolCalls``.
/// - Streaming yields text as it is decoded (never a partial UTF-8 character) and one final delta with
///   the token usage (counted once) and the finish reason.
/// - Structured generation (smolagents raises instead): `responseFormat` `json_object` / `json_schema` and
///   forced tool calls (`toolChoice` `.required`, `.function(name)`, or none given with tools, which is
///   smolagents' `"required"`) constrain decoding token by token, so the answer parses and validates (see
///   `JSONSchemaCompiler` for the supported keywords; others are an error before decoding). Stop
///   sequences do not apply to a constrained answer. If the token limit cuts the document, the finish
///   reason is `"length"` and the text is the incomplete document (a forced call then has no `toolCalls`).
///
/// Concurrent generations of one model are decoded together (continuous batching, up to `maxBatchSize` at
/// once, later calls wait their turn): each step reads the weights once for every running sequence, each
/// sequence has its own KV cache, and a sequence's greedy output does not depend on what else is in the
/// batch. A conversation that grows turn by turn reuses the cached prefix of its prompt.
public struct TransformersModel: Model {
    /// The id the model was created with.
    public private(set) var modelID: String?
    /// The answer length limit when a call gives none.
    public let maxNewTokens: Int
    /// Model-level generation parameters.
    public let parameters: JSONObject
    /// Extra template variables (`enable_thinking`, …), as smolagents' `apply_chat_template_kwargs`.
    public let applyChatTemplateKwargs: JSONObject
    /// The loaded checkpoint.
    public var checkpoint: LocalCheckpoint { generator.checkpoint }
    /// The kernel threads this model's generations use.
    public var threads: Int { generator.threads }
    /// The most generations decoded together.
    public var maxBatchSize: Int { generator.maxConcurrent }

    /// Where this model's GenAI spans go: one per generation, `chat {modelID}`, kind `internal`, with OpenTelemetry's
    /// GenAI attributes (provider `transformers`, the decoding parameters used, usage, finish reason, errors; never
    /// prompts or answers). `nil`, the default: the tracer the application bootstrapped with `InstrumentationSystem`
    /// (a no-op one unless it did, and then no attribute is computed).
    public var tracer: (any Tracer)?

    private let generator: LocalGenerator

    /// Loads the model `modelID` names.
    ///
    /// - Parameters:
    ///   - modelID: A `.gguf` file, a model folder, or a hub id in the Hugging Face cache.
    ///   - maxNewTokens: The default answer length limit.
    ///   - maxTokens: When given, replaces `maxNewTokens` (smolagents' alias).
    ///   - parameters: Generation parameters applied to every call.
    ///   - applyChatTemplateKwargs: Extra variables for the chat template.
    ///   - contextLength: Tokens the key/value cache holds (default: the model's limit, at most 8192).
    ///   - threads: Kernel threads this model's generations use (default: the process's kernel thread
    ///     count, ``KernelThreads``); other models keep theirs.
    ///   - maxBatchSize: The most generations decoded together (llama.cpp's `--parallel`); later ones wait.
    ///   - environment: Where the Hugging Face cache variables are read.
    /// - Throws: ``/SmolCore/ModelError/invalidInput(message:location:)`` naming the file and what is wrong with it.
    public init(modelID: String, maxNewTokens: Int = 4096, maxTokens: Int? = nil, parameters: JSONObject = [:],
                applyChatTemplateKwargs: JSONObject = [:], contextLength: Int? = nil, threads: Int? = nil,
                maxBatchSize: Int = 8, environment: [String: String] = ProcessInfo.processInfo.environment) throws(ModelError) {
        let path = try ModelLocator(environment: environment).locate(modelID)
        let checkpoint = try LocalCheckpoint(path: path)
        KernelThreads.applyDefault()
        let threadCount = threads.map(KernelThreads.reserve) ?? KernelThreads.count
        self.modelID = modelID
        self.maxNewTokens = maxTokens ?? maxNewTokens
        self.parameters = parameters
        self.applyChatTemplateKwargs = applyChatTemplateKwargs
        guard maxBatchSize > 0 else { throw .invalidInput(message: "maxBatchSize must be positive, got \(maxBatchSize)", location: "maxBatchSize") }
        generator = LocalGenerator(checkpoint: checkpoint, contextLength: contextLength, threads: threadCount,
                                   maxConcurrent: maxBatchSize)
        do {
            let model = checkpoint.model
            try MemoryBudget.check(weightBytes: model.weightBytes, cacheBytes: model.cacheBytes(contextLength: generator.contextLength),
                                   source: path)
        } catch {
            throw .invalidInput(message: error.description, location: "contextLength")
        }
        _ = try LocalGenerationOptions(call: [:], model: parameters, defaultMaxNewTokens: self.maxNewTokens,
                                       generationConfig: checkpoint.generationConfig)
    }

    /// Loads the model `modelID` names, downloading a hub id that is not on disk with `downloader` (into the
    /// Hugging Face cache, so later loads find it) unless `HF_HUB_OFFLINE` is set.
    ///
    /// Same parameters as ``init(modelID:maxNewTokens:maxTokens:parameters:applyChatTemplateKwargs:contextLength:threads:maxBatchSize:environment:)``;
    /// `revision` is the hub branch, tag or commit to download.
    public static func load(
        modelID: String, revision: String = "main", downloader: (any ModelDownloader)?, maxNewTokens: Int = 4096,
        maxTokens: Int? = nil, parameters: JSONObject = [:], applyChatTemplateKwargs: JSONObject = [:],
        contextLength: Int? = nil, threads: Int? = nil, maxBatchSize: Int = 8,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> TransformersModel {
        let locator = ModelLocator(environment: environment)
        var id = modelID
        if let downloader, (try? locator.locate(modelID)) == nil, locator.isHubID(modelID), !locator.isOffline {
            id = try await downloader.download(repository: modelID, revision: revision, hubCache: locator.hubCache)
        }
        var model = try TransformersModel(modelID: id, maxNewTokens: maxNewTokens, maxTokens: maxTokens,
                                          parameters: parameters, applyChatTemplateKwargs: applyChatTemplateKwargs,
                                          contextLength: contextLength, threads: threads, maxBatchSize: maxBatchSize,
                                          environment: environment)
        model.modelID = modelID
        return model
    }

    /// Streams text as it is decoded.
    public var streamsIncrementally: Bool { true }

    /// Generates one answer.
    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        try await generate(messages, options: options, span: ("transformers", modelID, tracer))
    }

    /// Streams one answer: text deltas as decoded, then a delta with usage, finish reason and any tool calls.
    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        generateStream(messages, options: options, span: ("transformers", modelID, tracer))
    }

    /// Who a span names: ``MLXModel`` runs this engine under its own provider name and id.
    typealias SpanIdentity = (provider: String, model: String?, tracer: (any Tracer)?)

    /// ``generate(_:options:)`` inside its span. A request refused before decoding (a bad parameter or schema)
    /// gets its span too, with the stop sequences asked for: the error is what it records.
    func generate(_ messages: [ChatMessage], options: GenerateOptions, span: SpanIdentity) async throws -> ChatMessage {
        let prepared = Result { () throws(ModelError) in try prepare(messages, options: options) }
        return try await GenAITracing.traced(
            provider: span.provider, model: span.model, kind: .internal,
            request: (try? prepared.get())?.spanRequest ?? GenAITracing.Request(stopSequences: options.stopSequences),
            tracer: span.tracer
        ) { try await decode(prepared.get(), options: options) }
    }

    private func decode(_ prepared: Prepared, options: GenerateOptions) async throws -> ChatMessage {
        var finished: (summary: GenerationSummary, text: String)?
        for try await event in generator.start(prepared.request, transform: { $0 }) {
            if case .finished(let summary, let text) = event { finished = (summary, text) }
        }
        guard let (summary, text) = finished else { throw ModelError.cancelled }
        var content = text
        var reasoning: String?
        if prepared.splitsReasoning {
            (reasoning, content) = ReasoningSplitter.split(text, prompt: prepared.prompt)
        }
        var calls: [ChatMessageToolCall]?
        if !(options.tools ?? []).isEmpty {
            let extracted = GeneratedToolCalls.extract(from: content)
            if !extracted.calls.isEmpty {
                content = extracted.content
                calls = extracted.calls
            }
        }
        return ChatMessage(
            role: .assistant, content: .text(content), toolCalls: calls,
            raw: ["out": .string(text), "completion_kwargs": .object(prepared.completionKwargs),
                  "decode_stats": Self.stats(summary)],
            tokenUsage: TokenUsage(inputTokens: summary.promptTokens, outputTokens: summary.generatedTokens),
            reasoningContent: reasoning, finishReason: calls == nil ? summary.finishReason : "tool_calls")
    }

    /// ``generateStream(_:options:)`` inside its span, which ends with the stream.
    func generateStream(_ messages: [ChatMessage], options: GenerateOptions, span: SpanIdentity)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let prepared: Prepared
        do {
            prepared = try prepare(messages, options: options)
        } catch {
            return GenAITracing.traced(provider: span.provider, model: span.model, kind: .internal,
                                       request: GenAITracing.Request(stopSequences: options.stopSequences), tracer: span.tracer,
                                       stream: AsyncThrowingStream { $0.finish(throwing: error) })
        }
        return GenAITracing.traced(provider: span.provider, model: span.model, kind: .internal, request: prepared.spanRequest,
                                   tracer: span.tracer, stream: decodeStream(prepared, options: options))
    }

    private func decodeStream(_ prepared: Prepared, options: GenerateOptions) -> AsyncThrowingStream<ChatMessageStreamDelta, any Error> {
        let parseTools = !(options.tools ?? []).isEmpty
        let splitter = prepared.splitsReasoning ? ReasoningStream(prompt: prepared.prompt) : nil
        return generator.start(prepared.request) { event in
            switch event {
            case .text(let piece):
                guard let splitter else { return ChatMessageStreamDelta(content: piece) }
                let (reasoning, content) = splitter.feed(piece)
                return ChatMessageStreamDelta(content: content.isEmpty ? nil : content,
                                              reasoningContent: reasoning.isEmpty ? nil : reasoning)
            case .finished(let summary, let text):
                var calls: [ChatMessageToolCallStreamDelta]?
                let rest = splitter?.finish()
                if parseTools {
                    let answer = prepared.splitsReasoning ? ReasoningSplitter.split(text, prompt: prepared.prompt).content : text
                    let extracted = GeneratedToolCalls.extract(from: answer).calls
                    if !extracted.isEmpty {
                        calls = extracted.enumerated().map { index, call in
                            ChatMessageToolCallStreamDelta(
                                index: index, id: call.id, type: call.type,
                                function: .init(name: call.function.name,
                                                arguments: JSONEmitter().string(from: call.function.arguments)))
                        }
                    }
                }
                return ChatMessageStreamDelta(
                    content: rest.flatMap { $0.content.isEmpty ? nil : $0.content }, toolCalls: calls,
                    tokenUsage: TokenUsage(inputTokens: summary.promptTokens, outputTokens: summary.generatedTokens),
                    reasoningContent: rest.flatMap { $0.reasoning.isEmpty ? nil : $0.reasoning },
                    finishReason: calls == nil ? summary.finishReason : "tool_calls")
            }
        }
    }

    /// Where the time of choosing tokens went (for benchmarks): seconds getting the constraint's masks and
    /// advancing it, seconds sampling, masks computed / reused / computed under the token budget.
    static func stats(_ summary: GenerationSummary) -> JSONValue {
        ["constraint_seconds": .double(summary.constraintSeconds), "sampling_seconds": .double(summary.samplingSeconds),
         "masks_computed": .int(summary.masksComputed), "masks_reused": .int(summary.masksReused),
         "budget_masks": .int(summary.budgetMasks)]
    }

    private struct Prepared {
        var request: GenerationRequest
        var completionKwargs: JSONObject
        /// The rendered prompt.
        var prompt: String
        /// Whether `<think>` blocks go to `reasoningContent` (the template uses them; not for structured output).
        var splitsReasoning: Bool

        /// The span's request attributes: what decoding uses, after defaults and the checkpoint's generation config.
        /// Greedy decoding is reported as temperature 0; the sampling filters and seed only when sampling.
        var spanRequest: GenAITracing.Request {
            let sampling = request.sampling
            var result = GenAITracing.Request(temperature: sampling.doSample ? sampling.temperature : 0,
                                              maxTokens: request.maxNewTokens, stopSequences: request.stopSequences)
            if sampling.doSample {
                result.topP = sampling.topP.flatMap { $0 < 1 ? $0 : nil }
                result.topK = sampling.topK.flatMap { $0 > 0 ? $0 : nil }
                result.seed = Int(truncatingIfNeeded: request.seed)
            }
            return result
        }
    }

    private func prepare(_ messages: [ChatMessage], options: GenerateOptions) throws(ModelError) -> Prepared {
        let checkpoint = generator.checkpoint
        let template = (options.tools ?? []).isEmpty ? checkpoint.chatTemplate : (checkpoint.toolUseTemplate ?? checkpoint.chatTemplate)
        let structured = try StructuredOutput.from(responseFormat: options.responseFormat, tools: options.tools,
                                                   toolChoice: options.toolChoice, template: template)
        let decoding = try LocalGenerationOptions(call: options.parameters, model: parameters,
                                                  defaultMaxNewTokens: maxNewTokens,
                                                  generationConfig: checkpoint.generationConfig)
        let prompt = try LocalPrompt.render(messages, tools: options.tools, checkpoint: checkpoint,
                                            templateKwargs: applyChatTemplateKwargs)
        let ids = checkpoint.tokenizer.encode(prompt, addSpecialTokens: false)
        // A constrained document ends when it is complete; a stop string inside it (in a JSON string) would
        // cut it, so stop sequences do not apply then.
        let stops = structured != nil ? [] : (options.stopSequences ?? []).filter { !$0.isEmpty }
        var kwargs: JSONObject = ["max_new_tokens": .int(decoding.maxNewTokens), "do_sample": .bool(decoding.sampling.doSample)]
        if decoding.sampling.doSample {
            kwargs["temperature"] = .double(decoding.sampling.temperature)
            kwargs["seed"] = .int(Int(truncatingIfNeeded: decoding.seed))
        }
        if !stops.isEmpty { kwargs["stop"] = .array(stops.map(JSONValue.string)) }
        if let structured, structured.isToolCall {
            kwargs["tool_choice"] = "required"
        } else if structured != nil, let format = options.responseFormat {
            kwargs["response_format"] = format.json
        }
        return Prepared(
            request: GenerationRequest(promptIDs: ids, maxNewTokens: decoding.maxNewTokens, sampling: decoding.sampling,
                                       seed: decoding.seed, stopSequences: stops, grammar: structured?.grammar),
            completionKwargs: kwargs, prompt: prompt,
            splitsReasoning: structured == nil && ReasoningSplitter.applies(toTemplate: template?.source))
    }
}
