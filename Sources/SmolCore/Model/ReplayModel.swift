import Foundation
import Synchronization

/// Plays back a cassette written by ``RecordingModel``: a deterministic, offline model for tests.
///
/// A request is matched against the recorded requests as a JSON value (model id, messages without
/// `raw`, options). Identical requests recorded several times are answered in recorded order; once
/// they are used up the last answer is repeated. A request the cassette does not hold fails with
/// ``ModelError/unavailable(_:)`` with reason ``ModelUnavailable/Reason/notInCassette``, which shows the nearest recorded request and the
/// first place where it differs.
public struct ReplayModel: Model {
    private final class Cursor: Sendable {
        let used = Mutex<[String: Int]>([:])
    }

    public let modelID: String?
    private let entries: [CassetteEntry]
    private let byKey: [String: [Int]]
    private let cursor = Cursor()
    private let source: String

    /// Replays the cassette at `cassette`. `modelID` defaults to the one recorded first.
    public init(cassette: URL, modelID: String? = nil) throws(ModelError) {
        try self.init(entries: try CassetteEntry.load(from: cassette), modelID: modelID, source: cassette.lastPathComponent)
    }

    /// Replays these entries.
    public init(entries: [CassetteEntry], modelID: String? = nil, source: String = "cassette") throws(ModelError) {
        self.entries = entries
        self.source = source
        self.modelID = modelID ?? entries.first?.request["model_id"]?.stringValue
        var byKey: [String: [Int]] = [:]
        for (index, entry) in entries.enumerated() { byKey[Self.key(entry.request), default: []].append(index) }
        self.byKey = byKey
    }

    public func generate(_ messages: [ChatMessage], options: GenerateOptions) async throws -> ChatMessage {
        switch try answer(messages, options: options) {
        case .message(let message):
            return message
        case .stream(let deltas, let error):
            if let error { throw ModelError.stream(message: "recorded stream failed: \(error)") }
            return try agglomerateStreamDeltas(deltas)
        }
    }

    public func generateStream(_ messages: [ChatMessage], options: GenerateOptions)
        -> AsyncThrowingStream<ChatMessageStreamDelta, any Error>
    {
        let response: CassetteEntry.Response
        do {
            response = try answer(messages, options: options)
        } catch {
            return AsyncThrowingStream { $0.finish(throwing: error) }
        }
        return AsyncThrowingStream { continuation in
            switch response {
            case .message(let message):
                continuation.yield(message.asStreamDelta)
                continuation.finish()
            case .stream(let deltas, let error):
                for delta in deltas { continuation.yield(delta) }
                if let error {
                    continuation.finish(throwing: ModelError.stream(message: "recorded stream failed: \(error)"))
                } else {
                    continuation.finish()
                }
            }
        }
    }

    private func answer(_ messages: [ChatMessage], options: GenerateOptions) throws(ModelError) -> CassetteEntry.Response {
        let request = CassetteEntry.request(modelID: modelID, messages: messages, options: options)
        let key = Self.key(request)
        guard let indices = byKey[key] else { throw miss(request) }
        let index = cursor.used.withLock { used in
            let next = used[key, default: 0]
            used[key] = next + 1
            return indices[min(next, indices.count - 1)]
        }
        return entries[index].response
    }

    private static func key(_ request: JSONValue) -> String {
        JSONEmitter(sortKeys: true).string(from: request)
    }

    private func miss(_ request: JSONValue) -> ModelError {
        let message = "No recorded request in \(source) (\(entries.count) entries) matches this request."
        var best: (index: Int, differences: [JSONDifference])?
        for (index, entry) in entries.enumerated() {
            let differences = JSONDifference.between(entry.request, request, limit: best?.differences.count ?? 10_000)
            if best == nil || differences.count < best!.differences.count { best = (index, differences) }
        }
        func unavailable(_ nearest: String?) -> ModelError {
            .unavailable(ModelUnavailable(reason: .notInCassette, message: message, subject: source, detail: nearest,
                                          isRetryable: false))
        }
        guard let best, let first = best.differences.first else { return unavailable(nil) }
        let nearest = """
            Nearest recorded request: entry \(best.index + 1), which differs in \(best.differences.count) \
            place\(best.differences.count == 1 ? "" : "s"); first at \(first.path):
              recorded:  \(first.recorded.map { ModelError.excerpt($0.description, limit: 300) } ?? "(absent)")
              requested: \(first.requested.map { ModelError.excerpt($0.description, limit: 300) } ?? "(absent)")
            """
        return unavailable(nearest)
    }
}

/// A place where two JSON values differ.
struct JSONDifference: Sendable {
    var path: String
    var recorded: JSONValue?
    var requested: JSONValue?

    /// The differences between two values, depth first, stopping once `limit` are found.
    static func between(_ recorded: JSONValue, _ requested: JSONValue, limit: Int) -> [JSONDifference] {
        var found: [JSONDifference] = []
        collect(recorded, requested, path: "$", into: &found, limit: limit)
        return found
    }

    private static func collect(_ a: JSONValue?, _ b: JSONValue?, path: String, into found: inout [JSONDifference],
                                limit: Int) {
        guard found.count < limit, a != b else { return }
        switch (a, b) {
        case (.object(let x)?, .object(let y)?):
            for key in x.keys + y.keys.filter({ !x.contains($0) }) {
                collect(x[key], y[key], path: "\(path).\(key)", into: &found, limit: limit)
            }
        case (.array(let x)?, .array(let y)?):
            for index in 0..<max(x.count, y.count) {
                collect(index < x.count ? x[index] : nil, index < y.count ? y[index] : nil,
                        path: "\(path)[\(index)]", into: &found, limit: limit)
            }
        default:
            found.append(JSONDifference(path: path, recorded: a, requested: b))
        }
    }
}
