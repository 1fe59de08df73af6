import SmolTestSupport
import Testing

@testable import SmolRemote

/// SplitMix64: a tiny seeded generator, so every property run is reproducible.
typealias SSESplitMix = SplitMix64

/// Feeds `chunks` to a fresh parser, then finishes it; returns the events and the finished parser.
private func parse(chunks: [[UInt8]], parser: SSEParser = SSEParser()) -> ([SSEEvent], SSEParser) {
    var parser = parser
    var events: [SSEEvent] = []
    for chunk in chunks { events += parser.push(chunk) }
    events += parser.finish()
    return (events, parser)
}

private func parse(_ text: String) -> [SSEEvent] { parse(chunks: [Array(text.utf8)]).0 }

private func oneByteChunks(_ bytes: [UInt8]) -> [[UInt8]] { bytes.map { [$0] } }

// MARK: - The WHATWG specification's examples

@Test func multiLineDataIsJoinedWithNewlines() {
    #expect(parse("data: YHOO\ndata: +2\ndata: 10\n\n") == [SSEEvent(data: "YHOO\n+2\n10")])
}

@Test func commentsAreIgnoredAndTheLastEventIDPersistsUntilReset() {
    let stream = ": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n"
    #expect(parse(stream) == [
        SSEEvent(data: "first event", id: "1"),
        SSEEvent(data: "second event", id: ""),  // `id` with no value resets the ID to empty
        SSEEvent(data: " third event", id: ""),  // only one space after the colon is removed
    ])
}

@Test func bareDataLineAddsAnEmptyLineAndTheUnterminatedLastBlockIsDiscarded() {
    var parser = SSEParser()
    let events = parser.push(Array("data\n\ndata\ndata\n\ndata:".utf8))
    #expect(events == [SSEEvent(data: ""), SSEEvent(data: "\n")])
    #expect(parser.finish().isEmpty)
    #expect(parser.hasIncompleteEvent)
}

@Test func spaceAfterColonIsOptionalButTrailingSpacesAreKept() {
    #expect(parse("data:test\n\ndata: test\n\n") == [SSEEvent(data: "test"), SSEEvent(data: "test")])
    #expect(parse("data: test \n\n") == [SSEEvent(data: "test ")])
}

@Test func eventFieldSetsTheTypeForOneEventOnly() {
    let stream = "event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\nevent: add\ndata: 113411\n\ndata: plain\n\n"
    #expect(parse(stream) == [
        SSEEvent(event: "add", data: "73857293"), SSEEvent(event: "remove", data: "2153"),
        SSEEvent(event: "add", data: "113411"), SSEEvent(data: "plain"),
    ])
}

@Test func emptyEventFieldMeansTheDefaultMessageType() {
    #expect(parse("event:\ndata: x\n\n") == [SSEEvent(data: "x")])
}

@Test func blockWithoutDataDispatchesNothingAndResetsTheEventType() {
    #expect(parse("event: ping\n\ndata: x\n\n") == [SSEEvent(data: "x")])
    #expect(parse(": only a comment\n\n\n\n").isEmpty)
}

@Test func unknownFieldsAndLinesWithoutColonAreIgnored() {
    #expect(parse("foo: bar\nevent\ndata: x\nDATA: y\ndata : z\n\n") == [SSEEvent(data: "x")])
}

@Test func idContainingNULIsIgnored() {
    let stream = "id: 7\ndata: a\n\nid: b\u{0}c\ndata: b\n\n"
    #expect(parse(stream) == [SSEEvent(data: "a", id: "7"), SSEEvent(data: "b", id: "7")])
}

@Test func retryIsAcceptedOnlyWhenAllASCIIDigitsAndBelongsToItsBlock() {
    var parser = SSEParser()
    let stream = "retry: 3000\ndata: a\n\nretry: 30a\ndata: b\n\nretry: -1\nretry:\nretry: ٣\ndata: c\n\nretry: 99\n\n"
    #expect(parser.push(Array(stream.utf8)) == [
        SSEEvent(data: "a", retry: 3000), SSEEvent(data: "b"), SSEEvent(data: "c"),
    ])
    // A retry-only block dispatches nothing but still sets the reconnection time.
    #expect(parser.reconnectionTime == 99)
    #expect(parse("retry: 99999999999999999999999\ndata: x\n\n") == [SSEEvent(data: "x")])
}

// MARK: - Line endings and chunking

@Test func crLfAndCrLfLineEndingsAndTheirMixParseAlike() {
    let expected = [SSEEvent(event: "e", data: "a\nb"), SSEEvent(data: "c")]
    for ending in ["\n", "\r", "\r\n"] {
        let stream = ["event: e", "data: a", "data: b", "", "data: c", "", ""].joined(separator: ending)
        #expect(parse(stream) == expected, "ending \(Array(ending.utf8))")
    }
    #expect(parse("event: e\rdata: a\r\ndata: b\n\r\ndata: c\r\r") == expected)
}

@Test func crlfSplitAcrossChunksEndsOnlyOneLine() {
    // Were the LF taken as a blank line, "a" would be dispatched alone.
    let chunks = ["data: a\r", "\ndata: b\r", "\n\r", "\n"].map { Array($0.utf8) }
    #expect(parse(chunks: chunks).0 == [SSEEvent(data: "a\nb")])
    // A CR at the end of a chunk still ends its line before the next chunk arrives.
    var parser = SSEParser()
    #expect(parser.push(Array("data: a\r\r".utf8)) == [SSEEvent(data: "a")])
    #expect(parser.push(Array("\ndata: b\n\n".utf8)) == [SSEEvent(data: "b")])
    #expect(parser.push([UInt8]()) == [])
}

@Test func byteOrderMarkIsSkippedOnlyAtTheStartOfTheStream() {
    let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
    let body = Array("data: x\n\n".utf8)
    #expect(parse(chunks: [bom + body]).0 == [SSEEvent(data: "x")])
    #expect(parse(chunks: oneByteChunks(bom + body)).0 == [SSEEvent(data: "x")])
    // A second BOM belongs to the first line's field name, which then matches no field.
    #expect(parse(chunks: [bom + bom + body + body]).0 == [SSEEvent(data: "x")])
    #expect(parse(chunks: [body + bom + body]).0 == [SSEEvent(data: "x")])
    // Bytes that only start like a BOM are kept.
    #expect(parse(chunks: [[0xEF], [0xBB], Array("\n".utf8) + body]).0 == [SSEEvent(data: "x")])
}

@Test func openAIStyleStreamYieldsJSONPayloadsAndDoneMarker() {
    let chunk = #"{"id":"c1","choices":[{"index":0,"delta":{"content":"Hi"}}]}"#
    let stream = "data: \(chunk)\n\n: keep-alive\n\ndata: [DONE]\n\n"
    var parser = SSEParser()
    let events = parser.push(Array(stream.utf8))
    #expect(events == [SSEEvent(data: chunk), SSEEvent(data: "[DONE]")])
    #expect(parser.finish().isEmpty)
    #expect(!parser.hasIncompleteEvent)
    #expect(parser.bytesBuffered == 0)
}

// MARK: - End of stream, decoding, limits

@Test func unterminatedFinalEventIsDiscardedAndReported() {
    for tail in ["data: b\n", "data: b", "event: x\n", "id: 3\n", "data: b\r"] {
        var parser = SSEParser()
        #expect(parser.push(Array("data: a\n\n\(tail)".utf8)) == [SSEEvent(data: "a")])
        #expect(parser.hasIncompleteEvent, "tail \(tail.debugDescription)")
        #expect(parser.finish().isEmpty)
        #expect(parser.hasIncompleteEvent, "tail \(tail.debugDescription)")
        #expect(parser.bytesBuffered == 0)
        #expect(parser.push(Array("\n\n".utf8)).isEmpty)  // nothing is parsed after `finish()`
    }
}

@Test func cleanEndsAreNotReportedAsIncomplete() {
    for stream in ["", "data: a\n\n", "data: a\n\n: bye", "data: a\n\n: bye\n", "data: a\r\n\r\n"] {
        let (_, parser) = parse(chunks: [Array(stream.utf8)])
        #expect(!parser.hasIncompleteEvent, "stream \(stream.debugDescription)")
    }
}

@Test func invalidUTF8BecomesReplacementCharacters() {
    let bytes: [UInt8] = Array("data: ".utf8) + [0xFF, 0x61, 0xC3] + Array("\ndata: ".utf8) + [0xF0, 0x9F, 0x98]
        + Array("\n\n".utf8)
    #expect(parse(chunks: [bytes]).0 == [SSEEvent(data: "\u{FFFD}a\u{FFFD}\n\u{FFFD}")])
    #expect(parse(chunks: oneByteChunks(bytes)).0 == [SSEEvent(data: "\u{FFFD}a\u{FFFD}\n\u{FFFD}")])
}

@Test func multiByteCharactersSplitAcrossChunksDecodeWhole() {
    let bytes = Array("event: ünï\nid: 😀\ndata: 🇫🇷 €😀\n\n".utf8)
    let expected = [SSEEvent(event: "ünï", data: "🇫🇷 €😀", id: "😀")]
    #expect(parse(chunks: oneByteChunks(bytes)).0 == expected)
}

@Test func limitsAreDocumentedConstants() {
    #expect(SSEParser.maximumLineLength == 16 * 1024 * 1024)
    #expect(SSEParser.maximumEventDataLength >= SSEParser.maximumLineLength)
}

@Test func overlongLineStopsTheParserKeepingEarlierEventsAndBufferingNoMoreThanTheLimit() {
    let limits = SSEParser(lineLimit: 64, dataLimit: 1024)
    let long = "data: " + String(repeating: "x", count: 200)
    for chunkSize in [1, 7, 50, 1000] {
        var parser = limits
        var events: [SSEEvent] = []
        var peak = 0
        let bytes = Array("data: a\n\n\(long)\ndata: b\n\n".utf8)
        for start in stride(from: 0, to: bytes.count, by: chunkSize) {
            events += parser.push(bytes[start..<min(start + chunkSize, bytes.count)])
            peak = max(peak, parser.bytesBuffered)
        }
        // The event after the long line is not delivered either: a stream with a hole is not an answer.
        #expect(events == [SSEEvent(data: "a")], "chunk size \(chunkSize)")
        #expect(parser.overflow == .line(limit: 64))
        #expect(parser.hasIncompleteEvent)
        #expect(peak <= 64 + chunkSize, "chunk size \(chunkSize)")
    }
    var parser = limits
    _ = parser.push(Array("data: \(String(repeating: "y", count: 58))\n\n".utf8))  // exactly at the limit
    #expect(!parser.overflowed)
}

@Test func lineThatNeverEndsStopsTheParserOnceItCrossesTheLimit() {
    var parser = SSEParser(lineLimit: 64, dataLimit: 1024)
    #expect(parser.push(Array("data: first\n\ndata: ".utf8)) == [SSEEvent(data: "first")])
    var pushed = 0
    // Bytes keep coming and no terminator ever does: the parser must give up at the limit, not read on.
    while !parser.overflowed, pushed < 10_000 {
        _ = parser.push(Array(repeating: UInt8(ascii: "z"), count: 5))
        pushed += 5
    }
    #expect(parser.overflow == .line(limit: 64))
    #expect(pushed <= 64)
    #expect(parser.bytesBuffered == 0)
    #expect(parser.push(Array("\n\ndata: late\n\n".utf8)).isEmpty)
}

@Test func eventDataBeyondItsLimitStopsTheParserAndNamesTheLimit() {
    var parser = SSEParser(lineLimit: 64, dataLimit: 100)
    let line = "data: " + String(repeating: "z", count: 40) + "\n"
    let events = parser.push(Array(("data: before\n\n" + String(repeating: line, count: 5) + "\ndata: ok\n\n").utf8))
    #expect(events == [SSEEvent(data: "before")])
    #expect(parser.overflow == .eventData(limit: 100))
    #expect(parser.overflow?.description.contains("100 bytes") == true)
    #expect(SSEParser(lineLimit: 16 << 20, dataLimit: 64 << 20).overflowError == nil)
    guard case .stream(let message, _, _)? = parser.overflowError else { Issue.record("no overflow error"); return }
    #expect(message.contains("event limit"), "\(message)")
}

// MARK: - Property: chunking never changes the result

/// Builds a random stream and the events a correct parser must produce from it, written independently
/// of the parser: events are generated first and then serialized with random spellings and line endings.
private func randomStream(using rng: inout SSESplitMix) -> (bytes: [UInt8], events: [SSEEvent]) {
    let pieces = ["a", "hello", " ", ":", "é", "€", "😀", "🇫🇷", #"{"k": [1, "v"]}"#, "data: x", "\u{FEFF}", "\t"]
    var lines: [String] = []
    var events: [SSEEvent] = []
    var lastID: String?
    func text(_ maxPieces: Int) -> String {
        (0..<Int.random(in: 0...maxPieces, using: &rng)).map { _ in pieces.randomElement(using: &rng)! }.joined()
    }
    for _ in 0..<Int.random(in: 0...12, using: &rng) {
        if Bool.random(using: &rng) { lines.append(": " + text(3)) }
        if Int.random(in: 0..<4, using: &rng) == 0 { lines.append("") }  // a blank line with no block
        var event = SSEEvent(data: "")
        if Bool.random(using: &rng) {
            let type = ["add", "remove", "ünï", "😀"].randomElement(using: &rng)!
            lines.append((Bool.random(using: &rng) ? "event: " : "event:") + type)
            event.event = type
        }
        if Int.random(in: 0..<3, using: &rng) == 0 {
            lastID = ["1", "abc", "", "😀x"].randomElement(using: &rng)!
            lines.append(lastID!.isEmpty && Bool.random(using: &rng) ? "id" : "id: " + lastID!)
        }
        if Int.random(in: 0..<4, using: &rng) == 0 { lines.append("id: x\u{0}y") }
        if Int.random(in: 0..<4, using: &rng) == 0 {
            let retry = Int.random(in: 0...60_000, using: &rng)
            lines.append("retry: \(retry)")
            event.retry = retry
        }
        event.id = lastID
        var dataLines: [String] = []
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            let value = text(4)
            dataLines.append(value)
            let spelled: String
            if value.isEmpty {
                spelled = ["data", "data:", "data: "].randomElement(using: &rng)!
            } else if value.hasPrefix(" ") || Bool.random(using: &rng) {
                spelled = "data: " + value  // a leading space in the value survives behind the optional one
            } else {
                spelled = "data:" + value
            }
            lines.append(spelled)
            if Int.random(in: 0..<5, using: &rng) == 0 { lines.append(Bool.random(using: &rng) ? ":" : "foo: bar") }
        }
        event.data = dataLines.joined(separator: "\n")
        lines.append("")
        if Int.random(in: 0..<4, using: &rng) == 0 { lines.append("") }  // an extra blank line dispatches nothing
        events.append(event)
    }
    var bytes: [UInt8] = Bool.random(using: &rng) ? [0xEF, 0xBB, 0xBF] : []
    var previousEndedInCR = false
    for line in lines {
        // After a lone CR, an empty line ended by LF would merge into a CRLF: that stream means something else.
        let endings = previousEndedInCR && line.isEmpty ? ["\r", "\r\n"] : ["\n", "\r", "\r\n"]
        let ending = endings.randomElement(using: &rng)!
        bytes += Array((line + ending).utf8)
        previousEndedInCR = ending == "\r"
    }
    return (bytes, events)
}

/// Cuts `bytes` into chunks of random sizes in `sizes`, empty chunks included.
private func randomChunks(_ bytes: [UInt8], sizes: ClosedRange<Int>, using rng: inout SSESplitMix) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var start = 0
    while start < bytes.count {
        let end = min(bytes.count, start + Int.random(in: sizes, using: &rng))
        chunks.append(Array(bytes[start..<end]))
        start = end
    }
    return chunks
}

@Test func everyChunkingYieldsTheSameEventsAsTheWholeStream() {
    var rng = SSESplitMix(seed: 0x5EE_5EED)
    var sawSplitEmoji = false
    for seed in 0..<300 {
        let (bytes, expected) = randomStream(using: &rng)
        let (whole, wholeParser) = parse(chunks: [bytes])
        #expect(whole == expected, "seed \(seed)")
        #expect(!wholeParser.hasIncompleteEvent, "seed \(seed)")
        let chunkings = [
            oneByteChunks(bytes), randomChunks(bytes, sizes: 0...3, using: &rng),
            randomChunks(bytes, sizes: 1...9, using: &rng), randomChunks(bytes, sizes: 5...80, using: &rng),
        ]
        for (which, chunks) in chunkings.enumerated() {
            #expect(parse(chunks: chunks).0 == whole, "seed \(seed), chunking \(which)")
            // A chunk ending on a 4-byte sequence's lead byte (0xF0) splits an emoji.
            sawSplitEmoji = sawSplitEmoji || chunks.contains { $0.last.map { $0 >= 0xF0 } ?? false }
        }
    }
    #expect(sawSplitEmoji)
}

@Test func longOpenAIStyleStreamParsesEveryEvent() {
    let payloads = (0..<2_000).map { #"{"id":"chatcmpl-\#($0)","choices":[{"delta":{"content":"tok \#($0) é😀"}}]}"# }
    let stream = payloads.map { "data: \($0)\n\n" }.joined() + "data: [DONE]\n\n"
    var rng = SSESplitMix(seed: 2_000)
    let (events, parser) = parse(chunks: randomChunks(Array(stream.utf8), sizes: 1...1500, using: &rng))
    #expect(events.map(\.data) == payloads + ["[DONE]"])
    #expect(!parser.hasIncompleteEvent && !parser.overflowed)
}
