/// A message's content: a plain string, as API models return it, or a list of blocks, as agents build it.
///
/// smolagents keeps the two apart (`str` or `list[dict]`) and its JSON shows which one a message had,
/// so this type does too. Both literal forms work: `content: "Hi"` and `content: [.text("Hi")]`.
public enum MessageContent: Sendable, Hashable {
    /// A plain string.
    case text(String)
    /// A list of blocks.
    case parts([ContentPart])

    /// The content as blocks (a plain string is one text block).
    public var parts: [ContentPart] {
        switch self {
        case .text(let text): return [.text(text)]
        case .parts(let parts): return parts
        }
    }

    /// The text of the content: the string itself, or the text blocks joined with newlines.
    public var text: String {
        switch self {
        case .text(let text): return text
        case .parts(let parts): return parts.compactMap(\.text).joined(separator: "\n")
        }
    }

    /// Whether any block is an image.
    public var containsImages: Bool {
        parts.contains { if case .image = $0 { return true } else { return false } }
    }

    /// The content as smolagents stores it: a string, or a list of block objects.
    public var json: JSONValue {
        switch self {
        case .text(let text): return .string(text)
        case .parts(let parts): return .array(parts.map(\.json))
        }
    }

    /// Reads content from JSON: a string, or a list of blocks (see ``ContentPart/init(json:location:)``).
    public init(json: JSONValue, location: String = "content") throws(ModelError) {
        switch json {
        case .string(let text):
            self = .text(text)
        case .array(let blocks):
            var parts: [ContentPart] = []
            parts.reserveCapacity(blocks.count)
            for (index, block) in blocks.enumerated() {
                parts.append(try ContentPart(json: block, location: "\(location)[\(index)]"))
            }
            self = .parts(parts)
        default:
            throw .invalidInput(message: "content must be a string or a list of blocks, got \(json.typeName)",
                                location: location)
        }
    }
}

extension MessageContent: ExpressibleByStringLiteral, ExpressibleByArrayLiteral {
    public init(stringLiteral value: String) { self = .text(value) }
    public init(arrayLiteral elements: ContentPart...) { self = .parts(elements) }
}
