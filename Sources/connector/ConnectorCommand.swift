import ArgumentParser

/// The `connector` command-line tool.
@main
struct ConnectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector",
        abstract: "Campaign Connector: follow-up messaging engine and service.",
        discussion: """
            The engine, its store and the libcurl transport work; the service and the channel \
            adapters are being built. `demo` runs example campaigns through the engine and the \
            transport; `check-campaigns` checks campaign files; `ingest` feeds JSON Lines events \
            into a store; `set-status` publishes, stops or archives a campaign; `tick` runs the \
            scheduler once; `waiting` and `outbox` list entries and dispatches; `workspace` sets the \
            time zone and frequency caps; `trace` shows why a user got (or did not get) a follow-up.
            """,
        subcommands: [
            DemoCommand.self, CampaignsCheckCommand.self, ImportUsersCommand.self, WorkspaceCommand.self, IngestCommand.self,
            SetStatusCommand.self, TickCommand.self, WaitingCommand.self, OutboxCommand.self, TraceCommand.self, SendCommand.self,
            IngestSyntheticCommand.self,
        ],
        defaultSubcommand: DemoCommand.self
    )
}
