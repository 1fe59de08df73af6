// Decode/prefill throughput of the local engine: `smol-local-bench MODEL [prompt tokens] [new tokens] [runs] [threads]`.
// Prints one line per run and a best-of summary line starting with "RESULT".
// `smol-local-bench load MODEL [prompt tokens=16] [threads=2]`: what a fresh process does before its first token
// (open and map the file, build the model, prefill the prompt, pick one token), once, then exits; the caller
// times the whole process (scripts/bench/local-engine.sh does, the same way for llama.cpp).
import CSmolKernels
import Foundation
import SmolLocal

let args = CommandLine.arguments
if args.count >= 2, args[1] == "structured" { exit(await runStructuredBench(Array(args.dropFirst(2)))) }
if args.count >= 3, args[1] == "load" { exit(runLoadBench(Array(args.dropFirst(2)))) }
if args.count >= 2, args[1] == "concurrent" { exit(await runConcurrentBench(Array(args.dropFirst(2)))) }
if args.count >= 2, args[1] == "batch" { exit(runBatchEngineBench(Array(args.dropFirst(2)))) }
guard args.count >= 2 else {
    FileHandle.standardError.write("usage: smol-local-bench MODEL.gguf|DIR [prompt=32] [new=128] [runs=3] [threads=2]\n".data(using: .utf8)!)
    exit(2)
}
let promptCount = args.count > 2 ? Int(args[2]) ?? 32 : 32
let newCount = args.count > 3 ? Int(args[3]) ?? 128 : 128
let runs = args.count > 4 ? Int(args[4]) ?? 3 : 3
let threads = args.count > 5 ? Int(args[5]) ?? 2 : 2
KernelThreads.set(threads)
if let isa = ProcessInfo.processInfo.environment["SMOL_ISA"] {
    // scalar / avx2 / avx512, for kernel comparisons.
    let wanted: Int32 = isa == "scalar" ? Int32(CSK_ISA_SCALAR) : isa == "avx2" ? Int32(CSK_ISA_AVX2) : Int32(CSK_ISA_AVX512)
    print("isa:", csk_set_isa(wanted))
}

do {
    let model = try LlamaModel(contentsOf: args[1])
    let session = try InferenceSession(model: model, contextLength: promptCount + newCount + 8)
    let prompt = benchPrompt(promptCount, vocabSize: model.config.vocabSize)
    let eos = Set(model.config.eosTokenIDs.map(Int32.init))
    var bestPrefill = 0.0, bestDecode = 0.0
    for run in 0...runs {  // run 0 warms up
        session.reset()
        let t0 = DispatchTime.now().uptimeNanoseconds
        try session.prefill(prompt)
        let t1 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<newCount {
            // Greedy with EOS masked, so every run decodes exactly `newCount` tokens.
            var best: Int32 = 0
            var bestValue = -Float.infinity
            let logits = session.logits
            for i in logits.indices where logits[i] > bestValue && !eos.contains(Int32(i)) {
                bestValue = logits[i]
                best = Int32(i)
            }
            try session.decode(best)
        }
        let t2 = DispatchTime.now().uptimeNanoseconds
        let prefill = Double(promptCount) / (Double(t1 - t0) / 1e9)
        let decode = newCount == 0 ? 0 : Double(newCount) / (Double(t2 - t1) / 1e9)
        if run > 0 {
            bestPrefill = max(bestPrefill, prefill)
            bestDecode = max(bestDecode, decode)
            print(String(format: "run %d: prefill %.1f tok/s, decode %.1f tok/s", run, prefill, decode))
        }
    }
    print(String(format: "RESULT engine=smol-local weights=%@ threads=%d prefill_tok_s=%.1f decode_tok_s=%.1f",
                 model.weightEncoding, threads, bestPrefill, bestDecode))
} catch {
    FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
    exit(1)
}

/// A fixed pseudo-random prompt (ids in the lower vocabulary), as the llama.cpp side of the benchmark uses.
func benchPrompt(_ count: Int, vocabSize: Int) -> [Int32] {
    var rng = SeededGenerator(seed: 42)
    return (0..<count).map { _ in Int32(rng.next() % UInt64(min(vocabSize, 20000))) }
}

/// `load MODEL [prompt=16] [threads=2]`: load, prefill, one greedy token; prints the phases in milliseconds
/// since this function started (process start-up before it is the caller's to time).
func runLoadBench(_ args: [String]) -> Int32 {
    let start = DispatchTime.now().uptimeNanoseconds
    let promptCount = args.count > 1 ? Int(args[1]) ?? 16 : 16
    let threads = args.count > 2 ? Int(args[2]) ?? 2 : 2
    KernelThreads.set(threads)
    do {
        let model = try LlamaModel(contentsOf: args[0])
        let session = try InferenceSession(model: model, contextLength: promptCount + 8)
        let loaded = DispatchTime.now().uptimeNanoseconds
        try session.prefill(benchPrompt(promptCount, vocabSize: model.config.vocabSize))
        let logits = session.logits
        var best = 0
        for i in logits.indices where logits[i] > logits[best] { best = i }
        let first = DispatchTime.now().uptimeNanoseconds
        print(String(format: "RESULT engine=smol-local weights=%@ threads=%d load_ms=%.1f first_token_ms=%.1f token=%d",
                     model.weightEncoding, threads, Double(loaded - start) / 1e6, Double(first - start) / 1e6, best))
        return 0
    } catch {
        FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
        return 1
    }
}
