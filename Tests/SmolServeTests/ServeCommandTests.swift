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
        let (process, port) = try await startServe(["--model-type", "TransformersModel", "--model-id", path,
                                                    "--served-model-name", "smollm2"])
        defer { if process.isRunning { process.terminate() } }
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

/// Starts `smol serve ARGUMENTS` and returns the process and the port it printed.
private func startServe(_ arguments: [String]) async throws -> (Process, Int) {
    let process = Process(), errors = Pipe()
    process.executableURL = smolExecutable
    process.arguments = ["serve", "--port", "0"] + arguments
    process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()]
    process.standardError = errors
    process.standardOutput = FileHandle.nullDevice
    try process.run()
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
    return (process, port)
}

@Suite("smol serve --model-list: a gateway in front of other servers")
struct ServeGatewayTests {
    @Test("the request's model picks the group; an upstream 429 stays 429 with Retry-After, a 5xx is a 502; no key leaks")
    func gateway() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: smolExecutable.path), "build the smol product first")
        try await withServer { upstream in
            let base = "http://127.0.0.1:\(upstream)/v1"
            let list: JSONValue = [
                "model_list": [
                    ["model_name": "fast", "litellm_params": ["model": "openai/echo", "api_base": .string(base), "api_key": "up-s3cret"]],
                    ["model_name": "limited", "litellm_params": ["model": "openai/limited", "api_base": .string(base), "api_key": "up-s3cret"]],
                    ["model_name": "broken", "litellm_params": ["model": "openai/broken", "api_base": .string(base), "api_key": "up-s3cret"]],
                ],
                "router_settings": ["num_retries": 0],
            ]
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("model-list-\(UUID().uuidString).json")
            try Data(JSONEmitter().string(from: list).utf8).write(to: file)
            let (process, port) = try await startServe(["--model-list", file.path])
            defer { process.terminate() }
            let models = try await send(port, "/v1/models", method: "GET")
            #expect(models.2["data"]?.arrayValue?.compactMap { $0["id"]?.stringValue } == ["fast", "limited", "broken"])
            let fast = try await send(port, "/v1/chat/completions", body: #"{"model": "fast", "messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(fast.0 == 200)
            #expect(fast.2["choices"]?[0]?["message"]?["content"] == "echo: hi")
            let limited = try await send(port, "/v1/chat/completions", body: #"{"model": "limited", "messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(limited.0 == 429, "\(limited.2)")
            #expect(limited.1["retry-after"] == "7")
            let broken = try await send(port, "/v1/chat/completions", body: #"{"model": "broken", "messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(broken.0 == 502, "\(broken.2)")
            for answer in [fast, limited, broken] { #expect(!"\(answer.1)\(answer.2)".contains("up-s3cret")) }
            let unknown = try await send(port, "/v1/chat/completions", body: #"{"model": "nope", "messages": [{"role": "user", "content": "hi"}]}"#)
            #expect(unknown.0 == 404)
        }
    }
}

/// Gateway mode in front of the real llama.cpp server the test command starts. Run on its own (scripts/test.sh's
/// last phase): llama-cpp-python answers one request at a time, and under concurrent load from other suites it
/// has returned empty streams.
@Suite("smol serve --model-list in front of the llama.cpp server")
struct ServeGatewayLlamaCppTests {
    /// The llama.cpp server the test command starts (`scripts/oracles/servers.sh`), from its servers.env.
    static func llamaBase() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["SMOL_CACHE"] ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/swift-smolagents"
        let state = environment["SMOL_STATE"] ?? cache + "/run"
        guard let data = FileManager.default.contents(atPath: state + "/servers.env") else {
            throw ModelError.unsupported(message: "the real test servers are not running: run `bash scripts/test.sh` or `bash scripts/oracles/servers.sh start`")
        }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix("SMOL_LLAMA_BASE=") {
            return String(line.dropFirst("SMOL_LLAMA_BASE=".count)).trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
        }
        return "http://127.0.0.1:18081/v1"
    }

    @Test("in front of the real llama.cpp server, the gateway answers what the server answers directly")
    func gatewayInFrontOfLlamaCpp() async throws {
        try #require(FileManager.default.isExecutableFile(atPath: smolExecutable.path), "build the smol product first")
        let base = try Self.llamaBase()
        let question = [ChatMessage(role: .user, text: "What is the capital of France?")]
        let options = GenerateOptions(parameters: ["max_tokens": 16, "temperature": 0])
        let upstream = try OpenAIServerModel(modelID: "smollm2", apiBase: base, apiKey: "none", retry: .none, environment: [:])
        // llama-cpp-python reuses its cached prompt from the second identical request on, and a run from a
        // cold cache can differ numerically at a near-tie: warm it first so every answer below is comparable.
        _ = try await upstream.generate(question, options: options)
        let direct = try await upstream.generate(question, options: options)
        let list: JSONValue = ["model_list": [["model_name": "local", "litellm_params": ["model": "openai/smollm2", "api_base": .string(base), "api_key": "none"]]]]
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("model-list-\(UUID().uuidString).json")
        try Data(JSONEmitter().string(from: list).utf8).write(to: file)
        let (process, port) = try await startServe(["--model-list", file.path])
        defer { process.terminate() }
        let through = try await OpenAIServerModel(modelID: "local", apiBase: "http://127.0.0.1:\(port)/v1", apiKey: "none",
                                                  retry: .none, environment: [:]).generate(question, options: options)
        #expect(through.text == direct.text)
        #expect(through.tokenUsage == direct.tokenUsage)
        var streamed = ""
        for try await delta in try OpenAIServerModel(modelID: "local", apiBase: "http://127.0.0.1:\(port)/v1", apiKey: "none",
                                                     retry: .none, environment: [:]).generateStream(question, options: options) {
            streamed += delta.content ?? ""
        }
        #expect(streamed == direct.text)
    }
}
