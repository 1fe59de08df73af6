import Foundation
import SmolCore
@testable import SmolLocal
import Testing

/// Issue 15: concurrent requests to one local model are decoded together, and each gets what it gets alone.
@Suite("Continuous batching on the real SmolLM2", .serialized)
struct ContinuousBatchingTests {
    struct Job: Sendable {
        var prompt: String
        var options: GenerateOptions
    }

    static let schema: JSONValue = [
        "type": "object",
        "properties": ["city": ["type": "string"], "population": ["type": "integer"]],
        "required": ["city", "population"],
    ]

    /// Eight different prompts, greedy, 32 new tokens; one with a stop sequence, one with a JSON schema.
    static let jobs: [Job] = {
        let greedy: JSONObject = ["max_new_tokens": 32]
        var jobs = ["What is the capital of France?", "Write a haiku about the sea.", "Name three primary colors.",
                    "How many legs does a spider have?", "Explain photosynthesis in one sentence.",
                    "What is 12 times 12?"].map { Job(prompt: $0, options: GenerateOptions(parameters: greedy)) }
        jobs.append(Job(prompt: "Count from one to twenty in words, separated by commas.",
                        options: GenerateOptions(stopSequences: ["seven"], parameters: greedy)))
        jobs.append(Job(prompt: "Give the largest city of Japan and its population. Answer in JSON.",
                        options: GenerateOptions(responseFormat: .jsonSchema(name: "city", schema: schema), parameters: greedy)))
        return jobs
    }()

    static func run(_ job: Job, on model: TransformersModel) async throws -> ChatMessage {
        try await model.generate([ChatMessage(role: .user, text: job.prompt)], options: job.options)
    }

    @Test("8 concurrent greedy generations (a stop sequence and a JSON schema among them) each give the text they give alone")
    func concurrentMatchesAlone() async throws {
        let path = try FixturePaths.smolLM2GGUF()
        // Alone: a fresh model each, so no prompt reuses another's cached prefix (its prefill is cut the same way).
        var alone: [ChatMessage] = []
        for job in Self.jobs { alone.append(try await Self.run(job, on: try TransformersModel(modelID: path))) }
        let model = try TransformersModel(modelID: path)
        let together = try await withThrowingTaskGroup(of: (Int, ChatMessage).self) { group in
            for (i, job) in Self.jobs.enumerated() { group.addTask { (i, try await Self.run(job, on: model)) } }
            var out: [Int: ChatMessage] = [:]
            for try await (i, answer) in group { out[i] = answer }
            return out
        }
        for i in Self.jobs.indices {
            let answer = try #require(together[i])
            #expect(answer.text == alone[i].text, "job \(i)")
            #expect(answer.finishReason == alone[i].finishReason, "job \(i)")
            #expect(answer.tokenUsage == alone[i].tokenUsage, "job \(i)")
        }
        let stopped = alone[6].text ?? ""
        #expect(alone[6].finishReason == "stop" && !stopped.contains("seven"), "\(stopped)")
        #expect(alone[0].tokenUsage?.outputTokens ?? 0 > 4)
        let document = alone[7].text ?? ""
        if alone[7].finishReason == "stop" { #expect(throws: Never.self) { try JSONValue(parsing: Array(document.utf8)) } }
    }

    @Test("a cancelled stream leaves the batch while the others finish")
    func cancellationLeavesBatch() async throws {
        let model = try TransformersModel(modelID: try FixturePaths.smolLM2GGUF())
        let job = Self.jobs[1]
        let expected = try await Self.run(job, on: try TransformersModel(modelID: try FixturePaths.smolLM2GGUF()))
        async let finished = Self.run(job, on: model)
        let stream = model.generateStream([ChatMessage(role: .user, text: "Tell me a long story.")],
                                          options: GenerateOptions(parameters: ["max_new_tokens": 400]))
        var pieces = 0
        for try await _ in stream {
            pieces += 1
            if pieces == 3 { break }
        }
        #expect(try await finished.text == expected.text)
    }
}
