import Foundation
import SmolCore
@testable import SmolLocal
import Testing

/// Drives a ``JSONRecognizer`` over bytes, for the grammar tests.
struct RecognizerHarness {
    let grammar: JSONGrammar
    let recognizer: JSONRecognizer

    init(_ grammar: JSONGrammar) {
        self.grammar = grammar
        recognizer = JSONRecognizer(grammar: grammar)
    }

    init(schema json: String) throws {
        self.init(try StructuredOutput.schemaGrammar(try JSONValue(parsing: json), path: "schema"))
    }

    /// A fresh stack holding the start state.
    func start() -> [GrammarFrame] {
        var frames = [GrammarFrame](repeating: GrammarFrame(node: 0), count: grammar.maxDepth + 1)
        let depth = frames.withUnsafeMutableBufferPointer { recognizer.start($0.baseAddress!) }
        return Array(frames[..<depth])
    }

    /// The stack after `byte`, or nil when it is rejected.
    func step(_ stack: [GrammarFrame], _ byte: UInt8) -> [GrammarFrame]? {
        var frames = stack + [GrammarFrame](repeating: GrammarFrame(node: 0), count: grammar.maxDepth + 1 - stack.count)
        var depth = stack.count
        let ok = frames.withUnsafeMutableBufferPointer { recognizer.step($0.baseAddress!, &depth, byte) }
        return ok ? Array(frames[..<depth]) : nil
    }

    func canEnd(_ stack: [GrammarFrame]) -> Bool {
        stack.withUnsafeBufferPointer { recognizer.canEnd($0.baseAddress!, stack.count) }
    }

    /// Whether `text` is a whole document of the grammar.
    func accepts(_ text: String) -> Bool {
        guard let stack = prefixState(text) else { return false }
        return canEnd(stack)
    }

    /// The state after `text`, or nil when some byte of it is rejected.
    func prefixState(_ text: String) -> [GrammarFrame]? {
        var stack = start()
        for byte in text.utf8 {
            guard let next = step(stack, byte) else { return nil }
            stack = next
        }
        return stack
    }
}

/// Runs `scripts/oracles/validate_structured.py` with the schema venv's Python on `cases`; returns the
/// number of documents checked and the failures it reports.
func validateWithJSONSchema(_ cases: [JSONValue]) throws -> (checked: Int, failures: [JSONValue]) {
    let cache = ProcessInfo.processInfo.environment["SMOL_CACHE"] ?? (NSHomeDirectory() + "/.cache/swift-smolagents")
    let python = cache + "/venv-schema/bin/python"
    try #require(FileManager.default.isExecutableFile(atPath: python),
                 "jsonschema is not installed: run `bash scripts/oracles/setup.sh schema` (scripts/test.sh does)")
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("scripts/oracles/validate_structured.py")
    let input = FileManager.default.temporaryDirectory.appendingPathComponent("structured-\(UUID().uuidString).json")
    try Data(JSONEmitter().bytes(from: .array(cases))).write(to: input)
    defer { try? FileManager.default.removeItem(at: input) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script.path, input.path]
    let output = Pipe(), errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "validate_structured.py failed: \(errorText)")
    let report = try JSONValue(parsing: [UInt8](data))
    return (report["checked"]?.intValue ?? -1, report["failures"]?.arrayValue ?? [])
}
