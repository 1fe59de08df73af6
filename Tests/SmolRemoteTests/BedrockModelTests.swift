import Foundation
import SmolCore
import Synchronization
import Testing

@testable import SmolRemote

/// Builders for Converse replies and ConverseStream bodies.
enum Converse {
    static let secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
    static let sessionToken = "IQoJb3JpZ2luX2VjSESSION/token+value=="
    static let credentials = AWSCredentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: Secret(secretKey),
                                            sessionToken: Secret(sessionToken))
    static let weather = Tool(name: "get_weather", description: "Get the current weather for a city.",
                              inputs: ["city": ["type": "string", "description": "The city name."]], outputType: "string")

    static func model(_ server: TestHTTPServer, retry: RetryPolicy = .none) throws -> AmazonBedrockServerModel {
        try AmazonBedrockServerModel(
            modelID: "us.anthropic.claude-3-5-haiku-20241022-v1:0", region: "us-east-1", credentials: credentials,
            endpointURL: server.baseURL, retry: retry,
            http: HTTPConfiguration(readTimeout: .seconds(20), totalTimeout: .seconds(30)),
            environment: [:], homeDirectory: try BedrockGolden.emptyHome(), clock: { Date(timeIntervalSince1970: 1_795_000_000) })
    }

    /// A Converse response with these content blocks.
    static func reply(_ blocks: [JSONValue], stopReason: String = "end_turn") -> TestResponse {
        .json(["output": ["message": ["role": "assistant", "content": .array(blocks)]], "stopReason": .string(stopReason),
               "usage": ["inputTokens": 11, "outputTokens": 7, "totalTokens": 18], "metrics": ["latencyMs": 5]])
    }

    /// One encoded message (an encoding failure is recorded as an issue).
    static func encoded(_ message: EventStreamMessage) -> [UInt8] {
        do {
            return try EventStreamEncoder.encode(message)
        } catch {
            Issue.record("could not encode \(message): \(error)")
            return []
        }
    }

    static func event(_ type: String, _ payload: JSONValue) -> [UInt8] {
        encoded(EventStreamMessage(
            headers: [":event-type": .string(type), ":content-type": .string("application/json"), ":message-type": .string("event")],
            payload: JSONEmitter().bytes(from: payload)))
    }

    static func exception(_ type: String, _ payload: JSONValue) -> [UInt8] {
        encoded(EventStreamMessage(
            headers: [":exception-type": .string(type), ":content-type": .string("application/json"),
                      ":message-type": .string("exception")],
            payload: JSONEmitter().bytes(from: payload)))
    }

    /// messageStart and one text delta per piece.
    static func textEvents(_ pieces: [String]) -> [UInt8] {
        event("messageStart", ["role": "assistant"]) + pieces.flatMap {
            event("contentBlockDelta", ["contentBlockIndex": 0, "delta": ["text": .string($0)], "p": "pad"])
        }
    }

    static func ending(_ stopReason: String = "end_turn") -> [UInt8] {
        event("contentBlockStop", ["contentBlockIndex": 0]) + event("messageStop", ["stopReason": .string(stopReason)])
            + event("metadata", ["usage": ["inputTokens": 11, "outputTokens": 7, "totalTokens": 18], "metrics": ["latencyMs": 5]])
    }

    static func streamed(_ bytes: [UInt8], chunk: Int = 37) -> TestResponse {
        .chunks(headers: BedrockGolden.eventStreamHeaders, BedrockGolden.chunks(bytes, size: chunk))
    }

    /// Drains a stream into one message.
    static func drain(_ stream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>) async throws -> ChatMessage {
        var accumulator = StreamAccumulator()
        for try await delta in stream { try accumulator.add(delta) }
        return accumulator.message()
    }

    /// The error `body` throws, as a ``ModelError``.
    static func modelError(_ body: () async throws -> Void) async -> ModelError? {
        do {
            try await body()
            return nil
        } catch let error as ModelError {
            return error
        } catch {
            Issue.record("expected a ModelError, got \(error)")
            return nil
        }
    }
}

private final class BedrockRequestCounter: Sendable {
    private let value = Mutex(0)
    func next() -> Int { value.withLock { $0 += 1; return $0 } }
}

@Suite("AmazonBedrockServerModel end to end against a local server", .timeLimit(.minutes(2)))
struct BedrockModelTests {
    let ask = [ChatMessage(role: .user, text: "What is the capital of France?")]

    @Test("generate sends a signed Converse request and decodes text, usage and stop reason")
    func generateDecodesAnswer() async throws {
        let (message, requests) = try await withTestServer({ _ in Converse.reply([["text": "Paris."]]) }) { server in
            (try await withWatchdog { try await Converse.model(server).generate(ask, options: GenerateOptions()) }, server.requests)
        }
        #expect(message.text == "Paris.")
        #expect(message.finishReason == "end_turn")
        #expect(message.tokenUsage == TokenUsage(inputTokens: 11, outputTokens: 7))
        let request = try #require(requests.first)
        #expect(request.path == "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse")
        #expect(request.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true)
        #expect(request.headers["x-amz-security-token"] == Converse.sessionToken)
        #expect(request.json?["messages"] == [["role": "user", "content": [["text": "What is the capital of France?"]]]])
    }

    @Test("a text-only reply has no tool calls, even when tools were offered (smolagents #1941)")
    func textOnlyReplyHasNoToolCalls() async throws {
        let message = try await withTestServer({ _ in Converse.reply([["text": "No tool needed."]]) }) { server in
            try await Converse.model(server).generate(ask, options: GenerateOptions(tools: [Converse.weather], toolChoice: .auto))
        }
        #expect(message.toolCalls == nil)
        #expect(message.text == "No tool needed.")
    }

    @Test("a stream served in odd-sized chunks yields what generate returns", arguments: [7, 37])
    func streamMatchesGenerate(chunk: Int) async throws {
        let pieces = ["Paris is ", "the capital ", "of France ✓ — ", "très belle."]
        let body = Converse.textEvents(pieces) + Converse.ending()
        let (whole, streamed, paths) = try await withTestServer({ request in
            request.path.hasSuffix("/converse-stream") ? Converse.streamed(body, chunk: chunk)
                : Converse.reply([["text": .string(pieces.joined())]])
        }) { server in
            let model = try Converse.model(server)
            let whole = try await model.generate(ask, options: GenerateOptions())
            let streamed = try await withWatchdog { try await Converse.drain(model.generateStream(ask, options: GenerateOptions())) }
            return (whole, streamed, server.requests.map(\.path))
        }
        #expect(streamed.text == whole.text)
        #expect(streamed.finishReason == whole.finishReason)
        #expect(streamed.tokenUsage == whole.tokenUsage)
        #expect(paths.last?.hasSuffix("/converse-stream") == true)
    }

    @Test("a tool round trip sends toolUse and toolResult blocks with matching ids")
    func toolRoundTrip() async throws {
        let options = GenerateOptions(tools: [Converse.weather], toolChoice: .required)
        let (first, second, requests) = try await withTestServer({ request in
            (request.json?["messages"]?.arrayValue?.count ?? 0) == 1
                ? Converse.reply([["text": "Let me check."],
                                  ["toolUse": ["toolUseId": "tooluse_abc", "name": "get_weather", "input": ["city": "Paris"]]]],
                                 stopReason: "tool_use")
                : Converse.reply([["text": "It is 22 °C in Paris."]])
        }) { server in
            let model = try Converse.model(server)
            let first = try await model.generate(ask, options: options)
            let call = try #require(first.toolCalls?.first)
            let history = ask + [first, ChatMessage(role: .toolResponse, content: .text("22 °C, sunny"), toolCallID: call.id)]
            let second = try await model.generate(history, options: options)
            return (first, second, server.requests)
        }
        #expect(first.finishReason == "tool_use")
        #expect(first.toolCalls?.map(\.id) == ["tooluse_abc"])
        #expect(first.toolCalls?.first?.function.arguments == ["city": "Paris"])
        #expect(second.text == "It is 22 °C in Paris.")
        let messages = try #require(requests.last?.json?["messages"]?.arrayValue)
        #expect(messages.count == 3)
        #expect(messages[1]["role"] == "assistant")
        #expect(messages[1]["content"]?[1]?["toolUse"] == ["toolUseId": "tooluse_abc", "name": "get_weather", "input": ["city": "Paris"]])
        #expect(messages[2]["role"] == "user")
        #expect(messages[2]["content"]?[0]?["toolResult"] == ["toolUseId": "tooluse_abc", "content": [["text": "22 °C, sunny"]],
                                                                "status": "success"])
        #expect(requests.last?.json?["toolConfig"]?["toolChoice"] == ["any": [:]])
    }

    @Test("throttling (HTTP 429, x-amzn-ErrorType ThrottlingException) is retried, then succeeds")
    func throttlingIsRetried() async throws {
        let counter = BedrockRequestCounter()
        let throttled = TestResponse.json(
            text: #"{"message":"Rate exceeded"}"#, status: 429,
            headers: [("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
                      ("x-amzn-RequestId", "1b2c")])
        let retry = RetryPolicy(maxAttempts: 3, backoff: .exponential(initial: .milliseconds(1), multiplier: 1,
                                                                       maximum: .milliseconds(1), jitter: 0))
        let (message, requests) = try await withTestServer({ _ in
            counter.next() == 1 ? throttled : Converse.reply([["text": "Paris."]])
        }) { server in
            (try await withWatchdog { try await Converse.model(server, retry: retry).generate(ask, options: GenerateOptions()) },
             server.requests)
        }
        #expect(message.text == "Paris.")
        #expect(requests.count == 2)
        #expect(requests.map(\.headers["authorization"]).allSatisfy { $0 != nil })

        let error = await Converse.modelError {
            try await withTestServer({ _ in throttled }) { server in
                _ = try await Converse.model(server).generate(ask, options: GenerateOptions())
            }
        }
        guard case .http(let status, let text, _, _)? = error else { Issue.record("expected .http, got \(String(describing: error))"); return }
        #expect(status == 429)
        #expect(text.contains("Rate exceeded"))
    }

    @Test("an in-stream throttlingException becomes ModelError.http(status: 429)")
    func inStreamThrottling() async throws {
        let body = Converse.textEvents(["Par"]) + Converse.exception("throttlingException", ["message": "Too many tokens"])
        let error = await Converse.modelError {
            try await withTestServer({ _ in Converse.streamed(body) }) { server in
                _ = try await Converse.drain(Converse.model(server).generateStream(ask, options: GenerateOptions()))
            }
        }
        guard case .http(let status, let message, _, _)? = error else { Issue.record("expected .http, got \(String(describing: error))"); return }
        #expect(status == 429)
        #expect(message.contains("throttlingException"))
        #expect(message.contains("Too many tokens"))
    }

    @Test("a truncated event stream fails with a stream error that keeps the partial text",
          arguments: [0, 10])
    func truncatedStream(extraBytes: Int) async throws {
        // Cut at a frame boundary (no messageStop), or in the middle of the next frame.
        let next = Converse.event("contentBlockDelta", ["contentBlockIndex": 0, "delta": ["text": "ld"]])
        let body = Converse.textEvents(["Hello ", "wor"]) + next.prefix(extraBytes)
        let error = await Converse.modelError {
            try await withTestServer({ _ in .closeAfter(headers: BedrockGolden.eventStreamHeaders, bytes: body) }) { server in
                _ = try await withWatchdog {
                    try await Converse.drain(Converse.model(server).generateStream(ask, options: GenerateOptions()))
                }
            }
        }
        guard case .stream(_, _, let partial)? = error else { Issue.record("expected .stream, got \(String(describing: error))"); return }
        #expect(partial == "Hello wor")
    }

    @Test("a frame over the event-stream payload limit ends the stream with .stream naming the limit, keeping the text before it")
    func oversizedFrameKeepsPartialText() async throws {
        // A prelude announcing a 25 MiB payload (valid CRC): the decoder refuses it without waiting for
        // the bytes. Before, the error was a .decoding that dropped the text already streamed.
        let total = UInt32(16 + 25 * 1024 * 1024)
        var prelude: [UInt8] = withUnsafeBytes(of: total.bigEndian, Array.init) + [0, 0, 0, 0]
        prelude += withUnsafeBytes(of: CRC32.checksum(prelude).bigEndian, Array.init)
        let body = Converse.textEvents(["Hello"]) + prelude
        let error = await Converse.modelError {
            try await withTestServer({ _ in .stallAfter(headers: BedrockGolden.eventStreamHeaders, bytes: body) }) { server in
                _ = try await withWatchdog {
                    try await Converse.drain(Converse.model(server).generateStream(ask, options: GenerateOptions()))
                }
            }
        }
        guard case .stream(let message, _, let partial)? = error else { Issue.record("expected .stream, got \(String(describing: error))"); return }
        #expect(partial == "Hello")
        #expect(message.contains("exceeds the maximum of \(EventStreamDecoder.maximumPayloadLength)"), "\(message)")
    }

    @Test("response_format forces the json_response tool and its input becomes the content")
    func responseFormatBecomesForcedTool() async throws {
        let format = ResponseFormat.jsonSchema(name: "capital", schema: ["type": "object", "properties": ["city": ["type": "string"]]])
        let (message, request) = try await withTestServer({ _ in
            Converse.reply([["toolUse": ["toolUseId": "t1", "name": "json_response", "input": ["city": "Paris"]]]], stopReason: "tool_use")
        }) { server in
            (try await Converse.model(server).generate(ask, options: GenerateOptions(responseFormat: format)), server.requests.first)
        }
        #expect(message.toolCalls == nil)
        #expect(try JSONValue(parsing: Array((message.text ?? "").utf8)) == ["city": "Paris"])
        let config = try #require(request?.json?["toolConfig"])
        #expect(config["toolChoice"] == ["tool": ["name": "json_response"]])
        #expect(config["tools"]?[0]?["toolSpec"]?["inputSchema"]?["json"] == format.schema)
    }

    @Test("a bearer API key over plain http is refused with a typed error, and used over https")
    func bearerNeedsHTTPS() async throws {
        let key = "ABSKbedrock-api-key-0123456789"
        let home = try BedrockGolden.emptyHome()
        for (apiKey, environment) in [(Optional(key), [String: String]()), (nil, ["AWS_BEARER_TOKEN_BEDROCK": key])] {
            do {
                _ = try AmazonBedrockServerModel(modelID: "m", region: "us-east-1", apiKey: apiKey, endpointURL: "http://127.0.0.1:9",
                                                 environment: environment, homeDirectory: home)
                Issue.record("expected an error for a bearer key over http")
            } catch {
                guard case .invalidInput(let message, let location) = error else { Issue.record("got \(error)"); continue }
                #expect(message.contains("HTTPS"))
                #expect(location == "endpointURL")
                #expect(!"\(error)".contains(key))
            }
        }
        let model = try AmazonBedrockServerModel(modelID: "m", region: "us-east-1", apiKey: key, endpointURL: "https://bedrock.example",
                                                 environment: [:], homeDirectory: home)
        let (request, _) = try await model.request(ask, options: GenerateOptions(), operation: "converse")
        let headers = BedrockGolden.kept(request.headers)
        #expect(headers["authorization"] == "Bearer \(key)")
        #expect(headers["x-amz-date"] == nil)
    }

    @Test("missing credentials fail with .authentication naming every place searched")
    func missingCredentials() throws {
        let home = try BedrockGolden.emptyHome()
        do {
            // With instance metadata disabled nothing is left to try, so the model cannot be made.
            _ = try AmazonBedrockServerModel(modelID: "m", region: "us-east-1", environment: ["AWS_EC2_METADATA_DISABLED": "true"],
                                             homeDirectory: home)
            Issue.record("expected an authentication error")
        } catch {
            guard case .authentication(let message) = error else { Issue.record("got \(error)"); return }
            for place in ["AWS_ACCESS_KEY_ID", "\(home)/.aws/credentials", "\(home)/.aws/config", "default"] {
                #expect(message.contains(place), "\(message) does not mention \(place)")
            }
        }
    }

    @Test("the secret key and the session token never appear in an error description")
    func secretsAreRedacted() async throws {
        let leak = "secret \(Converse.secretKey) token \(Converse.sessionToken)"
        var errors: [ModelError] = []
        errors += await [Converse.modelError {
            try await withTestServer({ _ in .json(["message": .string(leak)], status: 403,
                                                   headers: [("x-amzn-ErrorType", "AccessDeniedException:")]) }) { server in
                _ = try await Converse.model(server).generate(ask, options: GenerateOptions())
            }
        }].compactMap { $0 }
        errors += await [Converse.modelError {
            try await withTestServer({ _ in .json(["unexpected": .string(leak)]) }) { server in
                _ = try await Converse.model(server).generate(ask, options: GenerateOptions())
            }
        }].compactMap { $0 }
        for type in ["throttlingException", "modelStreamErrorException"] {
            let body = Converse.textEvents(["a"]) + Converse.exception(type, ["message": .string(leak)])
            errors += await [Converse.modelError {
                try await withTestServer({ _ in Converse.streamed(body) }) { server in
                    _ = try await Converse.drain(Converse.model(server).generateStream(ask, options: GenerateOptions()))
                }
            }].compactMap { $0 }
        }
        #expect(errors.count == 4)
        for error in errors {
            for text in ["\(error)", String(reflecting: error), error.message, error.localizedDescription] {
                #expect(!text.contains(Converse.secretKey), "secret key in: \(text)")
                #expect(!text.contains(Converse.sessionToken), "session token in: \(text)")
            }
        }
    }
}
