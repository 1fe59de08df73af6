import Foundation
import SmolCore
import SmolLocal
import Testing

@Suite("config.json and generation_config.json")
struct ModelConfigTests {
    static func config(_ relative: String) throws -> ModelConfig {
        try ModelConfig(configJSONAt: try FixturePaths.fixture(relative))
    }

    @Test("the transformers-5 and hub layouts of the same model give the same configuration")
    func layoutsAgree() throws {
        #expect(try Self.config("tiny-llama/config.json") == Self.config("tiny-llama/config.hub.json"))
        #expect(try Self.config("tiny-qwen2/config.json") == Self.config("tiny-qwen2/config.transformers5.json"))
        #expect(try Self.config("tiny-llama3/config.json") == Self.config("tiny-llama3/config.transformers5.json"))
    }

    @Test("fields: GQA, head_dim, tying, biases, RoPE theta and Llama 3 scaling")
    func fields() throws {
        let llama = try Self.config("tiny-llama/config.json")
        #expect(llama.architecture == .llama && llama.headCount == 4 && llama.kvHeadCount == 2 && llama.headDim == 16)
        #expect(llama.tieWordEmbeddings && !llama.attentionBias && llama.ropeTheta == 10000 && llama.ropeScaling == nil)
        #expect(llama.eosTokenIDs == [2] && llama.bosTokenID == 1 && llama.maxPositions == 256 && llama.vocabSize == 400)
        let qwen = try Self.config("tiny-qwen2/config.json")
        #expect(qwen.architecture == .qwen2 && qwen.attentionBias)
        let llama3 = try Self.config("tiny-llama3/config.json")
        #expect(!llama3.tieWordEmbeddings)
        #expect(llama3.ropeScaling == .init(factor: 8, lowFrequencyFactor: 1, highFrequencyFactor: 4, originalMaxPositions: 32))
    }

    @Test("Llama 3 scaling divides low frequencies by the factor and keeps high ones")
    func llama3Frequencies() throws {
        let scaled = try Self.config("tiny-llama3/config.json")
        var plain = scaled
        plain.ropeScaling = nil
        let a = scaled.ropeInverseFrequencies(), b = plain.ropeInverseFrequencies()
        #expect(a.first == b.first)  // wavelength 2π < 32/4: unchanged
        #expect(abs(a.last! - b.last! / 8) <= 1e-9 * b.last!)  // wavelength > 32: divided by 8
    }

    @Test("bad or unsupported configurations are typed errors naming the key")
    func badConfigs() throws {
        let base = try JSONValue(parsing: try FixturePaths.data(try FixturePaths.fixture("tiny-llama/config.json")))
        func variant(_ key: String, _ value: JSONValue?) -> JSONValue {
            var object = base.objectValue!
            if let value { object[key] = value } else { _ = object.removeValue(forKey: key) }
            return .object(object)
        }
        let cases: [(JSONValue, String)] = [
            (variant("hidden_size", nil), "hidden_size"),
            (variant("hidden_size", .string("64")), "hidden_size"),
            (variant("num_key_value_heads", .int(3)), "num_key_value_heads"),
            (variant("model_type", .string("gpt2")), "model_type"),
            (variant("mlp_bias", .bool(true)), "mlp_bias"),
            (variant("rope_parameters", .object(["rope_type": .string("yarn"), "rope_theta": .double(1e4)])), "rope_scaling"),
            (variant("vocab_size", .int(-5)), "vocab_size"),
        ]
        for (json, key) in cases {
            #expect(throws: ModelFileError.self, "\(key)") { try ModelConfig(hfConfig: json, path: "c.json") }
            do {
                _ = try ModelConfig(hfConfig: json, path: "c.json")
            } catch {
                if case .badConfig("c.json", let k, _) = error { #expect(k == key) } else { Issue.record("\(error)") }
            }
        }
    }

    @Test("generation_config.json: eos as an int or a list, sampling defaults")
    func generationConfig() throws {
        let g = try GenerationConfig(contentsOf: try FixturePaths.fixture("tiny-llama/generation_config.json"))
        #expect(g.eosTokenIDs == [2])
        let list = try GenerationConfig(json: try JSONValue(parsing: #"{"eos_token_id":[128001,128009],"do_sample":true,"temperature":0.6,"top_p":0.9}"#), path: "g")
        #expect(list.eosTokenIDs == [128001, 128009] && list.doSample && list.temperature == 0.6 && list.topP == 0.9)
        #expect(throws: ModelFileError.self) { try GenerationConfig(json: try JSONValue(parsing: #"{"eos_token_id":"x"}"#), path: "g") }
    }
}
