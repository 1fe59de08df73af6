import ArgumentParser
import Foundation
import SmolModels

/// `smol chat`: an interactive, streamed conversation that keeps its history.
struct Chat: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with a model interactively (type /exit or press Ctrl-D to leave, /reset to forget).")

    @OptionGroup var model: ModelOptions
    @OptionGroup var generation: GenerationOptions

    @Option(help: "A system prompt.")
    var system: String?

    func run() async throws {
        let chosen = try await model.makeModel()
        let options = try generation.makeOptions()
        let output = Output()
        let interactive = isatty(STDIN_FILENO) != 0
        var history: [ChatMessage] = system.map { [ChatMessage(role: .system, content: .text($0))] } ?? []
        while true {
            if interactive { output.write("> ") }
            guard let line = readLine(strippingNewline: true) else { break }
            let input = line.trimmingCharacters(in: .whitespaces)
            if input.isEmpty { continue }
            if input == "/exit" || input == "/quit" { break }
            if input == "/reset" {
                history = system.map { [ChatMessage(role: .system, content: .text($0))] } ?? []
                continue
            }
            history.append(ChatMessage(role: .user, content: .text(input)))
            var deltas: [ChatMessageStreamDelta] = []
            do {
                for try await delta in chosen.generateStream(history, options: options) {
                    deltas.append(delta)
                    if let text = delta.content { output.write(text) }
                }
            } catch {
                // Keep the conversation usable: report, drop the unanswered turn, carry on.
                output.write("\n")
                FileHandle.standardError.write(Data("error: \(error)\n".utf8))
                history.removeLast()
                continue
            }
            output.write("\n")
            var answer = try agglomerateStreamDeltas(deltas)
            answer.tokenUsage = nil
            history.append(answer)
        }
    }
}
