import Foundation
import SmolCore
import Logging
import SmolServe

/// A logger that drops everything: the servers under test would otherwise print a line per request.
let quietLogger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

/// A backend that answers from the request: echoes the last user text, calls the first tool when asked
/// to, and fails as its name says.
func backend(_ name: String) -> CustomModel {
    CustomModel.withOptions(modelID: name) { messages, options in
        switch name {
        case "limited": throw ModelError.http(status: 429, message: "slow down", retryAfter: .seconds(7))
        case "broken": throw ModelError.http(status: 500, message: "upstream exploded")
        default: break
        }
        if let tool = options.tools?.first, options.toolChoice == .required {
            return ChatMessage(role: .assistant, content: nil,
                               toolCalls: [ChatMessageToolCall(id: "call_1", type: "function",
                                                               function: ChatMessageToolCallFunction(name: tool.name, arguments: ["city": "Paris"]))],
                               tokenUsage: TokenUsage(inputTokens: 5, outputTokens: 4))
        }
        let last = messages.last { $0.role == .user }?.text ?? ""
        let limit = options.parameters["max_tokens"]?.intValue.map { " (max \($0))" } ?? ""
        return ChatMessage(role: .assistant, content: .text("echo: \(last)\(limit)"), tokenUsage: TokenUsage(inputTokens: 3, outputTokens: 2))
    }
}

/// Runs a server on a free port for the duration of `body`.
func withServer<T: Sendable>(apiKey: String? = nil, maxBodyBytes: Int = 1 << 20, maxTokensCap: Int? = nil,
                                     _ body: @Sendable (Int) async throws -> T) async throws -> T {
    let server = ModelServer(models: [("echo", backend("echo")), ("limited", backend("limited")), ("broken", backend("broken"))],
                             configuration: ServeConfiguration(port: 0, apiKey: apiKey.map { Secret($0) }, maxBodyBytes: maxBodyBytes,
                                                               maxTokensCap: maxTokensCap),
                             logger: quietLogger)
    let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
    let task = Task { try await server.run { continuation.yield($0) } }
    defer { task.cancel() }
    var iterator = ports.makeAsyncIterator()
    guard let port = await iterator.next() else { throw CancellationError() }
    return try await body(port)
}

