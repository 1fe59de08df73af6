import Foundation
import InMemoryTracing
import SmolCore
import Testing
import Tracing

@testable import SmolLocal

/// Issue 16: the local models' GenAI spans, the same `chat {model}` spans as the remote backends', kind `internal`
/// (a model in this process, as the conventions allow), with the decoding parameters actually used.
@Suite("Local models' GenAI spans")
struct LocalTracingTests {
    static let question = [ChatMessage(role: .user, text: "a private question")]

    static func folder() throws -> String { try FixturePaths.fixture("tiny-llama") }

    static func model(_ tracer: InMemoryTracer, maxNewTokens: Int = 4) throws -> TransformersModel {
        var model = try TransformersModel(modelID: try folder(), maxNewTokens: maxNewTokens)
        model.tracer = tracer
        return model
    }

    static func attribute(_ span: FinishedInMemorySpan, _ key: String) -> String? {
        switch span.attributes.get(key) {
        case .string(let value)?: return value
        case .int64(let value)?: return "int \(value)"
        case .double(let value)?: return "double \(value)"
        case .stringArray(let values)?: return values.joined(separator: ",")
        case nil: return nil
        default: return "?"
        }
    }

    /// The span of a stream is ended by the task forwarding it, just after the consumer saw its end.
    static func finished(_ tracer: InMemoryTracer) async throws -> FinishedInMemorySpan {
        for _ in 0..<200 where tracer.finishedSpans.isEmpty { try await Task.sleep(for: .milliseconds(10)) }
        #expect(tracer.finishedSpans.count == 1)
        return try #require(tracer.finishedSpans.first)
    }

    @Test("greedy generate: `chat {model}`, internal, provider transformers, temperature 0, the limit and stops used, usage and finish")
    func greedySpan() async throws {
        let tracer = InMemoryTracer()
        let model = try Self.model(tracer)
        let answer = try await model.generate(Self.question, options: GenerateOptions(stopSequences: ["END"], parameters: ["max_new_tokens": 3]))
        let span = try await Self.finished(tracer)
        let path = try Self.folder()
        #expect(span.operationName == "chat \(path)" && span.kind == .internal)
        #expect(Self.attribute(span, "gen_ai.operation.name") == "chat")
        #expect(Self.attribute(span, "gen_ai.provider.name") == "transformers")
        #expect(Self.attribute(span, "gen_ai.request.model") == path)
        #expect(Self.attribute(span, "gen_ai.request.temperature") == "double 0.0")
        #expect(Self.attribute(span, "gen_ai.request.max_tokens") == "int 3")
        #expect(Self.attribute(span, "gen_ai.request.stop_sequences") == "END")
        #expect(Self.attribute(span, "gen_ai.request.top_p") == nil && Self.attribute(span, "gen_ai.request.seed") == nil)
        let usage = try #require(answer.tokenUsage)
        #expect(Self.attribute(span, "gen_ai.usage.input_tokens") == "int \(usage.inputTokens)")
        #expect(Self.attribute(span, "gen_ai.usage.output_tokens") == "int \(usage.outputTokens)")
        #expect(Self.attribute(span, "gen_ai.response.finish_reasons") == answer.finishReason)
        #expect(span.status == nil && span.errors.isEmpty)
        #expect(!"\(span.attributes)".contains("private question"))
    }

    @Test("sampling: the temperature, top_p, top_k (a double, as the conventions type it) and seed used")
    func samplingSpan() async throws {
        let tracer = InMemoryTracer()
        let parameters: JSONObject = ["do_sample": true, "temperature": 0.7, "top_p": 0.9, "top_k": 5, "seed": 7, "max_new_tokens": 2]
        _ = try await Self.model(tracer).generate(Self.question, options: GenerateOptions(parameters: parameters))
        let span = try await Self.finished(tracer)
        #expect(Self.attribute(span, "gen_ai.request.temperature") == "double 0.7")
        #expect(Self.attribute(span, "gen_ai.request.top_p") == "double 0.9")
        #expect(Self.attribute(span, "gen_ai.request.top_k") == "double 5.0")
        #expect(Self.attribute(span, "gen_ai.request.seed") == "int 7")
        #expect(Self.attribute(span, "gen_ai.request.max_tokens") == "int 2")
    }

    @Test("a stream's span ends with the stream and carries the final delta's usage and finish reason")
    func streamSpan() async throws {
        let tracer = InMemoryTracer()
        var last: ChatMessageStreamDelta?
        for try await delta in try Self.model(tracer).generateStream(Self.question, options: GenerateOptions()) where delta.tokenUsage != nil {
            last = delta
        }
        let span = try await Self.finished(tracer)
        let final = try #require(last)
        #expect(span.kind == .internal && Self.attribute(span, "gen_ai.provider.name") == "transformers")
        #expect(Self.attribute(span, "gen_ai.request.max_tokens") == "int 4")
        #expect(Self.attribute(span, "gen_ai.usage.output_tokens") == "int \(final.tokenUsage?.outputTokens ?? -1)")
        #expect(Self.attribute(span, "gen_ai.response.finish_reasons") == final.finishReason)
    }

    @Test("a request refused before decoding is a failed span: error status, the error recorded, error.type its kind")
    func refusedSpan() async throws {
        let refused = GenerateOptions(parameters: ["frequency_penalty": 1])
        let tracer = InMemoryTracer()
        await #expect(throws: ModelError.self) { _ = try await Self.model(tracer).generate(Self.question, options: refused) }
        let span = try await Self.finished(tracer)
        #expect(span.status?.code == .error && span.errors.count == 1)
        #expect(Self.attribute(span, "error.type") == "invalidInput")
        #expect(Self.attribute(span, "gen_ai.usage.input_tokens") == nil)

        let streamTracer = InMemoryTracer()
        await #expect(throws: ModelError.self) {
            for try await _ in try Self.model(streamTracer).generateStream(Self.question, options: refused) {}
        }
        let streamSpan = try await Self.finished(streamTracer)
        #expect(streamSpan.status?.code == .error && Self.attribute(streamSpan, "error.type") == "invalidInput")
    }

    @Test("MLXModel's spans name provider mlx and its own id, with mlx-lm's max_tokens")
    func mlxSpan() async throws {
        let tracer = InMemoryTracer()
        let folder = try FixturePaths.fixture("tiny-llama-mlx/q4-bf16")
        var model = try MLXModel(modelID: folder, parameters: ["max_tokens": 3])
        model.tracer = tracer
        let answer = try await model.generate(Self.question, options: GenerateOptions())
        let span = try await Self.finished(tracer)
        #expect(span.operationName == "chat \(folder)" && span.kind == .internal)
        #expect(Self.attribute(span, "gen_ai.provider.name") == "mlx")
        #expect(Self.attribute(span, "gen_ai.request.max_tokens") == "int 3")
        #expect(Self.attribute(span, "gen_ai.usage.output_tokens") == "int \(answer.tokenUsage?.outputTokens ?? -1)")

        let refusedTracer = InMemoryTracer()
        model.tracer = refusedTracer
        await #expect(throws: ModelError.self) {
            _ = try await model.generate(Self.question, options: GenerateOptions(parameters: ["no_such_parameter": 1]))
        }
        let refused = try await Self.finished(refusedTracer)
        #expect(refused.status?.code == .error && Self.attribute(refused, "gen_ai.provider.name") == "mlx")
    }
}
