import ArgumentParser
import Foundation
import SmolModels

/// `smol`: the command-line face of swift-smolagents.
@main
struct Smol: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smol",
        abstract: "Talk to chat models through swift-smolagents.",
        discussion: """
            Exit status: 0 on success, 2 on a usage error, 1 on a model error (message on stderr).
            With OTEL_EXPORTER_OTLP_ENDPOINT (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) set, each generation's \
            OpenTelemetry GenAI span is exported over OTLP/HTTP (the other OTEL_* variables apply; service name "smol").
            """,
        version: SmolVersion.current,
        subcommands: [Generate.self, Chat.self, Serve.self]
    )

    /// Runs the command with DESIGN.md's exit statuses: usage errors 2 (ArgumentParser's default is 64),
    /// model errors 1 with the message on standard error.
    static func main() async {
        do {
            var command = try parseAsRoot()
            // Spans are exported only when OTEL_EXPORTER_OTLP_*ENDPOINT is set; they are flushed before any exit.
            let telemetry = try Telemetry.start()
            do {
                if var asyncCommand = command as? AsyncParsableCommand {
                    try await asyncCommand.run()
                } else {
                    try command.run()
                }
            } catch {
                await telemetry?.shutdown()
                throw error
            }
            await telemetry?.shutdown()
        } catch let error as Telemetry.ConfigurationError {
            FileHandle.standardError.write(Data("smol: \(error)\n".utf8))
            Foundation.exit(2)
        } catch let error as ModelError {
            FileHandle.standardError.write(Data("smol: \(error)\n".utf8))
            Foundation.exit(1)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                exit(withError: error)
            }
            FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
            if error is CancellationError { Foundation.exit(130) }
            let isUsage = code == .validationFailure || code.rawValue == 64 || error is ValidationError
            Foundation.exit(isUsage ? 2 : 1)
        }
    }
}
