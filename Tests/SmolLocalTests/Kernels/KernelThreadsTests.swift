import SmolLocal
import Testing

@Suite("kernel thread count")
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
}
