import Foundation
import SmolTestSupport
import Testing

@testable import SmolCore

/// SplitMix64: a tiny seeded generator, so every run tests the same values and failures reproduce.


/// Random JSON values that stress the corners: nesting, control and astral characters, extreme integers,
/// and doubles from tricky constants and raw bit patterns.
private struct RandomJSON {
    var rng: SplitMix64

    init(seed: UInt64) { rng = SplitMix64(seed: seed) }

    private static let specialScalars: [Unicode.Scalar] = [
        "\u{0}", "\u{1}", "\u{8}", "\t", "\n", "\u{B}", "\u{C}", "\r", "\u{1F}", " ", "\"", "\\", "/", "\u{7F}",
        "\u{80}", "\u{85}", "\u{A0}", "é", "\u{301}", "\u{2028}", "\u{2029}", "\u{FEFF}", "\u{FFFF}", "中",
        "🚀", "\u{10FFFF}",
    ]

    private static let specialDoubles: [Double] = [
        0, -0.0, 1e16, 1e15, 1e-5, 1e-4, 0.1 + 0.2, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
        .leastNormalMagnitude, -.leastNonzeroMagnitude, 1e22, 1e23, 9_007_199_254_740_992, 1234567890123456.7,
        12345678901234568, 0.1, 1, -1, 100, 9.999999999999999e-05, 9999999999999998, 0x1p63, -0x1p63, 0x1p64,
    ]

    private static let specialInts: [Int] = [
        0, 1, -1, .max, .min, .max - 1, .min + 1, 1 << 53, (1 << 53) + 1, -(1 << 53) - 1, 1_000_000_000_000_000_000,
    ]

    mutating func value(depth: Int = 0) -> JSONValue {
        switch Int.random(in: 0..<(depth >= 4 ? 5 : 7), using: &rng) {
        case 0: return Bool.random(using: &rng) ? .null : .bool(Bool.random(using: &rng))
        case 1: return .int(int())
        case 2: return .double(double())
        case 3, 4: return .string(string())
        case 5: return .array((0..<Int.random(in: 0...5, using: &rng)).map { _ in value(depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...5, using: &rng) { object[string(maxLength: 6)] = value(depth: depth + 1) }
            return .object(object)
        }
    }

    mutating func int() -> Int {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return Self.specialInts.randomElement(using: &rng)!
        case 1: return Int(truncatingIfNeeded: rng.next())
        default: return Int.random(in: -100_000...100_000, using: &rng)
        }
    }

    mutating func double() -> Double {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0: return [Double.nan, .infinity, -.infinity].randomElement(using: &rng)!
        case 1, 2: return Self.specialDoubles.randomElement(using: &rng)!
        case 3, 4, 5:
            while true {
                let candidate = Double(bitPattern: rng.next())
                if candidate.isFinite { return candidate }
            }
        case 6: return Double(Int.random(in: -1_000_000...1_000_000, using: &rng))
        default:
            let mantissa = Double(Int.random(in: -10_000_000...10_000_000, using: &rng))
            return mantissa / pow(10, Double(Int.random(in: 0...20, using: &rng)))
        }
    }

    mutating func string(maxLength: Int = 14) -> String {
        var scalars = String.UnicodeScalarView()
        // Sometimes long, so that the parser's and emitter's eight-bytes-at-a-time paths run too.
        let length = Int.random(in: 0...10, using: &rng) == 0 ? Int.random(in: 20...90, using: &rng)
            : Int.random(in: 0...maxLength, using: &rng)
        for _ in 0..<length { scalars.append(scalar()) }
        return String(scalars)
    }

    mutating func scalar() -> Unicode.Scalar {
        switch Int.random(in: 0..<10, using: &rng) {
        case 0...4: return Unicode.Scalar(UInt8.random(in: 0x20...0x7E, using: &rng))
        case 5, 6: return Self.specialScalars.randomElement(using: &rng)!
        case 7: return Unicode.Scalar(UInt8.random(in: 0x00...0x1F, using: &rng))
        case 8:
            while true {
                if let scalar = Unicode.Scalar(UInt32.random(in: 0x80...0xFFFF, using: &rng)) { return scalar }
            }
        default: return Unicode.Scalar(UInt32.random(in: 0x10000...0x10FFFF, using: &rng))!
        }
    }
}

/// The four option sets the round-trip properties run under.
private let emitterVariants: [JSONEmitter] = [
    JSONEmitter(), JSONEmitter(ensureASCII: true), JSONEmitter(indent: 2),
    JSONEmitter(indent: 2, ensureASCII: true, sortKeys: true),
]

@Suite("JSON properties")
struct JSONPropertyTests {
    @Test("parse(emit(v)) == v and emitting again is byte-identical, for thousands of random values")
    func roundTrip() throws {
        var generator = RandomJSON(seed: 0x5EED_0001)
        for iteration in 0..<3_000 {
            let value = generator.value()
            for emitter in emitterVariants {
                let text = emitter.bytes(from: value)
                let parsed = try JSONValue(parsing: text)
                #expect(parsed == value, "iteration \(iteration): \(String(decoding: text, as: UTF8.self))")
                #expect(emitter.bytes(from: parsed) == text, "iteration \(iteration)")
            }
        }
    }

    @Test("Text and byte parsing agree, and non-strict parsing of valid JSON changes nothing")
    func parsingEntryPointsAgree() throws {
        var generator = RandomJSON(seed: 0x5EED_0002)
        for _ in 0..<500 {
            let text = JSONEmitter().string(from: generator.value())
            let fromText = try JSONValue(parsing: text)
            #expect(try JSONValue(parsing: Array(text.utf8)) == fromText)
            #expect(try JSONValue(parsing: text, strict: false) == fromText)
        }
    }

    @Test("Codable round trip through Foundation's JSONEncoder and JSONDecoder keeps values equal")
    func codableRoundTrip() throws {
        var generator = RandomJSON(seed: 0x5EED_0003)
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        for _ in 0..<300 {
            // Non-finite doubles would come back as strings under that strategy; leave them out here.
            let value = generator.value()
            guard !JSONEmitter().string(from: value).contains("Infinity"), !JSONEmitter().string(from: value).contains("NaN")
            else { continue }
            let data = try encoder.encode(value)
            let decoded = try JSONDecoder().decode(JSONValue.self, from: data)
            // The decoder may hand "-5.1903093092182554e+17" to Int as -519030930921825540, which is not the
            // double's exact value; only the value as a Double is promised.
            #expect(numbersAsDoubles(decoded) == numbersAsDoubles(value), "\(value)")
        }
        let object: JSONObject = ["b": 1, "a": [true, .null, 1.5, "x"]]
        let decoded = try JSONDecoder().decode(JSONObject.self, from: try encoder.encode(object))
        #expect(decoded == object)
    }

    @Test("Python's json.dumps prints exactly what we print, for a batch of random values")
    func matchesPythonOracle() async throws {
        guard let python = executableOnPath("python3") else {
            Issue.record("python3 was not found on PATH; this test needs it as the json.dumps oracle")
            return
        }
        var generator = RandomJSON(seed: 0x5EED_0004)
        let values = (0..<2_000).map { _ in generator.value() }
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("json-oracle-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = directory.appendingPathComponent("values.jsonl")
        let output = directory.appendingPathComponent("dumps.bin")
        var lines: [UInt8] = []
        for value in values {
            lines += JSONEmitter().bytes(from: value)
            lines.append(UInt8(ascii: "\n"))
        }
        try Data(lines).write(to: input)

        // Each record is followed by a NUL byte, which json.dumps never prints raw.
        let script = """
            import json, sys
            with open(sys.argv[2], "wb") as out:
                for line in open(sys.argv[1], encoding="utf-8"):
                    v = json.loads(line)
                    for text in (json.dumps(v, ensure_ascii=False), json.dumps(v),
                                 json.dumps(v, ensure_ascii=False, indent=2),
                                 json.dumps(v, ensure_ascii=False, sort_keys=True)):
                        out.write(text.encode("utf-8") + b"\\0")
            """
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", script, input.path, output.path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: await ProcessIO.readToEnd(errors.fileHandleForReading), as: UTF8.self)
        await ProcessIO.waitForExit(process)
        try #require(process.terminationStatus == 0, "python3 failed: \(errorText)")

        let records = try Data(contentsOf: output).split(separator: 0, omittingEmptySubsequences: false).dropLast()
        try #require(records.count == values.count * 4)
        let variants = [
            JSONEmitter(), JSONEmitter(ensureASCII: true), JSONEmitter(indent: 2), JSONEmitter(sortKeys: true),
        ]
        var mismatches = 0
        for (index, value) in values.enumerated() {
            for (variant, emitter) in variants.enumerated() {
                let ours = emitter.string(from: value)
                let theirs = String(decoding: records[records.startIndex + index * 4 + variant], as: UTF8.self)
                if ours != theirs {
                    mismatches += 1
                    if mismatches <= 10 { Issue.record("value \(index), variant \(variant):\nours:   \(ours)\npython: \(theirs)") }
                }
            }
        }
        #expect(mismatches == 0)
    }

    @Test("Committed fixture: Python's json.dumps of varied input texts equals ours")
    func matchesCommittedFixture() throws {
        let url = try #require(
            Bundle.module.url(forResource: "python-dumps", withExtension: "jsonl", subdirectory: "Fixtures/json"))
        let lines = try Data(contentsOf: url).split(separator: UInt8(ascii: "\n"))
        #expect(lines.count >= 300)
        for (number, line) in lines.enumerated() {
            let record = try JSONValue(parsing: line)
            let input = try #require(record["input"]?.stringValue)
            let value = try JSONValue(parsing: input)
            #expect(JSONEmitter().string(from: value) == record["dumps"]?.stringValue, "line \(number + 1)")
            #expect(JSONEmitter(ensureASCII: true).string(from: value) == record["dumps_ascii"]?.stringValue, "line \(number + 1)")
            #expect(JSONEmitter(indent: 2).string(from: value) == record["dumps_indent2"]?.stringValue, "line \(number + 1)")
        }
    }
}

/// `value` with every integer replaced by the nearest double.
private func numbersAsDoubles(_ value: JSONValue) -> JSONValue {
    switch value {
    case .int(let number): return .double(Double(number))
    case .array(let elements): return .array(elements.map(numbersAsDoubles))
    case .object(let object): return .object(JSONObject(object.map { ($0.key, numbersAsDoubles($0.value)) }))
    default: return value
    }
}

/// The first executable file called `name` in the directories of `PATH`.
private func executableOnPath(_ name: String) -> URL? {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
    for directory in path.split(separator: ":") where !directory.isEmpty {
        let candidate = URL(fileURLWithPath: String(directory)).appendingPathComponent(name)
        if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
    }
    return nil
}
