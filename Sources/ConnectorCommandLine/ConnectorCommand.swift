import ArgumentParser

/// The `connector` command-line tool (run by ``ConnectorCommandLine/main(extensions:)``).
struct ConnectorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "connector",
        abstract: "Campaign Connector: follow-up messaging engine and service.",
        discussion: """
            `serve` runs the service (HTTP API, tracking, feeds, webhooks, scheduler, dispatcher); \
            `replay` sends a JSON Lines file of events to it (on its virtual clock with --clock); \
            `sandbox` lists what its sandbox provider captured; `campaigns` lists and changes its \
            campaigns; `check` checks a configuration as `serve` would; `check-templates` checks \
            provider files, templates and campaign files; `render` renders (and \
            --send sends) one campaign's message for a user. `demo` runs example campaigns through the engine and the transport; \
            `check-campaigns` checks campaign files; `ingest` feeds JSON Lines events into a store; \
            `set-status` publishes, stops or archives a campaign; `tick` runs the scheduler once; \
            `drain` delivers the outbox through the configured providers; `waiting`, `outbox` and \
            `messages` list entries, dispatches and kept messages; `workspace` sets the time zone \
            and frequency caps; `trace` shows why a user got (or did not get) a follow-up.
            """,
        subcommands: [
            ServeCommand.self, CheckCommand.self, CheckTemplatesCommand.self, RenderCommand.self, ReplayCommand.self, SandboxCommand.self, CampaignsCommand.self,
            DemoCommand.self, CampaignsCheckCommand.self, ImportUsersCommand.self, WorkspaceCommand.self, IngestCommand.self,
            SetStatusCommand.self, TickCommand.self, DrainCommand.self, WaitingCommand.self, OutboxCommand.self, MessagesCommand.self,
            TraceCommand.self, SendCommand.self,
            IngestSyntheticCommand.self,
        ],
        defaultSubcommand: DemoCommand.self
    )
}
