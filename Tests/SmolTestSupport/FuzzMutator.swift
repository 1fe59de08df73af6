import Foundation
import Testing

/// A small deterministic mutation fuzzer for Swift Testing: seeds from a committed corpus, mutated by bit
/// flips, byte changes, truncations, splices, chunk copies and deletions, corruption of what look like
/// length fields, and insertion of format tokens.
///
/// Each run is bounded in time (`FUZZ_SECONDS`, default 3) so that it belongs in the normal test command,
/// and seeded (`FUZZ_SEED`), so a failure reproduces: the failing input's number and bytes are reported.
/// Long campaigns: `FUZZ_SECONDS=600 FUZZ_SEED=7 FUZZ_SAVE_DIR=/tmp/fuzz swift test --filter Fuzz`.
public struct FuzzMutator {
    /// The mutator's random source.
    public typealias Random = SplitMix64

    var random: Random
    let seeds: [[UInt8]]
    /// Byte strings worth inserting for this format (JSON punctuation, Jinja delimiters, ...).
    let tokens: [[UInt8]]

    /// A mutator over `seeds`, inserting `tokens` now and then, reproducible from `seed`.
    public init(seeds: [[UInt8]], tokens: [String] = [], seed: UInt64) {
        precondition(!seeds.isEmpty, "a fuzz corpus needs at least one seed")
        self.seeds = seeds
        self.tokens = tokens.map { Array($0.utf8) }
        self.random = Random(state: seed)
    }

    /// Integers that sit on the edges parsers get wrong.
    static let interesting: [UInt64] = [
        0, 1, 2, 7, 8, 0x7F, 0x80, 0xFF, 0x100, 0xFFFF, 0x7FFF_FFFF, 0x8000_0000, 0xFFFF_FFFF, 1 << 32, 1 << 40,
        UInt64(Int64.max), UInt64(Int64.max) + 1, .max, .max - 7,
    ]

    /// The next input: a seed with one to four mutations.
    public mutating func next() -> [UInt8] {
        var data = seeds[Int.random(in: 0..<seeds.count, using: &random)]
        for _ in 0..<Int.random(in: 1...4, using: &random) { mutate(&data) }
        return data
    }

    mutating func position(in data: [UInt8]) -> Int { Int.random(in: 0...data.count, using: &random) }

    mutating func mutate(_ data: inout [UInt8]) {
        switch Int.random(in: 0..<9, using: &random) {
        case 0 where !data.isEmpty:
            let at = Int.random(in: 0..<data.count, using: &random)
            data[at] ^= 1 << UInt8.random(in: 0..<8, using: &random)
        case 1 where !data.isEmpty:
            let at = Int.random(in: 0..<data.count, using: &random)
            data[at] = [0, 0xFF, 0x7F, 0x80, UInt8.random(in: 0...255, using: &random)].randomElement(using: &random) ?? 0
        case 2:
            data.removeSubrange(position(in: data)...)
        case 3:
            // Splice: this input up to a point, then another seed from another point.
            let other = seeds[Int.random(in: 0..<seeds.count, using: &random)]
            let cut = position(in: data)
            let from = Int.random(in: 0...other.count, using: &random)
            data = Array(data[..<cut]) + other[from...]
        case 4 where !data.isEmpty:
            let start = Int.random(in: 0..<data.count, using: &random)
            let end = min(data.count, start + Int.random(in: 1...64, using: &random))
            data.insert(contentsOf: data[start..<end], at: position(in: data))
        case 5 where !data.isEmpty:
            let start = Int.random(in: 0..<data.count, using: &random)
            data.removeSubrange(start..<min(data.count, start + Int.random(in: 1...32, using: &random)))
        case 6, 7:
            corruptLengthField(&data)
        case 8 where !tokens.isEmpty:
            data.insert(contentsOf: tokens[Int.random(in: 0..<tokens.count, using: &random)], at: position(in: data))
        default:
            if !data.isEmpty { data[Int.random(in: 0..<data.count, using: &random)] = UInt8.random(in: 0...255, using: &random) }
        }
    }

    /// Overwrites a little-endian u32 or u64 with an edge value or the input's size give or take a little;
    /// half the time at a place that already holds a small number (likely a count, length or offset).
    mutating func corruptLengthField(_ data: inout [UInt8]) {
        let width = Bool.random(using: &random) ? 8 : 4
        guard data.count >= width else { return }
        var at = Int.random(in: 0...(data.count - width), using: &random)
        if Bool.random(using: &random) {
            for _ in 0..<64 {
                let candidate = Int.random(in: 0...(data.count - width), using: &random)
                var value: UInt64 = 0
                for k in 0..<width { value |= UInt64(data[candidate + k]) << (8 * UInt64(k)) }
                if value > 0, value < 1 << 20 {
                    at = candidate
                    break
                }
            }
        }
        let size = UInt64(data.count)
        let choices = Self.interesting + [size, size + 1, size - 1, size * 2, UInt64.random(in: 0...4096, using: &random)]
        let value = choices[Int.random(in: 0..<choices.count, using: &random)]
        for k in 0..<width { data[at + k] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(k))) }
    }

    /// Every file of a corpus folder, sorted by name (seeds and `regress-*` cases).
    public static func corpus(in folder: String) throws -> [(name: String, bytes: [UInt8])] {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasPrefix(".") }.sorted()
        return try names.map { ($0, [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)))) }
    }

    /// The outcome of one fuzz run.
    public struct Report: CustomStringConvertible {
        /// Inputs run, corpus files included.
        public var inputs = 0
        /// Inputs the body accepted (parsed rather than refused with a typed error).
        public var accepted = 0
        /// The slowest single input.
        public var slowest = Duration.zero
        /// The whole run.
        public var elapsed = Duration.zero
        /// One line for the test log.
        public var description: String {
            "\(inputs) inputs (\(accepted) accepted) in \(elapsed), slowest \(slowest)"
        }
    }

    /// Runs `body` on every corpus file unchanged, then on mutations until the time is up. `body` returns
    /// whether the input was accepted (parsed) rather than refused with a typed error; an input slower than
    /// `slowLimit` is recorded as an issue with its bytes, as a hang would be.
    /// `name` labels the run and the saved input; the corpus is every file in `folder`.
    public static func run(_ name: String, in folder: String, tokens: [String] = [], seconds: Double = 3,
                           slowLimit: Duration = .seconds(1), maxInputs: Int = 200_000,
                           _ body: ([UInt8]) -> Bool) throws -> Report
    {
        let environment = ProcessInfo.processInfo.environment
        let budget = Duration.seconds(environment["FUZZ_SECONDS"].flatMap(Double.init) ?? seconds)
        let seed = environment["FUZZ_SEED"].flatMap(UInt64.init) ?? 0x5EED_F022
        let corpus = try corpus(in: folder)
        var mutator = FuzzMutator(seeds: corpus.map(\.bytes), tokens: tokens, seed: seed)
        var report = Report()
        let clock = ContinuousClock()
        let start = clock.now
        // A crash ends the process before any report: with FUZZ_SAVE_DIR set, each input is written out first,
        // so the one that crashed is left on disk (slower; for long campaigns, not the normal test run).
        // One descriptor rewritten in place: two system calls per input instead of a file creation.
        let saved = environment["FUZZ_SAVE_DIR"].map { open($0 + "/current-" + name, O_WRONLY | O_CREAT, 0o644) } ?? -1
        defer { if saved >= 0 { close(saved) } }
        func check(_ input: [UInt8], _ label: String) {
            if saved >= 0 {
                _ = ftruncate(saved, 0)
                _ = input.withUnsafeBytes { pwrite(saved, $0.baseAddress, $0.count, 0) }
            }
            let began = clock.now
            if body(input) { report.accepted += 1 }
            let took = clock.now - began
            report.inputs += 1
            report.slowest = max(report.slowest, took)
            if took > slowLimit {
                let hex = input.prefix(4096).map { String(format: "%02x", $0) }.joined()
                Issue.record("\(name) \(label) took \(took) (\(input.count) bytes; first 4 KiB in hex: \(hex))")
            }
        }
        for (file, bytes) in corpus { check(bytes, "corpus file \(file)") }
        // A campaign (FUZZ_SECONDS given) runs for its time; the normal run also stops at `maxInputs`.
        let inputCap = environment["FUZZ_SECONDS"] == nil ? maxInputs : .max
        while clock.now - start < budget, report.inputs < inputCap {
            let input = mutator.next()
            check(input, "input #\(report.inputs) (FUZZ_SEED=\(seed))")
        }
        report.elapsed = clock.now - start
        print("FUZZ \(name): \(report)")
        return report
    }
}
