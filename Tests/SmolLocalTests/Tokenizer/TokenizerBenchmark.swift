import Foundation
import SmolCore
import Testing

@testable import SmolLocal

/// Opt-in encode throughput on ~1 MB of mixed text, next to scripts/bench/tokenizer_bench.py's numbers for
/// Hugging Face `tokenizers`. Run the script first, then
/// `SMOL_TOKENIZER_BENCH=/tmp/smol-tokenizer-bench swift test -c release --filter TokenizerBenchmark`.
@Suite("Tokenizer encode throughput", .serialized, .enabled(if: ProcessInfo.processInfo.environment["SMOL_TOKENIZER_BENCH"] != nil))
struct TokenizerBenchmark {
    @Test("encodes the benchmark text to tokenizers' ids and reports MB/s", arguments: ["smollm2", "qwen2"])
    func throughput(name: String) throws {
        let folder = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["SMOL_TOKENIZER_BENCH"]))
        let text = try String(contentsOf: folder.appendingPathComponent("text.txt"), encoding: .utf8)
        let expected = try #require(
            try JSONValue(parsing: [UInt8](Data(contentsOf: folder.appendingPathComponent("\(name)/ids.json"))))
                .arrayValue
        ).map { Int32($0.intValue ?? -1) }
        let megabytes = Double(text.utf8.count) / 1e6
        let clock = ContinuousClock()
        var coldBest = Duration.seconds(1000)
        var tokenizer = try Tokenizer(directory: folder.appendingPathComponent(name))
        let load = try clock.measure { tokenizer = try Tokenizer(directory: folder.appendingPathComponent(name)) }
        for _ in 0..<3 {
            tokenizer = try Tokenizer(directory: folder.appendingPathComponent(name))
            var ids: [Int32] = []
            let elapsed = clock.measure { ids = tokenizer.encode(text) }
            #expect(ids == expected)
            coldBest = min(coldBest, elapsed)
        }
        let warm = clock.measure { _ = tokenizer.encode(text) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let fresh = try Tokenizer(directory: folder.appendingPathComponent(name))
        let perLine = clock.measure { for line in lines { _ = fresh.encode(line) } }
        func rate(_ duration: Duration) -> String {
            let seconds = Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
            return String(format: "%.0f ms = %.2f MB/s", seconds * 1000, megabytes / seconds)
        }
        print("swift \(name): load tokenizer.json \(load); \(expected.count) ids; one encode, cold cache, best of 3: \(rate(coldBest)); warm cache: \(rate(warm)); per line, cold: \(rate(perLine))")
    }
}
