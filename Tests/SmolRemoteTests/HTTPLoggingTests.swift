import Foundation
import Logging
import SmolCore
import Synchronization
import Testing

@testable import SmolRemote

/// A log handler that keeps every record, for checking what the engine logs.
final class RecordingLogHandlerBox: Sendable {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: [String: String]
        var text: String { message + " " + metadata.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " ") }
    }

    let records = Mutex<[Record]>([])

    var all: [Record] { records.withLock { $0 } }

    func logger(level: Logger.Level) -> Logger {
        var logger = Logger(label: "test.http") { _ in Handler(box: self) }
        logger.logLevel = level
        return logger
    }

    struct Handler: LogHandler {
        let box: RecordingLogHandlerBox
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { $1 }
            box.records.withLock {
                $0.append(Record(level: event.level, message: "\(event.message)", metadata: merged.mapValues { "\($0)" }))
            }
        }
    }
}

/// Issue 16: one debug line per HTTP exchange, a warning per retry; never a key, a query or a body unless asked.
@Suite("HTTP engine logging")
struct HTTPLoggingTests {
    static let key = Secret("sk-log-secret-777")

    static func request(_ server: TestHTTPServer) -> HTTPEngine.Request {
        HTTPEngine.Request(method: "POST", url: server.baseURL + "/v1/chat/completions?key=\(key.revealed)",
                           headers: [("authorization", "Bearer \(key.revealed)"), ("content-type", "application/json")],
                           body: Array(#"{"messages":[{"role":"user","content":"private prompt"}],"api_key":"sk-log-secret-777"}"#.utf8))
    }

    @Test("a retried request logs a warning with the reason and wait, and one debug line per attempt, without secrets")
    func exchangesAndRetries() async throws {
        let box = RecordingLogHandlerBox()
        let calls = Mutex(0)
        try await withTestServer({ _ in
            calls.withLock { $0 += 1; return $0 } == 1 ? .json(["error": ["message": "slow down"]], status: 429, headers: [("retry-after-ms", "5")])
                : .json(["ok": true])
        }) { server in
            var configuration = HTTPConfiguration(retry: RetryPolicy(maxAttempts: 3, backoff: .exponential(
                initial: .milliseconds(1), multiplier: 1, maximum: .milliseconds(1), jitter: 0)))
            configuration.logger = box.logger(level: .debug)
            _ = try await HTTPEngine(configuration: configuration).send(Self.request(server), secrets: [Self.key])
        }
        let records = box.all
        let exchanges = records.filter { $0.level == .debug && $0.message == "HTTP exchange" }
        #expect(exchanges.map { $0.metadata["status"] } == ["429", "200"])
        #expect(exchanges.map { $0.metadata["attempt"] } == ["1", "2"])
        #expect(exchanges.allSatisfy { $0.metadata["method"] == "POST" && $0.metadata["url"]?.hasSuffix("/v1/chat/completions") == true })
        let retries = records.filter { $0.level == .warning }
        #expect(retries.count == 1 && retries.first?.message.contains("rate limited (429)") == true && retries.first?.metadata["wait_ms"] != nil)
        for record in records {
            #expect(!record.text.contains(Self.key.revealed), "\(record.text)")
            #expect(!record.text.contains("private prompt"))
        }
    }

    @Test("bodies are logged at trace level only when asked, with the request's secrets redacted")
    func bodiesWhenAsked() async throws {
        for asked in [false, true] {
            let box = RecordingLogHandlerBox()
            try await withTestServer({ _ in .json(["ok": true]) }) { server in
                var configuration = HTTPConfiguration()
                configuration.logger = box.logger(level: .trace)
                configuration.logsBodies = asked
                _ = try await HTTPEngine(configuration: configuration).send(Self.request(server), secrets: [Self.key])
            }
            let bodies = box.all.filter { $0.message == "request body" }
            #expect(bodies.count == (asked ? 1 : 0))
            #expect(box.all.allSatisfy { !$0.text.contains(Self.key.revealed) })
            if asked { #expect(bodies.first?.metadata["body"]?.contains("private prompt") == true) }
        }
    }
}
