import Foundation

/// One recorded call: the request a model received and what it answered.
///
/// A cassette is a JSON-lines file of these, one per line:
/// `{"request": {"model_id", "messages", "options"}, "response": <message dict>}` for `generate`, or
/// `{"request": …, "deltas": [<delta>…], "error": <message or null>}` for `generateStream`.
public struct CassetteEntry: Sendable, Hashable {
    /// What was recorded as the answer.
    public enum Response: Sendable, Hashable {
        /// The message `generate` returned.
        case message(ChatMessage)
        /// The deltas a stream delivered, and the error that ended it early, if one did.
        case stream(deltas: [ChatMessageStreamDelta], error: String?)
    }

    /// The request: `{"model_id", "messages", "options"}`.
    public var request: JSONValue
    /// The answer.
    public var response: Response

    /// Creates an entry.
    public init(request: JSONValue, response: Response) {
        self.request = request
        self.response = response
    }

    /// The request key for a call: messages in smolagents' dict form without `raw`.
    public static func request(modelID: String?, messages: [ChatMessage], options: GenerateOptions) -> JSONValue {
        [
            "model_id": modelID.map(JSONValue.string) ?? .null,
            "messages": .array(messages.map { $0.json(includingRaw: false) }),
            "options": options.json,
        ]
    }

    /// The entry as one cassette line's JSON.
    public var json: JSONValue {
        switch response {
        case .message(let message):
            return ["request": request, "response": message.json]
        case .stream(let deltas, let error):
            return ["request": request, "deltas": .array(deltas.map(\.json)), "error": error.map(JSONValue.string) ?? .null]
        }
    }

    /// Reads an entry from one cassette line's JSON.
    public init(json: JSONValue, location: String) throws(ModelError) {
        guard let request = json["request"] else {
            throw .invalidInput(message: "a cassette entry needs a \"request\"", location: location)
        }
        self.request = request
        if let message = json["response"] {
            response = .message(try ChatMessage(json: message, location: "\(location).response"))
        } else if case .array(let items)? = json["deltas"] {
            var deltas: [ChatMessageStreamDelta] = []
            for (index, item) in items.enumerated() {
                deltas.append(try ChatMessageStreamDelta(json: item, location: "\(location).deltas[\(index)]"))
            }
            response = .stream(deltas: deltas, error: json["error"]?.stringValue)
        } else {
            throw .invalidInput(message: "a cassette entry needs a \"response\" or \"deltas\"", location: location)
        }
    }

    /// Reads every entry of a cassette file; a malformed line is an error naming its line number.
    public static func load(from url: URL) throws(ModelError) -> [CassetteEntry] {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .invalidInput(message: "cannot read the cassette: \(error.localizedDescription)", location: url.path)
        }
        var entries: [CassetteEntry] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            let location = "\(url.lastPathComponent):\(number + 1)"
            guard line.contains(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\r") }) else { continue }
            let value: JSONValue
            do {
                value = try JSONValue(parsing: line)
            } catch {
                throw .invalidInput(message: "not valid JSON: \(error)", location: location)
            }
            entries.append(try CassetteEntry(json: value, location: location))
        }
        return entries
    }
}

/// Appends cassette lines; one writer per file keeps concurrent recordings from interleaving.
actor CassetteWriter {
    private let url: URL
    private var handle: FileHandle?

    init(url: URL, truncate: Bool) throws(ModelError) {
        self.url = url
        let manager = FileManager.default
        if truncate || !manager.fileExists(atPath: url.path) {
            guard manager.createFile(atPath: url.path, contents: nil) else {
                throw .invalidInput(message: "cannot create the cassette file", location: url.path)
            }
        }
    }

    func append(_ entry: CassetteEntry) throws {
        if handle == nil {
            let opened = try FileHandle(forWritingTo: url)
            try opened.seekToEnd()
            handle = opened
        }
        var line = JSONEmitter().bytes(from: entry.json)
        line.append(UInt8(ascii: "\n"))
        try handle?.write(contentsOf: line)
    }

    deinit { try? handle?.close() }
}
