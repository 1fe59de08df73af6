// `smol-local-bench structured MODEL [runs=3] [threads=2]`: TransformersModel with and without a JSON-schema
// constraint, same prompts, same sampling (temperature 1, top-k 50, same seeds): tokens/s, and the constraint's
// own cost per token measured inside the decode loop (the outputs differ in length, so tokens/s alone would
// compare different work).
import Foundation
import SmolCore
import SmolLocal

/// One generation: wall seconds, tokens generated, and where the time of choosing tokens went.
private struct Run {
    var seconds: Double
    var tokens: Int
    var constraintSeconds: Double
    var samplingSeconds: Double
    var masksComputed: Int

    init(_ model: TransformersModel, _ messages: [ChatMessage], _ options: GenerateOptions) async throws {
        let start = DispatchTime.now().uptimeNanoseconds
        let answer = try await model.generate(messages, options: options)
        seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        tokens = answer.tokenUsage?.outputTokens ?? 0
        let stats = answer.raw?["decode_stats"]
        constraintSeconds = stats?["constraint_seconds"]?.doubleValue ?? 0
        samplingSeconds = stats?["sampling_seconds"]?.doubleValue ?? 0
        masksComputed = stats?["masks_computed"]?.intValue ?? 0
    }
}

func runStructuredBench(_ args: [String]) async -> Int32 {
    guard let path = args.first else {
        FileHandle.standardError.write("usage: smol-local-bench structured MODEL.gguf [runs=3] [threads=2]\n".data(using: .utf8)!)
        return 2
    }
    let runs = args.count > 1 ? Int(args[1]) ?? 3 : 3
    KernelThreads.set(args.count > 2 ? Int(args[2]) ?? 2 : 2)
    do {
        let model = try TransformersModel(modelID: path)
        let story = try JSONValue(parsing: #"{"type":"object","properties":{"title":{"type":"string"},"story":{"type":"string"}},"required":["title","story"],"additionalProperties":false}"#)
        let records = try JSONValue(parsing: #"{"type":"object","properties":{"people":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string","maxLength":24},"age":{"type":"integer","minimum":0,"maximum":120},"email":{"type":"string","format":"email"},"tags":{"type":"array","items":{"enum":["friend","family","work"]},"maxItems":3}},"required":["name","age","email","tags"],"additionalProperties":false}}},"required":["people"],"additionalProperties":false}"#)
        let workloads: [(String, String, ResponseFormat)] = [
            ("free text in a JSON string", "Write a long story about a dragon, as JSON with a title and the story.",
             .jsonSchema(name: "story", schema: story)),
            ("records (arrays, integers, email, enums)", "List many people with their name, age, email and tags, as JSON.",
             .jsonSchema(name: "people", schema: records)),
            ("json_object", "Describe a city in detail as a JSON object.", .jsonObject),
        ]
        let newTokens = 128
        var rows: [String] = []
        for (name, prompt, format) in workloads {
            let messages = [ChatMessage(role: .user, text: prompt)]
            func options(_ seed: Int, _ constrained: Bool) -> GenerateOptions {
                GenerateOptions(responseFormat: constrained ? format : nil,
                                parameters: ["do_sample": true, "temperature": 1, "seed": .int(seed), "max_new_tokens": .int(newTokens)])
            }
            let cold = try await Run(model, messages, options(100, true))
            var free: [Run] = [], constrained: [Run] = []
            for run in 0...runs {  // run 0 warms up
                let f = try await Run(model, messages, options(run, false))
                let c = try await Run(model, messages, options(run, true))
                guard run > 0 else { continue }
                free.append(f)
                constrained.append(c)
                print(String(format: "%@ run %d: unconstrained %.1f tok/s (%d tokens), constrained %.1f tok/s (%d tokens, %d masks computed)",
                             name, run, Double(f.tokens) / f.seconds, f.tokens, Double(c.tokens) / c.seconds, c.tokens, c.masksComputed))
            }
            func total(_ runs: [Run], _ key: (Run) -> Double) -> Double { runs.reduce(0) { $0 + key($1) } }
            let freeTokens = total(free) { Double($0.tokens) }, constrainedTokens = total(constrained) { Double($0.tokens) }
            let freeRate = freeTokens / total(free) { $0.seconds }
            let constrainedRate = constrainedTokens / total(constrained) { $0.seconds }
            // The constraint's own cost per token: masks and state updates, plus the extra sampling time of masking.
            let maskMicros = total(constrained) { $0.constraintSeconds } / constrainedTokens * 1e6
            let extraSampling = (total(constrained) { $0.samplingSeconds } / constrainedTokens
                - total(free) { $0.samplingSeconds } / freeTokens) * 1e6
            let perToken = 1e6 / freeRate
            // Masked sampling has been measured faster (fewer finite scores), so only a positive difference counts.
            let overhead = (maskMicros + max(0, extraSampling)) / perToken * 100
            rows.append(String(format: "| %-40@ | %8.1f | %10.1f | %8.1f | %12.1f | %7.2f%% | %7.0f | %8.1f |",
                               name as NSString, freeRate, constrainedRate, maskMicros, extraSampling, overhead,
                               cold.constraintSeconds / Double(max(cold.tokens, 1)) * 1e6, Double(cold.tokens) / cold.seconds))
        }
        print("""

        SmolLM2-135M Q4_1, \(runs) runs of up to \(newTokens) tokens per workload at temperature 1 (same seeds both ways).
        tok/s = tokens / wall time of generate (prompt included). mask µs = constraint time per token (mask lookup or
        trie walk, budget masks, state update); +sampling µs = extra sampling time per token from applying the mask;
        overhead = (mask + max(0, extra sampling)) / unconstrained time per token. cold = first call with that schema
        (trie build excluded only for later workloads; masks all computed): constraint µs per token and tok/s.
        | workload                                 | free t/s | constr t/s |  mask µs | +sampling µs | overhead | cold µs | cold t/s |
        |------------------------------------------|----------|------------|----------|--------------|----------|---------|----------|
        """)
        for row in rows { print(row) }
        return 0
    } catch {
        FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
        return 1
    }
}
