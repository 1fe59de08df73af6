import Foundation
import Testing

@testable import SmolLocal

/// The `tokenizer.ggml.*` metadata of the real SmolLM2 GGUF as a ``GGUFVocabulary``, read with the
/// package's own GGUF reader; fails with a clear message when the model file is missing.
func smolLM2Vocabulary() throws -> GGUFVocabulary {
    let path = try FixturePaths.smolLM2GGUF()
    return try GGUFVocabulary(metadata: GGUFFile(path: path).metadata)
}
