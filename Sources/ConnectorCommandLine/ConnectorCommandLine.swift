import ConnectorCore
import Delivery
import Foundation

/// The `connector` command-line tool as a library, so that a package adding channels or
/// provider kinds ships a `connector` of its own with every command:
///
/// ```swift
/// // Sources/SlackConnector/main.swift
/// import ConnectorCommandLine
/// import SlackChannel
///
/// await ConnectorCommandLine.main(extensions: ConnectorExtensions(
///     adapters: [SlackAdapter()], providerKinds: Slack.providerKinds))
/// ```
public enum ConnectorCommandLine {
    /// Parses the process's arguments and runs the command, with `extensions` in use by
    /// every command that loads a configuration, renders or serves. Exits the process.
    public static func main(extensions: ConnectorExtensions = ConnectorExtensions()) async {
        await ConnectorExtensions.$current.withValue(extensions) {
            await ConnectorCommand.main()
        }
    }
}

/// What a package adds to the connector: channel adapters (new channels, or replacements
/// of built-in adapters), provider kinds and event webhook kinds.
public struct ConnectorExtensions: Sendable {
    /// The built-in adapters with the package's registered over them.
    public var adapters: AdapterRegistry
    /// The provider kinds configurations may name besides the built-in ones.
    public var providerKinds: ProviderKinds
    /// The event webhook kinds `webhooks:` entries may name besides the built-in ones.
    public var webhookKinds: WebhookKinds

    /// The built-in adapters plus `adapters`, `providerKinds` and `webhookKinds`.
    public init(adapters: [any ChannelAdapter] = [], providerKinds: ProviderKinds = ProviderKinds(), webhookKinds: WebhookKinds = WebhookKinds()) {
        var registry = AdapterRegistry()
        for adapter in adapters { registry.register(adapter) }
        self.adapters = registry
        self.providerKinds = providerKinds
        self.webhookKinds = webhookKinds
    }

    /// The extensions of the running command.
    @TaskLocal static var current = ConnectorExtensions()
}
