import ArgumentParser
import SmolModels

/// `smol`: the command-line face of swift-smolagents.
@main
struct Smol: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "smol",
        abstract: "Talk to chat models through swift-smolagents: remote APIs and local engines.",
        discussion: """
            The model commands (generate, chat) arrive with the backends. Exit status: 0 on success, \
            2 on a usage error, 1 on a model error.
            """,
        version: SmolVersion.current,
        subcommands: []
    )
}
