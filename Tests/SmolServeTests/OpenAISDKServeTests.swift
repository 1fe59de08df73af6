import Foundation
import SmolCore
import SmolLocal
import Testing

@testable import SmolServe

/// The real SmolLM2 GGUF that the test command fetches.
private func smolLM2Path() throws -> String {
    let environment = ProcessInfo.processInfo.environment
    let folder = environment["SMOL_TEST_MODELS_DIR"]
        ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/swift-smolagents/models"
    let path = folder + "/SmolLM2-135M-Instruct.Q4_1.gguf"
    guard FileManager.default.fileExists(atPath: path) else {
        throw ModelError.unsupported(message: "missing \(path): run `bash scripts/test.sh` (it fetches the model)")
    }
    return path
}

/// Runs a Python oracle script with a venv's interpreter and returns its JSON output.
private func runPython(venv: String, _ arguments: [String]) async throws -> JSONValue {
    let cache = ProcessInfo.processInfo.environment["SMOL_CACHE"]
        ?? FileManager.default.homeDirectoryForCurrentUser.path + "/.cache/swift-smolagents"
    let python = cache + "/\(venv)/bin/python"
    guard FileManager.default.isExecutableFile(atPath: python) else {
        throw ModelError.unsupported(message: "no oracle venv at \(python): run `bash scripts/oracles/setup.sh`")
    }
    let process = Process(), output = Pipe(), errors = Pipe()
    (process.executableURL, process.arguments) = (URL(fileURLWithPath: python), arguments)
    (process.standardOutput, process.standardError) = (output, errors)
    try process.run()
    // Blocking reads and the wait run on Dispatch threads, never on the cooperative pool.
    func read(_ handle: FileHandle) async -> Data {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
        }
    }
    async let out = read(output.fileHandleForReading)
    async let err = read(errors.fileHandleForReading)
    let (data, problems) = await (out, err)
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { process.waitUntilExit(); continuation.resume() }
    }
    guard process.terminationStatus == 0 else {
        throw ModelError.unsupported(message: "\(arguments.first ?? "") failed: " + String(decoding: problems, as: UTF8.self))
    }
    return try JSONValue(parsing: [UInt8](data))
}

private let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("scripts/oracles").path

@Suite("smol serve with the official openai SDK as the client, SmolLM2 behind it")
struct OpenAISDKServeTests {
    @Test("plain, streamed with usage, tools (whole and streamed), json_schema, 401, 404 and 400 as the SDK sees them")
    func officialClient() async throws {
        let model = try TransformersModel(modelID: try smolLM2Path(), maxNewTokens: 64)
        let direct = try await model.generate([ChatMessage(role: .user, text: "What is the capital of France?")],
                                              options: GenerateOptions(parameters: ["max_tokens": 16]))
        let server = ModelServer(models: [("smollm2", model)], configuration: ServeConfiguration(port: 0, apiKey: Secret("k3y")),
                                 logger: quietLogger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let seen = try await runPython(venv: "venv-sdk", [scripts + "/serve_openai_client.py", "http://127.0.0.1:\(port)/v1", "k3y", "smollm2"])

        #expect(seen["plain"]?["content"]?.stringValue == direct.text, "\(seen["plain"] ?? .null)")
        #expect(seen["plain"]?["finish_reason"] == "stop")
        #expect(seen["plain"]?["object"] == "chat.completion")
        #expect(seen["plain"]?["usage"]?["completion_tokens"]?.intValue == direct.tokenUsage?.outputTokens)
        #expect(seen["streamed"]?["content"]?.stringValue == direct.text)
        #expect(seen["streamed"]?["finish_reasons"] == ["stop"])
        #expect(seen["streamed"]?["usage"]?["prompt_tokens"]?.intValue == direct.tokenUsage?.inputTokens)
        for name in ["tools", "tools_streamed"] {
            #expect(seen[name]?["finish_reason"] == "tool_calls", "\(seen[name] ?? .null)")
            #expect(seen[name]?["calls"]?[0]?["name"] == "get_weather", "\(seen[name] ?? .null)")
            #expect(seen[name]?["calls"]?[0]?["arguments"]?["city"]?.stringValue?.isEmpty == false)
        }
        let document = try #require(seen["schema"]?["content"]?.stringValue)
        let verdict = try await runPython(venv: "venv-schema", ["-c", """
            import json, sys, jsonschema
            jsonschema.validate(json.loads(sys.argv[1]), json.loads(sys.argv[2])); print('{"valid": true}')
            """, document, JSONEmitter().string(from: seen["schema"]?["schema"] ?? .null)])
        #expect(verdict["valid"] == true)
        #expect(seen["no_key"]?["status"] == 401 && seen["no_key"]?["error"] == "AuthenticationError")
        #expect(seen["unknown_model"]?["status"] == 404 && seen["unknown_model"]?["error"] == "NotFoundError")
        #expect(seen["bad_body"]?["status"] == 400 && seen["bad_body"]?["error"] == "BadRequestError")
        #expect(seen["models"] == ["smollm2"])
    }

    @Test("the official anthropic SDK against /v1/messages: plain, streamed (event order), tool use whole and streamed, 401, 404")
    func anthropicClient() async throws {
        let model = try TransformersModel(modelID: try smolLM2Path(), maxNewTokens: 64)
        let direct = try await model.generate([ChatMessage(role: .system, text: "Be brief."),
                                               ChatMessage(role: .user, text: "What is the capital of France?")],
                                              options: GenerateOptions(parameters: ["max_tokens": 16]))
        let server = ModelServer(models: [("smollm2", model)], configuration: ServeConfiguration(port: 0, apiKey: Secret("k3y")),
                                 logger: quietLogger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let task = Task { try await server.run { continuation.yield($0) } }
        defer { task.cancel() }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let seen = try await runPython(venv: "venv-sdk", [scripts + "/serve_anthropic_client.py", "http://127.0.0.1:\(port)", "k3y", "smollm2"])
        #expect(seen["plain"]?["text"]?.stringValue == direct.text, "\(seen["plain"] ?? .null)")
        #expect(seen["plain"]?["type"] == "message")
        #expect(seen["plain"]?["usage"]?["output_tokens"]?.intValue == direct.tokenUsage?.outputTokens)
        #expect(["end_turn", "max_tokens"].contains(seen["plain"]?["stop_reason"]?.stringValue ?? ""))
        #expect(seen["streamed"]?["text"]?.stringValue == direct.text, "\(seen["streamed"] ?? .null)")
        #expect(seen["streamed"]?["first"] == "message_start" && seen["streamed"]?["last"] == "message_stop")
        for name in ["tools", "tools_streamed"] {
            #expect(seen[name]?["stop_reason"] == "tool_use", "\(seen[name] ?? .null)")
            #expect(seen[name]?["calls"]?[0]?["name"] == "get_weather", "\(seen[name] ?? .null)")
            #expect(seen[name]?["calls"]?[0]?["input"]?["city"]?.stringValue?.isEmpty == false)
        }
        #expect(seen["no_key"]?["status"] == 401 && seen["no_key"]?["error"] == "AuthenticationError")
        #expect(seen["unknown_model"]?["status"] == 404 && seen["unknown_model"]?["error"] == "NotFoundError")
    }
}
