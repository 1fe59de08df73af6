import SmolCore
import Testing

/// Runs `body` with a fresh ``TestHTTPServer`` that answers with `handler`, and shuts the server down
/// afterwards, whether `body` succeeded or threw.
func withTestServer<T>(
    _ handler: @escaping TestHTTPServer.Handler, _ body: (TestHTTPServer) async throws -> T
) async throws -> T {
    let server = try await TestHTTPServer.start(handler: handler)
    do {
        let result = try await body(server)
        try await server.shutdown()
        return result
    } catch {
        try? await server.shutdown()
        throw error
    }
}

/// Runs `body`, cancelling it (and recording an issue) if it has not finished within `limit`, so that a
/// hung client or server fails the test instead of hanging the run.
func withWatchdog<T: Sendable>(
    _ limit: Duration = .seconds(30), sourceLocation: SourceLocation = #_sourceLocation,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let work = Task { try await body() }
    let timer = Task {
        try await Task.sleep(for: limit)
        Issue.record("watchdog: no result within \(limit); the work was cancelled", sourceLocation: sourceLocation)
        work.cancel()
    }
    defer { timer.cancel() }
    return try await withTaskCancellationHandler {
        try await work.value
    } onCancel: {
        work.cancel()
    }
}

/// The differences between two JSON values, one line per difference, each starting with its path
/// (`body.messages[2].content: expected null, got (missing)`). Key order is ignored; numbers compare by
/// value (`0` equals `0.0`), as ``JSONValue``'s equality does.
func jsonDifferences(expected: JSONValue?, actual: JSONValue?, path: String) -> [String] {
    switch (expected, actual) {
    case (nil, nil):
        return []
    case (let expected?, nil):
        return ["\(path): missing (expected \(expected))"]
    case (nil, let actual?):
        return ["\(path): unexpected \(actual)"]
    case (.object(let expected)?, .object(let actual)?):
        var lines: [String] = []
        for key in expected.keys {
            lines += jsonDifferences(expected: expected[key], actual: actual[key], path: "\(path).\(key)")
        }
        for key in actual.keys where !expected.contains(key) {
            lines.append("\(path).\(key): unexpected \(actual[key]!)")
        }
        return lines
    case (.array(let expected)?, .array(let actual)?):
        var lines: [String] = []
        if expected.count != actual.count {
            lines.append("\(path): expected \(expected.count) element(s), got \(actual.count)")
        }
        for index in 0..<max(expected.count, actual.count) {
            lines += jsonDifferences(expected: expected.indices.contains(index) ? expected[index] : nil,
                                     actual: actual.indices.contains(index) ? actual[index] : nil,
                                     path: "\(path)[\(index)]")
        }
        return lines
    case (let expected?, let actual?):
        return expected == actual ? [] : ["\(path): expected \(expected), got \(actual)"]
    }
}

/// `model`'s answer to `messages`: from `generate`, or, `streamed`, the deltas of `generateStream` agglomerated.
func modelAnswer(_ model: some Model, _ messages: [ChatMessage], options: GenerateOptions, streamed: Bool) async throws
    -> ChatMessage
{
    guard streamed else { return try await model.generate(messages, options: options) }
    var deltas: [ChatMessageStreamDelta] = []
    for try await delta in model.generateStream(messages, options: options) { deltas.append(delta) }
    return try agglomerateStreamDeltas(deltas)
}
