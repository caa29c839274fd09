import ArgumentParser

/// The `connector` command-line tool.
@main
struct ConnectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector",
        abstract: "Campaign Connector: follow-up messaging engine and service.",
        discussion: """
            The service, the engine and the channel adapters are being built; today the tool \
            exercises the libcurl transport every channel adapter sends through.
            """,
        subcommands: [DemoCommand.self, SendCommand.self, IngestSyntheticCommand.self],
        defaultSubcommand: DemoCommand.self
    )
}
