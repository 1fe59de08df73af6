// `smol-local-bench concurrent MODEL [new=64] [clients=1,4,8] [threads=2] [runs=2]`: aggregate decode
// throughput of one TransformersModel serving N concurrent greedy generations (continuous batching),
// each asked for `new` tokens of a long answer. Prints one line per run and a RESULT line per client count.
import Foundation
import SmolCore
import SmolLocal

private let topics = ["the sea", "a mountain village", "a robot learning to paint", "the first snow of winter",
                      "a lighthouse keeper", "a journey across the desert", "an old library", "a city at night"]

func runConcurrentBench(_ args: [String]) async -> Int32 {
    guard let path = args.first else {
        FileHandle.standardError.write("usage: smol-local-bench concurrent MODEL [new=64] [clients=1,4,8] [threads=2] [runs=2]\n".data(using: .utf8)!)
        return 2
    }
    let newTokens = args.count > 1 ? Int(args[1]) ?? 64 : 64
    let clients = (args.count > 2 ? args[2] : "1,4,8").split(separator: ",").compactMap { Int($0) }
    let threads = args.count > 3 ? Int(args[3]) ?? 2 : 2
    let runs = args.count > 4 ? Int(args[4]) ?? 2 : 2
    do {
        KernelThreads.set(threads)
        let model = try TransformersModel(modelID: path)
        let options = GenerateOptions(parameters: ["max_new_tokens": .int(newTokens)])
        for count in clients {
            var best = 0.0
            for run in 0...runs {  // run 0 warms up
                let start = DispatchTime.now().uptimeNanoseconds
                let tokens = try await withThrowingTaskGroup(of: Int.self) { group in
                    for i in 0..<count {
                        let messages = [ChatMessage(role: .user, text: "Write a long story about \(topics[i % topics.count]).")]
                        group.addTask { try await model.generate(messages, options: options).tokenUsage?.outputTokens ?? 0 }
                    }
                    return try await group.reduce(0, +)
                }
                let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let rate = Double(tokens) / seconds
                if run > 0 {
                    best = max(best, rate)
                    print(String(format: "clients %d run %d: %d tokens in %.2f s, %.1f tok/s aggregate", count, run, tokens, seconds, rate))
                }
            }
            print(String(format: "RESULT concurrent clients=%d new=%d threads=%d aggregate_tok_s=%.1f", count, newTokens, threads, best))
        }
        return 0
    } catch {
        FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
        return 1
    }
}

/// `smol-local-bench batch MODEL [new=64] [threads=2] [sizes=0,1,4,8]`: the engine alone — `new` decode steps of
/// 1, 4 and 8 sessions through one ``DecodeBatch`` (greedy, EOS masked), against one session's own `decode` (size 0).
func runBatchEngineBench(_ args: [String]) -> Int32 {
    guard let path = args.first else { return 2 }
    let newTokens = args.count > 1 ? Int(args[1]) ?? 64 : 64
    KernelThreads.set(args.count > 2 ? Int(args[2]) ?? 2 : 2)
    do {
        let model = try LlamaModel(contentsOf: path)
        let eos = Set(model.config.eosTokenIDs.map(Int32.init))
        func greedy(_ logits: UnsafeBufferPointer<Float>) -> Int32 {
            var best = 0
            for i in logits.indices where logits[i] > logits[best] && !eos.contains(Int32(i)) { best = i }
            return Int32(best)
        }
        var rng = SeededGenerator(seed: 42)
        let sizes = args.count > 3 ? args[3].split(separator: ",").compactMap { Int($0) } : [0, 1, 4, 8]
        for count in sizes {  // 0: one session's own decode
            let sessions = try (0..<max(count, 1)).map { _ in try InferenceSession(model: model, contextLength: 32 + newTokens + 8) }
            for session in sessions { try session.prefill((0..<32).map { _ in Int32(rng.next() % 20_000) }) }
            let batch = try DecodeBatch(model: model, capacity: max(count, 1))
            let start = DispatchTime.now().uptimeNanoseconds
            for _ in 0..<newTokens {
                if count == 0 {
                    try sessions[0].decode(greedy(sessions[0].logits))
                } else {
                    try batch.decode(sessions.map { (session: $0, token: greedy($0.logits)) })
                }
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let label = count == 0 ? "solo decode" : "batch of \(count)"
            print(String(format: "RESULT engine %@: %.1f tok/s aggregate", label, Double(newTokens * max(count, 1)) / seconds))
        }
        return 0
    } catch {
        FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
        return 1
    }
}
