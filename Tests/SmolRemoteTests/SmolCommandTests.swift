import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// Runs the built `smol` executable (it sits beside the test bundle) and captures its output.
enum SmolCommand {
    struct Outcome: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static var executable: URL {
        Bundle.module.bundleURL.deletingLastPathComponent().appendingPathComponent("smol")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Outcome {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        // A clean environment: no key from the machine may leak into the test.
        process.environment = ["PATH": "/usr/bin:/bin", "HOME": NSTemporaryDirectory()].merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        async let stdout = readToEnd(out.fileHandleForReading)
        async let stderr = readToEnd(err.fileHandleForReading)
        let (o, e) = await (stdout, stderr)
        await waitForExit(process)
        return Outcome(status: process.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                       stderr: String(decoding: e, as: UTF8.self))
    }

    /// Blocking reads run on a Dispatch thread: blocking the (2-thread) cooperative pool would starve
    /// the in-process test server the child is talking to.
    static func readToEnd(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }

    static func waitForExit(_ process: Process) async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
    }
}

@Suite("The smol command")
struct SmolCommandTests {
    static let completion: JSONValue = [
        "id": "c1", "object": "chat.completion", "model": "m",
        "choices": [["index": 0, "message": ["role": "assistant", "content": "Paris."], "finish_reason": "stop"]],
        "usage": ["prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11],
    ]

    static func streamResponse() -> TestResponse {
        .sse([
            #"{"choices":[{"index":0,"delta":{"role":"assistant","content":"Par"}}]}"#,
            #"{"choices":[{"index":0,"delta":{"content":"is."},"finish_reason":"stop"}]}"#,
            #"{"choices":[],"usage":{"prompt_tokens":9,"completion_tokens":2,"total_tokens":11}}"#,
            "[DONE]",
        ])
    }

    @Test("--version and --help start and exit 0")
    func versionAndHelp() async throws {
        let version = try await SmolCommand.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == SmolVersion.current)
        let help = try await SmolCommand.run(["generate", "--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--model-type"))
    }

    @Test("generate prints the answer, sends the flags as request parameters, and exits 0")
    func generatePrintsAnswer() async throws {
        try await withTestServer({ _ in .json(Self.completion) }) { server in
            let outcome = try await SmolCommand.run([
                "generate", "--api-base", server.baseURL + "/v1", "--api-key", "sk-cli-test", "--model-id", "m",
                "--param", "temperature=0", "--param", "max_tokens=5", "--param", "user=alice", "--stop", "END",
                "What is the capital of France?",
            ])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout == "Paris.\n")
            let body = try #require(server.requests.first?.json)
            #expect(body["temperature"] == 0)
            #expect(body["max_tokens"] == 5)
            #expect(body["user"] == "alice")
            #expect(body["stop"] == ["END"])
            // A prompt is sent as plain string content: every OpenAI-compatible server's chat template takes that.
            #expect(body["messages"] == [["role": "user", "content": "What is the capital of France?"]])
        }
    }

    @Test("generate --stream --json prints one JSON delta per line, then the final message")
    func streamJSON() async throws {
        try await withTestServer({ _ in Self.streamResponse() }) { server in
            let outcome = try await SmolCommand.run([
                "generate", "--api-base", server.baseURL + "/v1", "--api-key", "k", "--model-id", "m", "--stream", "--json", "hi",
            ])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            let lines = outcome.stdout.split(separator: "\n").map { try? JSONValue(parsing: String($0)) }
            #expect(lines.count >= 3)
            #expect(lines.allSatisfy { $0 != nil })
            let final = try #require(lines.last ?? nil)
            #expect(final["content"] == "Paris.")
            #expect(final["token_usage"]?["total_tokens"] == 11)
            #expect(final["raw"] == nil)
        }
    }

    @Test("generate --stream prints text as it arrives")
    func streamText() async throws {
        try await withTestServer({ _ in Self.streamResponse() }) { server in
            let outcome = try await SmolCommand.run([
                "generate", "--api-base", server.baseURL + "/v1", "--api-key", "k", "--model-id", "m", "--stream", "hi",
            ])
            #expect(outcome.status == 0)
            #expect(outcome.stdout == "Paris.\n")
        }
    }

    @Test("usage errors exit 2 with a message")
    func usageErrors() async throws {
        for arguments in [["generate"], ["generate", "--model-type", "Nope", "x"], ["generate", "--param", "novalue", "x"],
                          ["generate", "--tools", "/nonexistent.json", "--model-id", "m", "--api-key", "k", "x"]] {
            let outcome = try await SmolCommand.run(arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
            #expect(!outcome.stderr.isEmpty)
        }
    }

    @Test("a model error exits 1 with the provider's message on stderr and never the key")
    func modelErrorsExitOne() async throws {
        let echo: JSONValue = ["error": ["message": "Incorrect API key provided: sk-cli-secret-987654", "type": "invalid_request_error"]]
        try await withTestServer({ _ in .json(echo, status: 401) }) { server in
            let outcome = try await SmolCommand.run([
                "generate", "--api-base", server.baseURL + "/v1", "--api-key", "sk-cli-secret-987654", "--model-id", "m", "hi",
            ])
            #expect(outcome.status == 1)
            #expect(outcome.stderr.contains("HTTP 401"))
            #expect(!outcome.stderr.contains("sk-cli-secret-987654"))
            #expect(!outcome.stdout.contains("sk-cli-secret-987654"))
        }
        let missingKey = try await SmolCommand.run(["generate", "--model-id", "m", "hi"])
        #expect(missingKey.status == 1)
        #expect(missingKey.stderr.contains("OPENAI_API_KEY"))
    }

    @Test("generate --model-type AmazonBedrockServerModel signs a Converse request and prints the answer")
    func bedrockFromTheCommandLine() async throws {
        let converse: JSONValue = [
            "output": ["message": ["role": "assistant", "content": [["text": "Bonjour."]]]],
            "stopReason": "end_turn", "usage": ["inputTokens": 5, "outputTokens": 2, "totalTokens": 7],
        ]
        try await withTestServer({ _ in .json(converse) }) { server in
            let outcome = try await SmolCommand.run(
                ["generate", "--model-type", "AmazonBedrockServerModel", "--model-id", "us.anthropic.claude-3-5-haiku-20241022-v1:0",
                 "--region", "us-west-2", "--api-base", server.baseURL, "--param", "max_tokens=16", "Say hello in French"],
                environment: ["AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"])
            #expect(outcome.status == 0, "\(outcome.stderr)")
            #expect(outcome.stdout == "Bonjour.\n")
            let request = try #require(server.requests.first)
            #expect(request.path == "/model/us.anthropic.claude-3-5-haiku-20241022-v1%3A0/converse")
            #expect(request.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true)
            #expect(request.headers["authorization"]?.contains("/us-west-2/bedrock/aws4_request") == true)
            #expect(request.json?["inferenceConfig"]?["maxTokens"] == 16)
            #expect(!outcome.stderr.contains("wJalrXUtnFEMI"))
        }
    }

    @Test("chat keeps the conversation and streams each answer")
    func chatKeepsHistory() async throws {
        try await withTestServer({ request in request.json?["stream"] == true ? Self.streamResponse() : .json(Self.completion) }) { server in
            let process = Process()
            process.executableURL = SmolCommand.executable
            process.arguments = ["chat", "--api-base", server.baseURL + "/v1", "--api-key", "k", "--model-id", "m",
                                 "--system", "Be brief."]
            process.environment = ["PATH": "/usr/bin:/bin"]
            let input = Pipe(), output = Pipe()
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            try process.run()
            input.fileHandleForWriting.write(Data("First question\nSecond question\n/exit\n".utf8))
            try input.fileHandleForWriting.close()
            let text = String(decoding: await SmolCommand.readToEnd(output.fileHandleForReading), as: UTF8.self)
            await SmolCommand.waitForExit(process)
            #expect(process.terminationStatus == 0)
            #expect(text == "Paris.\nParis.\n")
            let second = try #require(server.requests.last?.json?["messages"]?.arrayValue)
            #expect(second.map { $0["role"]?.stringValue } == ["system", "user", "assistant", "user"])
        }
    }
}
