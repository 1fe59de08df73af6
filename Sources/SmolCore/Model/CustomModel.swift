/// A model backed by your own async closure: smolagents' "any callable" model.
///
/// ```swift
/// let model = CustomModel(modelID: "echo") { messages, stopSequences in
///     ChatMessage(role: .assistant, content: .text("You said: \(messages.last?.text ?? "")"))
/// }
/// ```
/// If the closure's answer runs past a stop sequence, the text from the stop on is removed
/// (a text block holding a stop is cut and the blocks after it dropped), so the model honours stop
/// sequences whatever the closure does.
public struct CustomModel: Model {
    /// The closure's signature: messages and stop sequences in, the answer out.
    public typealias Generate = @Sendable (_ messages: [ChatMessage], _ stopSequences: [String]?) async throws
        -> ChatMessage
    /// The full signature, for closures that also want tools, response format and parameters.
    public typealias GenerateWithOptions = @Sendable (_ messages: [ChatMessage], _ options: GenerateOptions)
        async throws -> ChatMessage

    public let modelID: String?
    public let toolNameKey: String
    public let toolArgumentsKey: String
    private let body: GenerateWithOptions

    /// A model that calls `generate` with the messages and stop sequences.
    public init(modelID: String? = nil, toolNameKey: String = "name", toolArgumentsKey: String = "arguments",
                _ generate: @escaping Generate) {
        self.init(modelID: modelID, toolNameKey: toolNameKey, toolArgumentsKey: toolArgumentsKey,
                  body: { messages, options in try await generate(messages, options.stopSequences) })
    }

    private init(modelID: String?, toolNameKey: String, toolArgumentsKey: String, body: @escaping GenerateWithOptions) {
        self.modelID = modelID
        self.toolNameKey = toolNameKey
        self.toolArgumentsKey = toolArgumentsKey
        self.body = body
    }

    /// A model whose closure receives all the options: tools, tool choice, response format, parameters.
    public static func withOptions(
        modelID: String? = nil, toolNameKey: String = "name", toolArgumentsKey: String = "arguments",
        _ generate: @escaping GenerateWithOptions
    ) -> CustomModel {
        CustomModel(modelID: modelID, toolNameKey: toolNameKey, toolArgumentsKey: toolArgumentsKey, body: generate)
    }

    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        var message = try await body(messages, options)
        if let stops = options.stopSequences, !stops.isEmpty {
            message.content = message.content.map { trimmed($0, at: stops) }
        }
        return message
    }

    private func trimmed(_ content: MessageContent, at stops: [String]) -> MessageContent {
        switch content {
        case .text(let text):
            return .text(removeContentAfterStopSequences(text, stopSequences: stops) ?? text)
        case .parts(let parts):
            var kept: [ContentPart] = []
            for part in parts {
                guard case .text(let text) = part else {
                    kept.append(part)
                    continue
                }
                let cut = removeContentAfterStopSequences(text, stopSequences: stops) ?? text
                kept.append(.text(cut))
                if cut != text { break }
            }
            return .parts(kept)
        }
    }
}
