import Foundation
import SmolCore
import SmolLocal
import Testing

@Suite("Sampler against transformers' logits processors")
struct SamplerTests {
    struct Case: Sendable {
        var parameters: SamplingParameters
        var logits: [Float]
        var context: [Int32]
        var probs: [Double]
        var greedy: Int32
    }

    static func load() throws -> [Case] {
        let json = try JSONValue(parsing: try FixturePaths.data(try FixturePaths.fixture("sampling/cases.json")))
        return try #require(json["cases"]?.arrayValue).map { c in
            let p = c["params"]!
            return Case(
                parameters: SamplingParameters(doSample: true, temperature: p["temperature"]?.doubleValue ?? 1,
                                               topK: p["top_k"]?.intValue, topP: p["top_p"]?.doubleValue,
                                               minP: p["min_p"]?.doubleValue, repetitionPenalty: p["repetition_penalty"]?.doubleValue),
                logits: c["logits"]!.arrayValue!.map { Float($0.doubleValue!) },
                context: c["context"]!.arrayValue!.map { Int32($0.intValue!) },
                probs: c["probs"]!.arrayValue!.map { $0.doubleValue! },
                greedy: Int32(c["greedy"]!.intValue!))
        }
    }

    @Test("the sampling distribution equals transformers' for every parameter combination")
    func distributionsMatch() throws {
        let cases = try Self.load()
        #expect(cases.count == 10)
        for c in cases {
            var sampler = Sampler(parameters: c.parameters, seed: 1)
            let probs = c.logits.withUnsafeBufferPointer { sampler.probabilities($0, context: c.context) }
            for (i, (ours, theirs)) in zip(probs, c.probs).enumerated() {
                #expect((ours == 0) == (theirs == 0), "\(c.parameters) token \(i): kept differs")
                #expect(abs(Double(ours) - theirs) <= 1e-5, "\(c.parameters) token \(i): \(ours) vs \(theirs)")
            }
        }
    }

    @Test("greedy decoding takes the argmax after the repetition penalty")
    func greedyMatches() throws {
        for c in try Self.load() {
            var parameters = c.parameters
            parameters.doSample = false
            var sampler = Sampler(parameters: parameters)
            #expect(c.logits.withUnsafeBufferPointer { sampler.sample($0, context: c.context) } == c.greedy)
        }
    }

    @Test("the same seed gives the same tokens, another seed other tokens, and draws follow the distribution")
    func seededDeterminism() throws {
        let c = try Self.load()[0]  // temperature 1, all 64 tokens possible
        func run(_ seed: UInt64, _ n: Int) -> [Int32] {
            var sampler = Sampler(parameters: c.parameters, seed: seed)
            return c.logits.withUnsafeBufferPointer { l in (0..<n).map { _ in sampler.sample(l, context: c.context) } }
        }
        #expect(run(7, 200) == run(7, 200))
        #expect(run(7, 200) != run(8, 200))
        let draws = run(3, 20000)
        var counts = [Int](repeating: 0, count: c.probs.count)
        for d in draws { counts[Int(d)] += 1 }
        for (i, p) in c.probs.enumerated() where p > 0.02 {
            let expected = p * Double(draws.count)
            #expect(abs(Double(counts[i]) - expected) <= 5 * expected.squareRoot() + 5, "token \(i)")
        }
    }

    @Test("the generator is a pure function of its seed and yields unit values in [0, 1)")
    func generatorDeterminism() {
        var g = SeededGenerator(seed: 0), h = SeededGenerator(seed: 0), other = SeededGenerator(seed: 1)
        let a = (0..<100).map { _ in g.next() }
        #expect(a == (0..<100).map { _ in h.next() })
        #expect(a != (0..<100).map { _ in other.next() })
        #expect(Set(a).count == 100)
        var mean = 0.0
        for _ in 0..<10000 {
            let u = g.nextUnit()
            #expect(u >= 0 && u < 1)
            mean += u / 10000
        }
        #expect(abs(mean - 0.5) < 0.02)
    }
}
