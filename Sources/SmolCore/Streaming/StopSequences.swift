/// smolagents' `remove_content_after_stop_sequences`: `content.split(stop)[0]` for each stop in order.
///
/// The net effect is truncation at the earliest stop, except that when two stops overlap the one
/// listed first is cut first (as in Python). `nil` content or no stops return the content unchanged;
/// an empty stop is ignored (Python raises `ValueError("empty separator")`). Matching is on code
/// points, as in Python, not on Swift's grapheme clusters.
public func removeContentAfterStopSequences(_ content: String?, stopSequences: [String]?) -> String? {
    guard let content, let stopSequences, !stopSequences.isEmpty else { return content }
    var bytes = Array(content.utf8)
    var changed = false
    for stop in stopSequences where !stop.isEmpty {
        if let index = UTF8Search.firstIndex(of: Array(stop.utf8), in: bytes) {
            bytes.removeSubrange(index...)
            changed = true
        }
    }
    return changed ? String(decoding: bytes, as: UTF8.self) : content
}

/// Truncates `text` where the earliest-starting stop sequence begins: the whole-text answer that
/// ``StopSequenceMatcher`` gives for any chunking of `text`.
public func truncateAtEarliestStop(_ text: String, stopSequences: [String]) -> String {
    var matcher = StopSequenceMatcher(stopSequences: stopSequences)
    return matcher.process(text) + matcher.finish()
}

/// An incremental stop-sequence filter for streamed text.
///
/// Feed chunks to ``process(_:)`` as they arrive and show what it returns: text that might be the
/// beginning of a stop sequence is held back until the next chunks settle it, and once a stop sequence
/// is complete the text is cut where it begins and ``isStopped`` becomes true. So a stream never shows
/// any part of a stop sequence (smolagents' streams do), and for every way of splitting a text into
/// chunks the concatenated output is the same: the text truncated at the earliest-starting stop.
///
/// Matching is on UTF-8 bytes, i.e. on code points as in Python; chunks are whole `String`s, so output
/// is always valid text.
public struct StopSequenceMatcher: Sendable {
    private let stops: [[UInt8]]
    private let longest: Int
    private var buffer: [UInt8] = []

    /// Whether a stop sequence has been found; later chunks are ignored.
    public private(set) var isStopped = false

    /// A matcher for these stop sequences (empty ones are ignored).
    public init(stopSequences: [String]) {
        stops = stopSequences.filter { !$0.isEmpty }.map { Array($0.utf8) }
        longest = stops.map(\.count).max() ?? 0
    }

    /// The text held back so far because it may start a stop sequence.
    public var heldBack: String { String(decoding: buffer, as: UTF8.self) }

    /// Adds a chunk and returns the text that is now safe to show (possibly empty).
    public mutating func process(_ chunk: String) -> String {
        guard !isStopped else { return "" }
        guard !stops.isEmpty else { return chunk }
        buffer.append(contentsOf: chunk.utf8)
        let complete = earliestCompleteStop()
        let open = earliestOpenPrefix()
        if let complete, open.map({ $0 >= complete }) ?? true {
            isStopped = true
            return take(upTo: complete, discardRest: true)
        }
        return take(upTo: open ?? buffer.count, discardRest: false)
    }

    /// Ends the stream: returns the held-back text, cut at a stop sequence if one is complete.
    public mutating func finish() -> String {
        guard !isStopped else { return "" }
        isStopped = true
        return take(upTo: earliestCompleteStop() ?? buffer.count, discardRest: true)
    }

    private mutating func take(upTo end: Int, discardRest: Bool) -> String {
        let text = String(decoding: buffer[..<end], as: UTF8.self)
        if discardRest { buffer.removeAll() } else { buffer.removeSubrange(..<end) }
        return text
    }

    /// Where the earliest complete stop sequence in the buffer starts.
    private func earliestCompleteStop() -> Int? {
        var earliest: Int?
        for stop in stops {
            if let index = UTF8Search.firstIndex(of: stop, in: buffer), index < (earliest ?? .max) { earliest = index }
        }
        return earliest
    }

    /// Where the earliest suffix of the buffer that could still grow into a stop sequence starts.
    private func earliestOpenPrefix() -> Int? {
        let start = max(0, buffer.count - longest + 1)
        for position in start..<buffer.count {
            for stop in stops where UTF8Search.isProperPrefix(of: stop, haystack: buffer, from: position) {
                return position
            }
        }
        return nil
    }
}

extension AsyncThrowingStream where Element == ChatMessageStreamDelta, Failure == any Error {
    /// This stream with its text cut at the earliest stop sequence, never showing any of it.
    ///
    /// Content is filtered through a ``StopSequenceMatcher``; tool-call fragments and usage pass through.
    /// When a stop sequence completes, the text before it is delivered and the stream ends, releasing
    /// (and so cancelling) the upstream stream. The filter runs in the consumer's own `next()` calls, so
    /// it adds no task hand-off; cancelling the consumer cancels the upstream read.
    public func stoppingAt(_ stopSequences: [String]?) -> AsyncThrowingStream<ChatMessageStreamDelta, any Error> {
        guard let stopSequences, stopSequences.contains(where: { !$0.isEmpty }) else { return self }
        let filter = StopFilter(upstream: makeAsyncIterator(), matcher: StopSequenceMatcher(stopSequences: stopSequences))
        return AsyncThrowingStream(unfolding: { try await filter.next() })
    }
}

/// The state behind ``AsyncThrowingStream/stoppingAt(_:)``.
///
/// `@unchecked Sendable` is sound: one instance serves one `AsyncThrowingStream(unfolding:)`, whose
/// closure is called by a single consumer one call at a time, so the iterator and matcher are never
/// used by two tasks at once.
private final class StopFilter: @unchecked Sendable {
    private var upstream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>.AsyncIterator?
    private var matcher: StopSequenceMatcher

    init(upstream: AsyncThrowingStream<ChatMessageStreamDelta, any Error>.AsyncIterator, matcher: StopSequenceMatcher) {
        self.upstream = upstream
        self.matcher = matcher
    }

    func next() async throws -> ChatMessageStreamDelta? {
        while var iterator = upstream {
            let delta: ChatMessageStreamDelta?
            do {
                delta = try await iterator.next()
                upstream = iterator
            } catch {
                // Keep the partial text: release what was held back, then report the failure.
                upstream = nil
                let rest = matcher.finish()
                if !rest.isEmpty {
                    pendingError = error
                    return ChatMessageStreamDelta(content: rest)
                }
                throw error
            }
            guard var delta else {
                upstream = nil
                let rest = matcher.finish()
                return rest.isEmpty ? nil : ChatMessageStreamDelta(content: rest)
            }
            if let content = delta.content {
                let shown = matcher.process(content)
                delta.content = shown.isEmpty ? nil : shown
            }
            if matcher.isStopped { upstream = nil }
            if delta.content != nil || delta.toolCalls != nil || delta.tokenUsage != nil || delta.reasoningContent != nil
                || delta.finishReason != nil
            {
                return delta
            }
        }
        if let error = pendingError {
            pendingError = nil
            throw error
        }
        return nil
    }

    private var pendingError: (any Error)?
}
