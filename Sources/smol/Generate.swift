import ArgumentParser
import Foundation
import SmolModels

/// `smol generate`: one generation, printed as text or JSON, streamed or whole.
struct Generate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate one answer from a model.",
        discussion: """
            Examples:
              smol generate --api-base http://127.0.0.1:8080/v1 --api-key none --model-id smollm2 "Hello!"
              smol generate --model-id gpt-4o-mini --stream --stop Observation: --param temperature=0 "Count to 5"
              smol generate --model-type InferenceClientModel --provider together --model-id meta-llama/Llama-3.3-70B-Instruct --messages chat.json --json
            """)

    @OptionGroup var model: ModelOptions
    @OptionGroup var generation: GenerationOptions

    @Flag(help: "Print text as it arrives.")
    var stream = false

    @Flag(help: "Print the final message as one JSON object (smolagents' dict shape, without raw); with --stream, one JSON delta per line first.")
    var json = false

    @Option(help: "A JSON file with an array of smolagents-style messages (content a string or a list of blocks).")
    var messages: String?

    @Argument(help: "The prompt (a user message), when --messages is not given.")
    var prompt: String?

    func validate() throws {
        if messages == nil, prompt == nil { throw ValidationError("give a PROMPT or --messages FILE") }
        if messages != nil, prompt != nil { throw ValidationError("give either a PROMPT or --messages FILE, not both") }
    }

    func run() async throws {
        let conversation = try messages.map(readMessages) ?? [ChatMessage(role: .user, content: .text(prompt ?? ""))]
        let options = try generation.makeOptions()
        let chosen = try await model.makeModel()
        let output = Output()
        let message: ChatMessage
        if stream {
            var deltas: [ChatMessageStreamDelta] = []
            for try await delta in chosen.generateStream(conversation, options: options) {
                deltas.append(delta)
                if json {
                    output.line(delta.json.description)
                } else if let text = delta.content {
                    output.write(text)
                }
            }
            message = try agglomerateStreamDeltas(deltas)
            if !json { output.write("\n") }
        } else {
            message = try await chosen.generate(conversation, options: options)
            if !json { output.line(message.text ?? "") }
        }
        if json {
            output.line(message.json(includingRaw: false).description)
        } else if let calls = message.toolCalls, !calls.isEmpty {
            for call in calls {
                let line: JSONValue = ["tool": .string(call.function.name), "arguments": parseJSONIfNeeded(call.function.arguments)]
                output.line(line.description)
            }
        }
    }
}

/// Reads a `--messages` file: smolagents-style messages; OpenAI's `tool` role is read as `tool-response`.
func readMessages(_ path: String) throws -> [ChatMessage] {
    guard case .array(let items) = try readJSON(path, flag: "--messages") else {
        throw ValidationError("--messages: the file must hold a JSON array of messages")
    }
    return try items.enumerated().map { index, item in
        var item = item
        if item["role"] == "tool", case .object(var object) = item {
            object["role"] = "tool-response"
            item = .object(object)
        }
        do {
            return try ChatMessage(json: item, location: "messages[\(index)]")
        } catch {
            throw ValidationError("--messages: \(error)")
        }
    }
}

/// Unbuffered writes to standard output, so streamed text shows as it arrives.
struct Output {
    func write(_ text: String) { FileHandle.standardOutput.write(Data(text.utf8)) }
    func line(_ text: String) { write(text + "\n") }
}
