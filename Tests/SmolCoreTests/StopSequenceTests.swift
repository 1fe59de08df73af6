import SmolTestSupport
import Testing

@testable import SmolCore

/// A seeded generator, so every property run is reproducible.
typealias SplitMix = SplitMix64

/// The whole-text reference, written independently of the matcher: cut where the earliest stop starts.
private func earliestStopReference(_ text: String, _ stops: [String]) -> String {
    let bytes = Array(text.utf8)
    var cut = bytes.count
    for stop in stops where !stop.isEmpty {
        let needle = Array(stop.utf8)
        guard needle.count <= bytes.count else { continue }
        for start in 0...(bytes.count - needle.count) where Array(bytes[start..<start + needle.count]) == needle {
            cut = min(cut, start)
            break
        }
    }
    return String(decoding: bytes[..<cut], as: UTF8.self)
}

/// Splits `text` into random chunks at code-point boundaries (what a tokenizer's pieces look like).
private func randomChunks(_ text: String, using rng: inout SplitMix) -> [String] {
    let scalars = Array(text.unicodeScalars)
    var chunks: [String] = []
    var index = 0
    while index < scalars.count {
        let length = Int.random(in: 1...max(1, min(6, scalars.count - index)), using: &rng)
        chunks.append(String(String.UnicodeScalarView(scalars[index..<index + length])))
        index += length
    }
    if Bool.random(using: &rng) { chunks.insert("", at: Int.random(in: 0...chunks.count, using: &rng)) }
    return chunks
}

private let alphabet: [String] = ["a", "b", "c", "<", "/", ">", "e", "\u{301}", "🚀", "é", "\n", " ", "O", ":"]

@Suite("Stop sequences")
struct StopSequenceTests {
    @Test("removeContentAfterStopSequences follows smolagents' examples")
    func removeContentExamples() {
        #expect(removeContentAfterStopSequences("Hello<code>world!", stopSequences: ["<code>"]) == "Hello")
        #expect(removeContentAfterStopSequences("Hello<code>world!", stopSequences: nil) == "Hello<code>world!")
        #expect(removeContentAfterStopSequences(nil, stopSequences: ["<code>"]) == nil)
        #expect(removeContentAfterStopSequences("abc", stopSequences: []) == "abc")
        #expect(removeContentAfterStopSequences("abc", stopSequences: [""]) == "abc")
    }

    @Test("removeContentAfterStopSequences cuts stops in list order, as Python's split does")
    func removeContentOverlapOrder() {
        // Python: "abcd".split("bcd")[0] == "a", then "a".split("abc")[0] == "a".
        #expect(removeContentAfterStopSequences("abcd", stopSequences: ["bcd", "abc"]) == "a")
        #expect(truncateAtEarliestStop("abcd", stopSequences: ["bcd", "abc"]) == "")
    }

    @Test("matching is on code points like Python, not on grapheme clusters")
    func matchesCodePoints() {
        // Swift's String would say "e\u{301}" contains no "e"; Python finds it.
        #expect(removeContentAfterStopSequences("cafe\u{301}!", stopSequences: ["e"]) == "caf")
        #expect(truncateAtEarliestStop("cafe\u{301}!", stopSequences: ["\u{301}"]) == "cafe")
    }

    @Test("the matcher holds back a possible stop start and never shows stop text")
    func holdsBackPartialStops() {
        var matcher = StopSequenceMatcher(stopSequences: ["Observation:"])
        #expect(matcher.process("The answer is 4. Obs") == "The answer is 4. ")
        #expect(matcher.heldBack == "Obs")
        #expect(matcher.process("erv") == "")
        #expect(matcher.process("ation: 12") == "")
        #expect(matcher.isStopped)
        #expect(matcher.process("more") == "")
        #expect(matcher.finish() == "")
    }

    @Test("a held-back prefix that turns out not to be a stop is released")
    func releasesFalseAlarms() {
        var matcher = StopSequenceMatcher(stopSequences: ["</code>"])
        #expect(matcher.process("x </co") == "x ")
        #expect(matcher.process("lor") == "</color")
        #expect(matcher.process(" </") == " ")
        #expect(matcher.finish() == "</")
    }

    @Test("the earliest-starting stop wins even when a later-starting one completes first")
    func earliestStartWins() {
        var matcher = StopSequenceMatcher(stopSequences: ["abcd", "bc"])
        #expect(matcher.process("xab") == "x")
        #expect(matcher.process("c") == "")  // "bc" is complete, but "abcd" could still start earlier
        #expect(!matcher.isStopped)
        #expect(matcher.process("d tail") == "")
        #expect(matcher.isStopped)

        var other = StopSequenceMatcher(stopSequences: ["abcd", "bc"])
        #expect(other.process("xabc") == "x")
        #expect(other.process("e") == "a")  // "abcd" failed, so the text is cut where "bc" starts
        #expect(other.isStopped)
    }

    @Test("for random texts and random chunkings the matcher equals the whole-text cut",
          arguments: 0..<8)
    func randomChunkingsAgreeWithWholeText(seed: Int) {
        var rng = SplitMix(seed: UInt64(seed) &* 7919 &+ 17)
        for _ in 0..<400 {
            let stopCount = Int.random(in: 1...3, using: &rng)
            let stops = (0..<stopCount).map { _ in
                (0..<Int.random(in: 1...4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
            }
            let text = (0..<Int.random(in: 0...40, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
                .joined()
            let expected = earliestStopReference(text, stops)
            var matcher = StopSequenceMatcher(stopSequences: stops)
            var shown = ""
            for chunk in randomChunks(text, using: &rng) {
                shown += matcher.process(chunk)
                // Whatever has been shown so far is a prefix of the final answer: nothing is retracted.
                #expect(expected.utf8.starts(with: shown.utf8), "text \(text.debugDescription) stops \(stops)")
            }
            shown += matcher.finish()
            #expect(shown == expected, "text \(text.debugDescription) stops \(stops)")
            #expect(truncateAtEarliestStop(text, stopSequences: stops) == expected)
            if expected.utf8.count < text.utf8.count {
                #expect(matcher.isStopped)
            }
            for stop in stops { #expect(UTF8Search.firstIndex(of: Array(stop.utf8), in: Array(shown.utf8)) == nil) }
        }
    }

    @Test("without stops the matcher passes text straight through")
    func noStops() {
        var matcher = StopSequenceMatcher(stopSequences: [])
        #expect(matcher.process("anything") == "anything")
        #expect(matcher.finish() == "")
    }

    @Test("stoppingAt ends a delta stream at the stop and keeps tool calls and usage")
    func filtersAStream() async throws {
        let deltas = [
            ChatMessageStreamDelta(content: "Thought: go", tokenUsage: TokenUsage(inputTokens: 5, outputTokens: 1)),
            ChatMessageStreamDelta(content: "<e"),
            ChatMessageStreamDelta(content: "nd_plan> ignored"),
            ChatMessageStreamDelta(content: "never seen"),
        ]
        let upstream = AsyncThrowingStream<ChatMessageStreamDelta, any Error> { continuation in
            for delta in deltas { continuation.yield(delta) }
            continuation.finish()
        }
        var collected: [ChatMessageStreamDelta] = []
        for try await delta in upstream.stoppingAt(["<end_plan>"]) { collected.append(delta) }
        let message = try agglomerateStreamDeltas(collected)
        #expect(message.text == "Thought: go")
        #expect(message.tokenUsage == TokenUsage(inputTokens: 5, outputTokens: 1))
    }

    @Test("stoppingAt keeps the partial text when the upstream stream fails")
    func keepsPartialTextOnFailure() async {
        let upstream = AsyncThrowingStream<ChatMessageStreamDelta, any Error> { continuation in
            continuation.yield(ChatMessageStreamDelta(content: "partial <"))
            continuation.finish(throwing: ModelError.connection(message: "reset"))
        }
        var text = ""
        do {
            for try await delta in upstream.stoppingAt(["<stop>"]) { text += delta.content ?? "" }
            Issue.record("the stream should have failed")
        } catch {
            #expect(error as? ModelError == .connection(message: "reset"))
        }
        #expect(text == "partial <")
    }
}
