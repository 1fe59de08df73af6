import Foundation
#if canImport(Glibc)
import Glibc
#endif
import SmolCore
import SmolRemote
import Synchronization
import Testing

/// The built `smol` executable, beside the test runner.
private var smolExecutable: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("smol")
}

/// Clients that have received text.
private final class Counter: Sendable {
    let value = Atomic<Int>(0)
}

@Suite("smol serve as a process")
struct ServeCommandTests {
    @Test("16 concurrent streaming clients of a local model all finish; SIGTERM meanwhile lets them finish and exits 0")
    func concurrentClientsAndGracefulShutdown() async throws {
        let models = ProcessInfo.processInfo.environment["SMOL_TEST_MODELS_DIR"]
            ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/swift-smolagents/models"
        let path = models + "/SmolLM2-135M-Instruct.Q4_1.gguf"
        try #require(FileManager.default.fileExists(atPath: path), "run `bash scripts/test.sh` (it fetches the model)")
        try #require(FileManager.default.isExecutableFile(atPath: smolExecutable.path), "build the smol product first")
        let process = Process(), errors = Pipe()
        process.executableURL = smolExecutable
        process.arguments = ["serve", "--model-type", "TransformersModel", "--model-id", path, "--port", "0",
                             "--served-model-name", "smollm2"]
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        // The first stderr line names the bound port.
        let port: Int = try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                var seen = ""
                while !seen.contains("\n") {
                    let chunk = errors.fileHandleForReading.availableData
                    if chunk.isEmpty { break }
                    seen += String(decoding: chunk, as: UTF8.self)
                }
                if let range = seen.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                   let port = Int(seen[range].split(separator: ":").last ?? "") {
                    continuation.resume(returning: port)
                } else {
                    continuation.resume(throwing: ModelError.unsupported(message: "smol serve did not start: \(seen)"))
                }
            }
        }
        let client = try OpenAIServerModel(modelID: "smollm2", apiBase: "http://127.0.0.1:\(port)/v1", apiKey: "none",
                                           retry: .none, environment: [:])
        let started = Counter()
        let prompts = (0..<16).map { [ChatMessage(role: .user, text: "Tell me about the number \($0).")] }
        let texts = try await withThrowingTaskGroup(of: (Int, String, TokenUsage?).self) { group in
            for (i, messages) in prompts.enumerated() {
                group.addTask {
                    var text = "", usage: TokenUsage?, counted = false
                    for try await delta in client.generateStream(messages, options: GenerateOptions(parameters: ["max_tokens": 24])) {
                        text += delta.content ?? ""
                        if let u = delta.tokenUsage { usage = u }
                        if !counted, !(delta.content ?? "").isEmpty {
                            counted = true
                            started.value.add(1, ordering: .relaxed)
                        }
                    }
                    return (i, text, usage)
                }
            }
            // SIGTERM once some answers are streaming and the others are still queued or running.
            while started.value.load(ordering: .relaxed) < 2 { try await Task.sleep(for: .milliseconds(20)) }
            kill(process.processIdentifier, SIGTERM)
            var out: [Int: (String, TokenUsage?)] = [:]
            for try await (i, text, usage) in group { out[i] = (text, usage) }
            return out
        }
        #expect(texts.count == 16)
        for (i, (text, usage)) in texts.sorted(by: { $0.key < $1.key }) {
            #expect(!text.isEmpty, "client \(i)")
            #expect((usage?.outputTokens ?? 0) > 0 && (usage?.outputTokens ?? 99) <= 24, "client \(i): \(String(describing: usage))")
        }
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { process.waitUntilExit(); continuation.resume() }
        }
        #expect(process.terminationStatus == 0)
        #expect(process.terminationReason == .exit)
    }
}
