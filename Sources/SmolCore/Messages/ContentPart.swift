/// One block of a message's content.
public enum ContentPart: Sendable, Hashable {
    /// Text.
    case text(String)
    /// An image, inline or by URL.
    case image(ImageSource)
    /// Any other block, kept verbatim and sent as it is: a text block carrying extra keys
    /// (`cache_control`), audio, documents, provider-specific blocks.
    case other(JSONObject)
}

/// Where an image's bytes are.
public enum ImageSource: Sendable, Hashable {
    /// Base64-encoded bytes (standard alphabet, no line breaks) and their MIME type, e.g. `image/png`.
    case base64(data: String, mimeType: String)
    /// A URL the provider fetches itself (`https://…`).
    case url(String)

    /// Reads an image reference as smolagents' and OpenAI's blocks carry it: a `data:` URI, an
    /// `http(s)` URL, or bare base64 (whose MIME type is recognised from its first bytes, PNG if unknown).
    public init(reference: String) {
        if reference.hasPrefix("data:"), let comma = reference.firstIndex(of: ",") {
            let header = reference[reference.index(reference.startIndex, offsetBy: 5)..<comma]
            let mime = header.split(separator: ";").first.map(String.init) ?? ""
            self = .base64(data: String(reference[reference.index(after: comma)...]),
                           mimeType: mime.isEmpty ? "image/png" : mime)
        } else if reference.hasPrefix("http://") || reference.hasPrefix("https://") {
            self = .url(reference)
        } else {
            self = .base64(data: reference, mimeType: ImageSource.sniffMIMEType(base64: reference))
        }
    }

    /// The image as a URL: the URL itself, or a `data:<mime>;base64,<data>` URI.
    public var url: String {
        switch self {
        case .base64(let data, let mimeType): return "data:\(mimeType);base64,\(data)"
        case .url(let url): return url
        }
    }

    /// Recognises common image formats from the base64 text of their magic numbers.
    static func sniffMIMEType(base64: String) -> String {
        if base64.hasPrefix("iVBORw0KGgo") { return "image/png" }
        if base64.hasPrefix("/9j/") { return "image/jpeg" }
        if base64.hasPrefix("R0lGOD") { return "image/gif" }
        if base64.hasPrefix("UklGR") { return "image/webp" }
        return "image/png"
    }
}

extension ContentPart {
    /// The text of a text part.
    public var text: String? {
        if case .text(let text) = self { return text }
        return nil
    }

    /// The block as JSON: `{"type": "text", "text": …}`, `{"type": "image_url", "image_url": {"url": …}}`
    /// (a data URI for inline images), or the verbatim block.
    public var json: JSONValue {
        switch self {
        case .text(let text):
            return ["type": "text", "text": .string(text)]
        case .image(let source):
            return ["type": "image_url", "image_url": ["url": .string(source.url)]]
        case .other(let object):
            return .object(object)
        }
    }

    /// Reads a block in any of the shapes smolagents and OpenAI-style APIs use:
    /// `{"type": "text", "text"}`, `{"type": "image", "image": <base64 | data URI | URL>}`,
    /// `{"type": "image_url", "image_url": {"url"} | "<url>"}`; anything else is kept as ``other(_:)``.
    public init(json: JSONValue, location: String = "content") throws(ModelError) {
        guard case .object(let object) = json else {
            throw .invalidInput(message: "a content block must be an object, got \(json.typeName)", location: location)
        }
        switch object["type"]?.stringValue {
        case "text" where object.count == 2:
            guard case .string(let text)? = object["text"] else {
                throw .invalidInput(message: "a text block needs a string \"text\"", location: location)
            }
            self = .text(text)
        case "image":
            guard case .string(let reference)? = object["image"] else {
                throw .invalidInput(message: "an image block needs a string \"image\" (base64, data URI or URL)",
                                    location: location)
            }
            self = .image(ImageSource(reference: reference))
        case "image_url":
            let url = object["image_url"]?["url"]?.stringValue ?? object["image_url"]?.stringValue
            guard let url else {
                throw .invalidInput(message: "an image_url block needs \"image_url\": {\"url\": …}", location: location)
            }
            self = .image(ImageSource(reference: url))
        case nil:
            throw .invalidInput(message: "a content block needs a string \"type\"", location: location)
        default:
            self = .other(object)
        }
    }
}
