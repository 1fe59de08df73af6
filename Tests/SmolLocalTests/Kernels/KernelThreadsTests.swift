import SmolCore
import SmolLocal
import Testing

@Suite("kernel thread count", .serialized)
struct KernelThreadsTests {
    @Test("the count is clamped and the model gives identical logits with one or two threads")
    func oneAndTwoThreadsAgree() throws {
        let before = KernelThreads.count
        defer { KernelThreads.set(before) }
        #expect(KernelThreads.set(0) == 1)
        #expect(KernelThreads.set(99) == 16)
        let model = try LlamaModel(contentsOf: try FixturePaths.fixture("tiny-qwen2"))
        let ids: [Int32] = [1, 85, 91, 85, 325, 79, 201, 387, 347, 260, 223, 268, 78]
        var results: [[Float]] = []
        for threads in [1, 2] {
            KernelThreads.set(threads)
            let session = try InferenceSession(model: model)
            try session.prefill(ids)
            try session.decode(5)
            results.append(session.copyLogits())
        }
        // Rows are computed by exactly one thread whatever the split, so the results are bit-identical.
        #expect(results[0] == results[1])
    }

    @Test("a model's own thread count caps its generations without changing what other models use")
    func perModelThreads() async throws {
        let path = try FixturePaths.fixture("tiny-llama")
        let one = try TransformersModel(modelID: path, maxNewTokens: 8, threads: 1)
        let pool = KernelThreads.count
        let shared = try TransformersModel(modelID: path, maxNewTokens: 8)
        #expect(one.threads == 1)
        #expect(shared.threads == pool)
        let more = try TransformersModel(modelID: path, maxNewTokens: 8, threads: pool + 1)
        #expect(more.threads == pool + 1 && KernelThreads.count == pool + 1)  // the pool grew for it
        #expect(shared.threads == pool && one.threads == 1)  // the others kept theirs
        let messages = [ChatMessage(role: .user, text: "Hello there")]
        let answers = try await [one, shared, more].asyncMap { try await $0.generate(messages, options: GenerateOptions()).text }
        #expect(Set(answers).count == 1, "\(answers)")
        KernelThreads.set(pool)
    }
}

extension Array {
    fileprivate func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
