import Foundation
import SmolCore
@testable import SmolLocal
import Testing

@Suite("Finding a local model from its id")
struct ModelLocatorTests {
    /// A scratch folder removed when the test ends.
    private final class Scratch {
        let path = NSTemporaryDirectory() + "smol-locator-" + UUID().uuidString
        init() throws { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    @Test("a hub id resolves to the snapshot refs/main names in the Hugging Face cache layout")
    func hubCacheSnapshot() throws {
        let scratch = try Scratch()
        let repository = scratch.path + "/hub/models--HuggingFaceTB--Tiny-Llama"
        let fm = FileManager.default
        try fm.createDirectory(atPath: repository + "/refs", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: repository + "/snapshots", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: repository + "/snapshots/0000old", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: repository + "/snapshots/abc123", withDestinationPath: try FixturePaths.fixture("tiny-llama"))
        try "abc123\n".write(toFile: repository + "/refs/main", atomically: true, encoding: .utf8)

        for environment in [["HF_HOME": scratch.path], ["HF_HUB_CACHE": scratch.path + "/hub", "HF_HOME": "/nowhere"]] {
            let locator = ModelLocator(environment: environment)
            #expect(try locator.locate("HuggingFaceTB/Tiny-Llama") == repository + "/snapshots/abc123")
        }
        let model = try TransformersModel(modelID: "HuggingFaceTB/Tiny-Llama", environment: ["HF_HOME": scratch.path])
        #expect(model.checkpoint.model.config.architecture == .llama)
    }

    @Test("a name finds a .gguf in the project's model folder, with or without its quantization suffix")
    func localModelsFolder() throws {
        let scratch = try Scratch()
        let gguf = try FixturePaths.fixture("tiny-qwen2-gguf/model-f32.gguf")
        try FileManager.default.createSymbolicLink(atPath: scratch.path + "/Tiny-Qwen2.F32.gguf", withDestinationPath: gguf)
        let locator = ModelLocator(environment: ["SMOL_MODELS_DIR": scratch.path, "HF_HOME": scratch.path + "/none"])
        #expect(try locator.locate("Tiny-Qwen2") == scratch.path + "/Tiny-Qwen2.F32.gguf")
        #expect(try locator.locate("SomeOrg/Tiny-Qwen2") == scratch.path + "/Tiny-Qwen2.F32.gguf")
        #expect(try locator.locate("Tiny-Qwen2.F32.gguf") == scratch.path + "/Tiny-Qwen2.F32.gguf")
    }

    @Test("a model that is nowhere is an error listing every place searched")
    func notFound() throws {
        let scratch = try Scratch()
        let locator = ModelLocator(environment: ["SMOL_MODELS_DIR": scratch.path, "HF_HOME": scratch.path, "HF_HUB_OFFLINE": "1"])
        let failure = try #require(invalidInput { _ = try locator.locate("Org/Missing-Model") })
        #expect(failure.location == "modelID")
        #expect(failure.message.contains(scratch.path + "/hub/models--Org--Missing-Model"))
        #expect(failure.message.contains(scratch.path + "/Missing-Model*.gguf"))
        #expect(failure.message.contains("HF_HUB_OFFLINE"))
        #expect(throws: ModelError.self) { try locator.locate("  ") }
    }

    @Test("corrupt checkpoints are typed errors naming the file")
    func corruptCheckpoints() throws {
        let scratch = try Scratch()
        let truncated = scratch.path + "/broken.gguf"
        let bytes = try FixturePaths.data(FixturePaths.fixture("tiny-llama-gguf/model-f32.gguf"))
        try bytes.prefix(bytes.count / 3).write(to: URL(fileURLWithPath: truncated))
        let failure = try #require(invalidInput { _ = try TransformersModel(modelID: truncated) })
        #expect(failure.message.contains(truncated))
        let empty = scratch.path + "/empty-folder"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        #expect(throws: ModelError.self) { try TransformersModel(modelID: empty) }
    }
}

/// The message and location of the ``ModelError/invalidInput(message:location:)`` that `body` throws.
private func invalidInput(_ body: () throws -> Void) -> (message: String, location: String?)? {
    do {
        try body()
    } catch {
        if case ModelError.invalidInput(let message, let location) = error { return (message, location) }
        Issue.record("expected invalidInput, got \(error)")
    }
    return nil
}

@Suite("Tool calls written by local models")
struct GeneratedToolCallTests {
    @Test("Qwen/Hermes <tool_call> blocks become calls; the text around them stays content")
    func taggedCalls() {
        let text = """
        Let me check.
        <tool_call>
        {"name": "get_weather", "arguments": {"city": "Paris"}}
        </tool_call>
        <tool_call>
        {"name": "get_time", "arguments": "{\\"zone\\": \\"CET\\"}"}
        """
        let (content, calls) = GeneratedToolCalls.extract(from: text)
        #expect(content == "Let me check.")
        #expect(calls.map(\.function.name) == ["get_weather", "get_time"])
        #expect(calls[0].function.arguments == ["city": "Paris"])
        #expect(calls[1].function.arguments == ["zone": "CET"])
        #expect(Set(calls.map(\.id)).count == 2)
    }

    @Test("Llama 3 JSON calls with parameters, optionally after <|python_tag|>")
    func llamaCalls() {
        for text in [#"{"name": "search", "parameters": {"q": "swift"}}"#, #"<|python_tag|>{"name": "search", "parameters": {"q": "swift"}}"#] {
            let (content, calls) = GeneratedToolCalls.extract(from: text)
            #expect(content.isEmpty)
            #expect(calls.first?.function.name == "search")
            #expect(calls.first?.function.arguments == ["q": "swift"])
        }
    }

    @Test("plain answers and malformed blocks are left as content")
    func noCalls() {
        #expect(GeneratedToolCalls.extract(from: "The capital of France is Paris.").calls.isEmpty)
        #expect(GeneratedToolCalls.extract(from: #"{"answer": 42}"#).calls.isEmpty)
        let broken = "<tool_call>{not json}</tool_call> done"
        let (content, calls) = GeneratedToolCalls.extract(from: broken)
        #expect(calls.isEmpty)
        #expect(content == broken)
    }
}
