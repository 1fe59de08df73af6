/// Why a forward pass could not run.
public enum InferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Adding `adding` tokens at `position` would pass the session's context length.
    case contextOverflow(position: Int, adding: Int, contextLength: Int)
    /// A token id outside `0..<vocabSize`.
    case invalidToken(token: Int32, vocabSize: Int)
    /// `prefill` was given no tokens.
    case emptyInput
    /// A truncation to a length beyond what the cache holds.
    case invalidTruncation(length: Int, cached: Int)
    /// The session's buffers (mostly the KV cache) could not be allocated.
    case outOfMemory(bytes: Int)
    /// A ``DecodeBatch`` step was given sessions it cannot run together.
    case invalidBatch(reason: String)

    /// A one-line English description.
    public var description: String {
        switch self {
        case .contextOverflow(let position, let adding, let contextLength):
            return "context overflow: \(position) cached + \(adding) new tokens exceed the context length \(contextLength)"
        case .invalidToken(let token, let vocabSize):
            return "token id \(token) is outside the vocabulary (0..<\(vocabSize))"
        case .emptyInput:
            return "no tokens to process"
        case .invalidTruncation(let length, let cached):
            return "cannot truncate to \(length) tokens: only \(cached) are cached"
        case .outOfMemory(let bytes):
            return "cannot allocate \(bytes) bytes for the session (use a shorter context length)"
        case .invalidBatch(let reason):
            return "invalid decode batch: \(reason)"
        }
    }
}
