import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SmolCore
import SmolRemote
import Testing

@testable import SmolServe

/// A raw request: status, headers (lower-cased names), body.
func send(_ port: Int, _ path: String, method: String = "POST", body: String? = nil,
                  headers: [String: String] = [:]) async throws -> (Int, [String: String], JSONValue) {
    var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
    request.httpMethod = method
    request.httpBody = body.map { Data($0.utf8) }
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    for (key, value) in headers { request.setValue(value, forHTTPHeaderField: key) }
    let (data, response) = try await URLSession.shared.data(for: request)
    let http = try #require(response as? HTTPURLResponse)
    var fields: [String: String] = [:]
    for (key, value) in http.allHeaderFields { fields[String(describing: key).lowercased()] = String(describing: value) }
    let json = (try? JSONValue(parsing: [UInt8](data))) ?? .string(String(decoding: data, as: UTF8.self))
    return (http.statusCode, fields, json)
}

private func client(_ port: Int, model: String = "echo", key: String = "none") throws -> OpenAIServerModel {
    try OpenAIServerModel(modelID: model, apiBase: "http://127.0.0.1:\(port)/v1", apiKey: key, retry: .none, environment: [:])
}

private let userX = #"[{"role": "user", "content": "x"}]"#

@Suite("smol serve: OpenAI's chat-completions API in front of any model")
struct ModelServerTests {
    @Test("this package's OpenAIServerModel gets the answer, the usage and max_tokens through the server")
    func plainCompletion() async throws {
        try await withServer { port in
            let answer = try await client(port).generate([ChatMessage(role: .user, text: "Bonjour")],
                                                        options: GenerateOptions(parameters: ["max_tokens": 12]))
            #expect(answer.text == "echo: Bonjour (max 12)")
            #expect(answer.tokenUsage == TokenUsage(inputTokens: 3, outputTokens: 2))
            #expect(answer.finishReason == "stop")
        }
    }

    @Test("a streamed answer arrives as chunks ending in [DONE], with usage when asked")
    func streamedCompletion() async throws {
        try await withServer { port in
            var text = "", usage: [TokenUsage] = []
            for try await delta in try client(port).generateStream([ChatMessage(role: .user, text: "hi")], options: GenerateOptions()) {
                text += delta.content ?? ""
                if let u = delta.tokenUsage { usage.append(u) }
            }
            #expect(text == "echo: hi")
            #expect(usage == [TokenUsage(inputTokens: 3, outputTokens: 2)])
            let body = #"{"model": "echo", "stream": true, "stream_options": {"include_usage": true}, "messages": "# + userX + "}"
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/v1/chat/completions")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            let (data, response) = try await URLSession.shared.data(for: request)
            #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Content-Type") == "text/event-stream")
            let events = String(decoding: data, as: UTF8.self).components(separatedBy: "\n\n").filter { !$0.isEmpty }
            #expect(events.last == "data: [DONE]")
            let chunks = try events.dropLast().map { try JSONValue(parsing: Array($0.dropFirst("data: ".count).utf8)) }
            #expect(chunks.first?["choices"]?[0]?["delta"]?["role"] == "assistant")
            #expect(chunks.contains { $0["choices"]?[0]?["finish_reason"] == "stop" })
            #expect(chunks.last?["usage"]?["total_tokens"] == 5)
            #expect(chunks.last?["choices"]?.arrayValue?.isEmpty == true)
        }
    }

    @Test("tools and tool_choice reach the model; its tool calls come back in OpenAI's shape")
    func toolCalls() async throws {
        try await withServer { port in
            let tool = Tool(name: "get_weather", description: "Weather of a city",
                            inputs: ["city": ["type": "string", "description": "The city"]])
            let answer = try await client(port).generate(
                [ChatMessage(role: .user, text: "Weather in Paris?")],
                options: GenerateOptions(tools: [tool], toolChoice: .required))
            #expect(answer.toolCalls?.first?.function.name == "get_weather")
            #expect(parseJSONIfNeeded(answer.toolCalls?.first?.function.arguments ?? .null) == ["city": "Paris"])
            #expect(answer.finishReason == "tool_calls")
        }
    }

    @Test("a missing or wrong API key is a 401 in OpenAI's shape; the right one passes")
    func apiKey() async throws {
        try await withServer(apiKey: "s3cret") { port in
            let (status, _, json) = try await send(port, "/v1/chat/completions", body: #"{"model": "echo", "messages": "# + userX + "}")
            #expect(status == 401)
            #expect(json["error"]?["code"] == "invalid_api_key")
            let wrong = try await send(port, "/v1/models", method: "GET", headers: ["Authorization": "Bearer s3creT"])
            #expect(wrong.0 == 401)
            #expect(!"\(wrong.2)".contains("s3cret"))
            let answer = try await client(port, key: "s3cret").generate([ChatMessage(role: .user, text: "ok")], options: GenerateOptions())
            #expect(answer.text == "echo: ok")
            #expect(try await send(port, "/health", method: "GET").0 == 200)
        }
        #expect(ModelServer.constantTimeEquals("Bearer a", "Bearer a"))
        #expect(!ModelServer.constantTimeEquals("Bearer a", "Bearer ab"))
        #expect(!ModelServer.constantTimeEquals("", "x"))
    }

    @Test("an unknown model is a 404 listing the served ones; /v1/models lists them")
    func unknownModel() async throws {
        try await withServer { port in
            let (status, _, json) = try await send(port, "/v1/chat/completions", body: #"{"model": "gpt-9", "messages": "# + userX + "}")
            #expect(status == 404)
            #expect(json["error"]?["code"] == "model_not_found")
            #expect(json["error"]?["message"]?.stringValue?.contains("echo, limited, broken") == true)
            let models = try await send(port, "/v1/models", method: "GET")
            #expect(models.2["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["echo", "limited", "broken"])
        }
    }

    static let badBodies: [(String, String?)] = [
        ("not json", nil),
        (#"{"messages": "# + userX + "}", "model"),
        (#"{"model": "echo", "messages": []}"#, "messages"),
        (#"{"model": "echo", "n": 2, "messages": "# + userX + "}", "n"),
        (#"{"model": "echo", "max_tokens": -1, "messages": "# + userX + "}", "max_tokens"),
        (#"{"model": "echo", "messages": [{"role": "wizard", "content": "x"}]}"#, "messages[0].role"),
        (#"{"model": "echo", "temperature": "hot", "messages": "# + userX + "}", "temperature"),
    ]

    @Test("bad bodies are 400s naming the field", arguments: badBodies.indices)
    func badRequests(_ index: Int) async throws {
        let (body, param) = Self.badBodies[index]
        try await withServer { port in
            let (status, _, json) = try await send(port, "/v1/chat/completions", body: body)
            #expect(status == 400, "\(body)")
            #expect(json["error"]?["type"] == "invalid_request_error")
            #expect(json["error"]?["param"]?.stringValue == param, "\(json)")
        }
    }

    @Test("the body size limit (413) and the max_tokens cap hold")
    func limits() async throws {
        try await withServer(maxBodyBytes: 200, maxTokensCap: 5) { port in
            let big = #"{"model": "echo", "messages": [{"role": "user", "content": ""# + String(repeating: "x", count: 300) + #""}]}"#
            #expect(try await send(port, "/v1/chat/completions", body: big).0 == 413)
            let (status, _, json) = try await send(port, "/v1/chat/completions",
                                                   body: #"{"model": "echo", "max_tokens": 50, "messages": [{"role": "user", "content": "y"}]}"#)
            #expect(status == 200)
            #expect(json["choices"]?[0]?["message"]?["content"] == "echo: y (max 5)")
        }
    }

    @Test("a backend's 429 stays a 429 with its Retry-After; its 5xx becomes a 502")
    func upstreamStatuses() async throws {
        try await withServer { port in
            let limited = try await send(port, "/v1/chat/completions", body: #"{"model": "limited", "messages": "# + userX + "}")
            #expect(limited.0 == 429)
            #expect(limited.1["retry-after"] == "7")
            let broken = try await send(port, "/v1/chat/completions", body: #"{"model": "broken", "messages": "# + userX + "}")
            #expect(broken.0 == 502)
            #expect(broken.2["error"]?["message"]?.stringValue?.contains("upstream exploded") == true)
        }
    }
}

@Suite("smol serve: queue bounds and metrics")
struct ServeQueueAndMetricsTests {
    @Test("a model's queue beyond its bound answers 429 with Retry-After at once; /metrics counts requests and tokens")
    func queueAndMetrics() async throws {
        // One slot and one waiting place: with three requests at once, one is refused.
        let slow = CustomModel.withOptions(modelID: "slow") { _, _ in
            try await Task.sleep(for: .milliseconds(600))
            return ChatMessage(role: .assistant, content: .text("done"), tokenUsage: TokenUsage(inputTokens: 4, outputTokens: 6))
        }
        let server = ModelServer(models: [("slow", slow)], configuration: ServeConfiguration(port: 0, parallel: 1, maxQueue: 1),
                                 logger: quietLogger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let body = #"{"model": "slow", "messages": [{"role": "user", "content": "x"}]}"#
        let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let (status, headers, _) = try await send(port, "/v1/chat/completions", body: body)
                    return (status, headers["retry-after"])
                }
            }
            var out: [(Int, String?)] = []
            for try await result in group { out.append(result) }
            return out
        }
        #expect(statuses.map(\.0).sorted() == [200, 200, 429])
        #expect(statuses.first { $0.0 == 429 }?.1 == "1")
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)/metrics")!)
        request.httpMethod = "GET"
        let (data, _) = try await URLSession.shared.data(for: request)
        let text = String(decoding: data, as: UTF8.self)
        #expect(text.contains(#"smol_serve_requests_total{model="slow",status="200"} 2"#), "\(text)")
        #expect(text.contains(#"smol_serve_requests_total{model="slow",status="429"} 1"#), "\(text)")
        #expect(text.contains(#"smol_serve_completion_tokens_total{model="slow"} 12"#), "\(text)")
        #expect(text.contains(#"smol_serve_queue_depth{model="slow"} 0"#), "\(text)")
    }
}
