// `smol-local-bench structured MODEL [runs=3] [threads=2]`: decode tokens/s of TransformersModel with and
// without a JSON-schema constraint, same prompt, same sampling (temperature 1, top-k 50, fixed seeds).
import Foundation
import SmolCore
import SmolLocal

/// Decode rate of one streamed generation: tokens after the first over the time after the first delta,
/// so prompt processing is left out.
private func decodeRate(_ model: TransformersModel, _ messages: [ChatMessage], _ options: GenerateOptions) async throws
    -> (tokensPerSecond: Double, tokens: Int, text: String)
{
    var first: UInt64?
    var tokens = 0
    var text = ""
    for try await delta in model.generateStream(messages, options: options) {
        if first == nil, delta.content != nil { first = DispatchTime.now().uptimeNanoseconds }
        text += delta.content ?? ""
        if let usage = delta.tokenUsage { tokens = usage.outputTokens }
    }
    let end = DispatchTime.now().uptimeNanoseconds
    let seconds = Double(end - (first ?? end)) / 1e9
    return (seconds > 0 ? Double(max(tokens - 1, 0)) / seconds : 0, tokens, text)
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
            let cold = try await decodeRate(model, messages, options(100, true))
            var bestFree = 0.0, bestConstrained = 0.0
            var freeTokens = 0, constrainedTokens = 0
            for run in 0...runs {  // run 0 warms up
                let free = try await decodeRate(model, messages, options(run, false))
                let constrained = try await decodeRate(model, messages, options(run, true))
                guard run > 0 else { continue }
                print(String(format: "%@ run %d: unconstrained %.1f tok/s (%d tokens), constrained %.1f tok/s (%d tokens)",
                             name, run, free.tokensPerSecond, free.tokens, constrained.tokensPerSecond, constrained.tokens))
                if free.tokensPerSecond > bestFree { (bestFree, freeTokens) = (free.tokensPerSecond, free.tokens) }
                if constrained.tokensPerSecond > bestConstrained {
                    (bestConstrained, constrainedTokens) = (constrained.tokensPerSecond, constrained.tokens)
                }
            }
            let overhead = (1 - bestConstrained / bestFree) * 100
            rows.append(String(format: "| %-42@ | %8.1f (%3d) | %8.1f (%3d) | %7.1f%% | %8.1f (%3d) |", name as NSString,
                               bestFree, freeTokens, bestConstrained, constrainedTokens, overhead,
                               cold.tokensPerSecond, cold.tokens))
        }
        print("\nSmolLM2 decode tokens/s (best of \(runs), tokens generated in brackets; 'cold' = first call with that schema: trie and masks built)")
        print("| workload                                   | unconstrained  | constrained    | overhead | cold           |")
        print("|--------------------------------------------|----------------|----------------|----------|----------------|")
        for row in rows { print(row) }
        return 0
    } catch {
        FileHandle.standardError.write("error: \(error)\n".data(using: .utf8)!)
        return 1
    }
}
