import Foundation
import InMemoryTracing
import SmolCore
import SmolTracing
import Testing
import Tracing

@testable import SmolRemote

/// Issue 16: one span per generate / generateStream with OpenTelemetry's GenAI conventions.
@Suite("GenAI tracing spans")
struct GenAITracingTests {
    static let completion: JSONValue = [
        "id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [["index": 0, "finish_reason": "stop", "message": ["role": "assistant", "content": "secret answer"]]],
        "usage": ["prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14],
    ]
    static let chunks = [
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Par"},"finish_reason":null}]}"#,
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"is"},"finish_reason":"length"}]}"#,
        #"{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":2,"total_tokens":22}}"#,
        "[DONE]",
    ]

    static func model(_ server: TestHTTPServer, tracer: InMemoryTracer) throws -> OpenAIServerModel {
        var http = HTTPConfiguration(retry: .none)
        http.tracer = tracer
        return try OpenAIServerModel(modelID: "gpt-4o-mini", apiBase: server.baseURL + "/v1", apiKey: "sk-trace-secret",
                                     parameters: ["temperature": 0.5], http: http, environment: [:])
    }

    static func string(_ span: FinishedInMemorySpan, _ key: String) -> String? {
        switch span.attributes.get(key) {
        case .string(let value)?: return value
        case .int64(let value)?: return String(value)
        case .double(let value)?: return String(value)
        case .stringArray(let values)?: return values.joined(separator: ",")
        case nil: return nil
        default: return "?"
        }
    }

    static let question = [ChatMessage(role: .user, text: "a private question")]

    @Test("a generate call is one client span `chat {model}` with the request and response attributes, and no prompt or answer")
    func generateSpan() async throws {
        let tracer = InMemoryTracer()
        try await withTestServer({ _ in .json(Self.completion) }) { server in
            _ = try await Self.model(server, tracer: tracer).generate(
                Self.question, options: GenerateOptions(stopSequences: ["END"], parameters: ["max_tokens": 64, "temperature": 0.9]))
        }
        let span = try #require(tracer.finishedSpans.first)
        #expect(tracer.finishedSpans.count == 1)
        #expect(span.operationName == "chat gpt-4o-mini" && span.kind == .client)
        #expect(Self.string(span, "gen_ai.operation.name") == "chat")
        #expect(Self.string(span, "gen_ai.provider.name") == "openai")
        #expect(Self.string(span, "gen_ai.request.model") == "gpt-4o-mini")
        #expect(Self.string(span, "gen_ai.request.temperature") == "0.5")  // the model-level value wins, as sent
        #expect(Self.string(span, "gen_ai.request.max_tokens") == "64")
        #expect(Self.string(span, "gen_ai.response.finish_reasons") == "stop")
        #expect(Self.string(span, "gen_ai.usage.input_tokens") == "11" && Self.string(span, "gen_ai.usage.output_tokens") == "3")
        let everything = "\(span.attributes)"
        #expect(!everything.contains("private question") && !everything.contains("secret answer") && !everything.contains("sk-trace"))
        #expect(span.status == nil && span.errors.isEmpty)
    }

    @Test("a stream's span ends with the stream and carries its finish reason and usage")
    func streamSpan() async throws {
        let tracer = InMemoryTracer()
        try await withTestServer({ _ in .sse(Self.chunks) }) { server in
            for try await _ in try Self.model(server, tracer: tracer).generateStream(Self.question, options: GenerateOptions()) {}
        }
        // The span ends in the consumer's last `next()`, before the loop above exits.
        let span = try #require(tracer.finishedSpans.first)
        #expect(Self.string(span, "gen_ai.response.finish_reasons") == "length")
        #expect(Self.string(span, "gen_ai.usage.output_tokens") == "2")
        #expect(span.status == nil && span.errors.isEmpty)
    }

    /// An upstream of `count` deltas that counts how many were pulled from it.
    final class CountingUpstream: @unchecked Sendable {
        // Touched only from the unfolding closure (one consumer, one call at a time) and after the stream ends.
        var pulled = 0
        func stream(_ count: Int) -> AsyncThrowingStream<ChatMessageStreamDelta, any Error> {
            AsyncThrowingStream(unfolding: {
                guard self.pulled < count else { return nil }
                self.pulled += 1
                return ChatMessageStreamDelta(content: "x")
            })
        }
    }

    static func traced(_ upstream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>, tracer: InMemoryTracer)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        GenAITracing.traced(provider: "openai", model: "m", kind: .client, request: GenAITracing.Request(), tracer: tracer,
                            stream: upstream)
    }

    @Test("a traced stream reads its upstream only as fast as its consumer: no read-ahead with a recording tracer")
    func tracedStreamKeepsBackPressure() async throws {
        let tracer = InMemoryTracer(), upstream = CountingUpstream()
        var iterator = Self.traced(upstream.stream(1000), tracer: tracer).makeAsyncIterator()
        for _ in 0..<3 { _ = try await iterator.next() }
        try await Task.sleep(for: .milliseconds(20))
        #expect(upstream.pulled == 3)
        #expect(tracer.finishedSpans.isEmpty)  // still open: the stream has not ended
    }

    @Test("a consumer that stops reading early or is cancelled ends the span as cancelled, not as a success")
    func abandonedStreamIsCancelled() async throws {
        let tracer = InMemoryTracer()
        do {
            var iterator = Self.traced(CountingUpstream().stream(10), tracer: tracer).makeAsyncIterator()
            _ = try await iterator.next()
        }  // the stream is dropped here
        let dropped = try #require(tracer.finishedSpans.first)
        #expect(Self.string(dropped, "error.type") == "cancelled" && dropped.status?.code == .error)

        // A consumer task cancelled while the upstream waits: the upstream ends (as local generations do) or throws.
        let waiting = AsyncThrowingStream<ChatMessageStreamDelta, any Error> { continuation in
            continuation.yield(ChatMessageStreamDelta(content: "a"))
        }
        let consumer = Task {
            for try await _ in Self.traced(waiting, tracer: tracer) {}
        }
        try await Task.sleep(for: .milliseconds(50))
        consumer.cancel()
        _ = await consumer.result
        #expect(tracer.finishedSpans.count == 2)
        let cancelled = try #require(tracer.finishedSpans.last)
        #expect(Self.string(cancelled, "error.type") == "cancelled")
        #expect(Self.string(cancelled, "gen_ai.response.finish_reasons") == nil)
    }

    @Test("a failed call records the error, its type (the HTTP status) and an error status")
    func errorSpan() async throws {
        let tracer = InMemoryTracer()
        _ = try await withTestServer({ _ in .json(["error": ["message": "slow down"]], status: 429) }) { server in
            await #expect(throws: ModelError.self) {
                _ = try await Self.model(server, tracer: tracer).generate(Self.question, options: GenerateOptions())
            }
        }
        let span = try #require(tracer.finishedSpans.first)
        #expect(Self.string(span, "error.type") == "429")
        #expect(span.status?.code == .error && span.errors.count == 1)
    }

    @Test("an Amazon Bedrock Converse call is a `chat {model}` span with provider aws.bedrock, its usage and stop reason")
    func bedrockSpan() async throws {
        let tracer = InMemoryTracer()
        try await withTestServer({ _ in Converse.reply([["text": "secret answer"]]) }) { server in
            var http = HTTPConfiguration(retry: .none)
            http.tracer = tracer
            let model = try AmazonBedrockServerModel(
                modelID: "us.anthropic.claude-3-5-haiku-20241022-v1:0", region: "us-east-1",
                credentials: Converse.credentials, endpointURL: server.baseURL, http: http, environment: [:],
                homeDirectory: try BedrockGolden.emptyHome())
            _ = try await model.generate(Self.question, options: GenerateOptions(parameters: ["max_tokens": 32]))
        }
        let span = try #require(tracer.finishedSpans.first)
        #expect(span.operationName == "chat us.anthropic.claude-3-5-haiku-20241022-v1:0")
        #expect(Self.string(span, "gen_ai.provider.name") == "aws.bedrock")
        #expect(Self.string(span, "gen_ai.response.finish_reasons") == "end_turn")  // Bedrock's own stopReason, as returned
        #expect(Self.string(span, "gen_ai.usage.input_tokens") == "11" && Self.string(span, "gen_ai.usage.output_tokens") == "7")
    }
}
