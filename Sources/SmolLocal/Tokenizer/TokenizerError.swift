/// Why a tokenizer could not be built or could not handle an input.
///
/// Load errors name the place in the source (a JSON path such as `model.merges[12]`, or a GGUF key such as
/// `tokenizer.ggml.merges[12]`) so that a broken or unsupported file can be fixed without a debugger.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is not valid JSON; `message` comes from the JSON parser and includes line and column.
    case invalidJSON(file: String, message: String)
    /// A required field is absent.
    case missingField(path: String)
    /// A field has the wrong JSON type or an impossible value.
    case invalidField(path: String, reason: String)
    /// The file asks for a component (normalizer, pre-tokenizer, model, decoder, regex) this implementation
    /// does not provide. Tokenizing anyway would silently give ids the model was never trained on.
    case unsupported(path: String, value: String)
    /// A merge names a token that is not in the vocabulary, or whose concatenation is not in it.
    case invalidMerge(path: String, merge: String)
    /// A token id outside `0..<vocabularySize`.
    case idOutOfRange(id: Int32, vocabularySize: Int)
    /// A tokenizer file could not be read.
    case unreadableFile(path: String, reason: String)

    /// A readable explanation, naming the place in the input.
    public var description: String {
        switch self {
        case .invalidJSON(let file, let message):
            return "tokenizer file \(file) is not valid JSON: \(message)"
        case .missingField(let path):
            return "tokenizer field \(path) is missing"
        case .invalidField(let path, let reason):
            return "tokenizer field \(path) is invalid: \(reason)"
        case .unsupported(let path, let value):
            return "tokenizer field \(path) = \(value) is not supported"
        case .invalidMerge(let path, let merge):
            return "tokenizer merge \(path) (\(merge)) refers to tokens not in the vocabulary"
        case .idOutOfRange(let id, let size):
            return "token id \(id) is outside the vocabulary (size \(size))"
        case .unreadableFile(let path, let reason):
            return "cannot read tokenizer file \(path): \(reason)"
        }
    }
}
