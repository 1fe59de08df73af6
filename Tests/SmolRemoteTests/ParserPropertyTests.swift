import Foundation
import SmolCore
import Testing

@testable import SmolRemote

/// Bounded randomized properties of the stream parsers (seeded, reproducible, a few seconds each):
/// random chunking and byte mutations must never crash, hang or silently drop data.
@Suite("Parser properties: SSE and AWS event-stream under random chunking and mutation", .timeLimit(.minutes(1)))
struct ParserPropertyTests {
    // MARK: SSE against a straightforward reference

    /// What the SSE parser must produce from a whole stream: the WHATWG algorithm written the obvious
    /// way (split everything into lines first), plus the limits: the first line longer than `lineLimit`
    /// (terminated or not) or event over `dataLimit` stops the stream, keeping the events before it.
    static func referenceSSE(_ input: [UInt8], lineLimit: Int, dataLimit: Int) -> (events: [SSEEvent], overflow: Bool) {
        var bytes = input[...]
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes = bytes.dropFirst(3) }
        var lines: [ArraySlice<UInt8>] = []
        var start = bytes.startIndex, index = bytes.startIndex
        var tail: ArraySlice<UInt8> = []
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == 0x0A || byte == 0x0D {
                lines.append(bytes[start..<index])
                if byte == 0x0D, index + 1 < bytes.endIndex, bytes[index + 1] == 0x0A { index += 1 }
                start = index + 1
            }
            index += 1
        }
        tail = bytes[start...]
        var events: [SSEEvent] = []
        var data: [UInt8] = [], type: String?, lastID: String?, retry: Int?
        for line in lines {
            if line.count > lineLimit { return (events, true) }
            if line.isEmpty {
                if !data.isEmpty {
                    events.append(SSEEvent(event: type, data: String(decoding: data.dropLast(), as: UTF8.self), id: lastID, retry: retry))
                }
                data = []; type = nil; retry = nil
                continue
            }
            if line.first == 0x3A { continue }
            let colon = line.firstIndex(of: 0x3A) ?? line.endIndex
            let name = String(decoding: line[..<colon], as: UTF8.self)
            var value = colon < line.endIndex ? line[(colon + 1)...] : []
            if value.first == 0x20 { value = value.dropFirst() }
            switch name {
            case "data":
                if data.count + value.count + 1 > dataLimit { return (events, true) }
                data += value + [0x0A]
            case "event": type = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
            case "id": if !value.contains(0) { lastID = String(decoding: value, as: UTF8.self) }
            case "retry":
                if !value.isEmpty, value.allSatisfy({ (0x30...0x39).contains($0) }), let number = Int(String(decoding: value, as: UTF8.self)) {
                    retry = number
                }
            default: break
            }
        }
        return (events, tail.count > lineLimit)
    }

    /// A random SSE-ish stream: plausible lines with random terminators, then random damage.
    static func randomSSEBytes(using rng: inout SSESplitMix) -> [UInt8] {
        let vocabulary = ["data: hello", "data:x", "data", "data: {\"a\":1}", "event: add", "event:", "id: 7", "id",
                          "retry: 1500", "retry: x1", ": ping", ":", "", "", "", "foo: bar", "data: é😀",
                          "data: " + String(repeating: "long", count: 12)]
        var bytes: [UInt8] = Bool.random(using: &rng) ? [0xEF, 0xBB, 0xBF] : []
        for _ in 0..<Int.random(in: 0...30, using: &rng) {
            bytes += Array(vocabulary.randomElement(using: &rng)!.utf8)
            bytes += [[0x0A], [0x0D], [0x0D, 0x0A]].randomElement(using: &rng)!
        }
        // Mutations: flipped bytes, inserted terminators / NUL / stray UTF-8, deleted and repeated ranges.
        for _ in 0..<Int.random(in: 0...4, using: &rng) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: bytes[at] ^= UInt8.random(in: 1...255, using: &rng)
            case 1: bytes.insert([0x0A, 0x0D, 0x00, 0xEF, 0xFF, 0x3A].randomElement(using: &rng)!, at: at)
            case 2: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...8, using: &rng)))
            default: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + Int.random(in: 1...40, using: &rng))], at: at)
            }
        }
        return bytes
    }

    @Test("random SSE streams, damaged and chunked anywhere, parse exactly as the reference does, limits included")
    func sseMatchesReference() async {
        var rng = SSESplitMix(seed: 0x14_0001)
        var overflows = 0
        for iteration in 0..<1_000 {
            // CPU-bound: let other tests' tasks (watchdogs, stream consumers) run on the 2-thread pool.
            if iteration % 50 == 0 { await Task.yield() }
            let bytes = Self.randomSSEBytes(using: &rng)
            let lineLimit = Int.random(in: 4...80, using: &rng), dataLimit = Int.random(in: 8...200, using: &rng)
            let expected = Self.referenceSSE(bytes, lineLimit: lineLimit, dataLimit: dataLimit)
            var parser = SSEParser(lineLimit: lineLimit, dataLimit: dataLimit)
            var events: [SSEEvent] = []
            var offset = 0
            while offset < bytes.count {
                let end = min(bytes.count, offset + Int.random(in: 0...17, using: &rng))
                events += parser.push(bytes[offset..<end])
                #expect(parser.bytesBuffered <= lineLimit + dataLimit + 17, "iteration \(iteration): unbounded buffering")
                offset = end
            }
            events += parser.finish()
            #expect(events == expected.events, "iteration \(iteration)")
            #expect(parser.overflowed == expected.overflow, "iteration \(iteration)")
            // Never a silent drop: an overflow always leaves the stream marked incomplete.
            if parser.overflowed { #expect(parser.hasIncompleteEvent, "iteration \(iteration)") }
            if expected.overflow { overflows += 1 }
        }
        #expect(overflows > 40)  // the limits really were exercised
    }

    @Test("the committed seed corpus parses as the reference does under every chunk size")
    func sseSeedCorpus() throws {
        let directory = try #require(Bundle.module.resourceURL).appendingPathComponent("Fixtures/fuzz/sse")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sse") }.sorted()
        #expect(files.count >= 4)
        for file in files {
            let bytes = [UInt8](try Data(contentsOf: directory.appendingPathComponent(file)))
            let expected = Self.referenceSSE(bytes, lineLimit: 64, dataLimit: 128)
            for size in [1, 2, 3, 7, 64, 4096] {
                var parser = SSEParser(lineLimit: 64, dataLimit: 128)
                var events: [SSEEvent] = []
                for start in stride(from: 0, to: bytes.count, by: size) { events += parser.push(bytes[start..<min(start + size, bytes.count)]) }
                events += parser.finish()
                #expect(events == expected.events && parser.overflowed == expected.overflow, "\(file), chunk size \(size)")
            }
        }
    }

    // MARK: AWS event stream

    static func randomFrames(using rng: inout SSESplitMix) throws -> [EventStreamMessage] {
        try (0..<Int.random(in: 1...6, using: &rng)).map { _ in
            var headers: [EventStreamHeader] = []
            for index in 0..<Int.random(in: 0...4, using: &rng) {
                let value: EventStreamHeaderValue = switch Int.random(in: 0..<5, using: &rng) {
                case 0: .string(["event", "contentBlockDelta", "é😀", ""].randomElement(using: &rng)!)
                case 1: .bool(Bool.random(using: &rng))
                case 2: .int(Int32.random(in: .min ... .max, using: &rng))
                case 3: .bytes((0..<Int.random(in: 0...20, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
                default: .timestamp(Int64.random(in: 0...Int64.max, using: &rng))
                }
                headers.append(EventStreamHeader(":h\(index)", value))
            }
            let payload = (0..<Int.random(in: 0...300, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let message = EventStreamMessage(headers: headers, payload: payload)
            _ = try EventStreamEncoder.encode(message)  // every generated frame is encodable
            return message
        }
    }

    /// Pushes `bytes` in random chunks; the messages, and where the first error surfaced.
    static func decode(_ bytes: [UInt8], using rng: inout SSESplitMix)
        -> (messages: [EventStreamMessage], errorDuringPush: ModelError?, errorAtFinish: ModelError?)
    {
        var decoder = EventStreamDecoder()
        var messages: [EventStreamMessage] = []
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + Int.random(in: 1...97, using: &rng))
            do {
                messages += try decoder.push(bytes[offset..<end])
            } catch {
                return (messages, error, nil)
            }
            if let pending = decoder.pendingFailure { return (messages, pending, nil) }
            offset = end
        }
        do { try decoder.finish() } catch { return (messages, nil, error) }
        return (messages, nil, nil)
    }

    @Test("event streams: chunking never changes the frames; a damaged byte loses exactly the frames from its own on, loudly")
    func eventStreamMutations() async throws {
        var rng = SSESplitMix(seed: 0x14_0002)
        for iteration in 0..<400 {
            if iteration % 25 == 0 { await Task.yield() }
            let frames = try Self.randomFrames(using: &rng)
            let encoded = try frames.map { try EventStreamEncoder.encode($0) }
            let bytes = encoded.flatMap { $0 }
            let clean = Self.decode(bytes, using: &rng)
            #expect(clean.messages == frames && clean.errorDuringPush == nil && clean.errorAtFinish == nil, "iteration \(iteration)")

            // One damaged byte: every CRC-32 catches it, so the frames before it survive and the rest fail.
            var damaged = bytes
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            damaged[at] ^= UInt8.random(in: 1...255, using: &rng)
            var frameIndex = 0, frameEnd = encoded[0].count
            while frameEnd <= at { frameIndex += 1; frameEnd += encoded[frameIndex].count }
            let result = Self.decode(damaged, using: &rng)
            #expect(result.messages == Array(frames.prefix(frameIndex)), "iteration \(iteration): byte \(at)")
            // Loudly and without waiting: the whole damaged frame was pushed, so push itself reports it.
            #expect(result.errorDuringPush != nil, "iteration \(iteration): byte \(at) not reported before finish")

            // Truncated anywhere: the complete frames survive; the end reports a cut inside a frame.
            let cut = Int.random(in: 0...bytes.count, using: &rng)
            var complete = 0, boundary = 0
            while complete < encoded.count, boundary + encoded[complete].count <= cut { boundary += encoded[complete].count; complete += 1 }
            let truncated = Self.decode(Array(bytes.prefix(cut)), using: &rng)
            #expect(truncated.messages == Array(frames.prefix(complete)), "iteration \(iteration): cut \(cut)")
            #expect((truncated.errorAtFinish != nil) == (cut != boundary), "iteration \(iteration): cut \(cut)")
        }
    }
}
