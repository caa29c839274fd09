import ConnectorCommandLine
import ConnectorCore
import Delivery

extension Channel {
    /// Slack: a message to a member (a direct message from the bot) or a conversation,
    /// by the id kept as the user's `slack` address (`U024BE7LH`, `C0123456789`).
    public static let slack = Channel("slack")
}

/// What this package adds to the connector: the Slack adapter and the `slack` provider kind.
public enum Slack {
    /// The provider kind `slack`: `token` (a bot token, `xoxb-...`, from `${ENV}`), and
    /// `base_url` for tests (`https://slack.com/api` otherwise).
    public static var providerKinds: ProviderKinds {
        var kinds = ProviderKinds()
        kinds.register("slack", channels: [.slack], fields: ["token", "base_url"]) { entry, _, name in
            let token = try entry.child("token").string()
            guard token.hasPrefix("xox") else {
                throw entry.child("token").fail(.badValue, "a Slack token starts with xoxb- (a bot token)")
            }
            let base = entry.child("base_url").isMissing ? SlackProvider.defaultBaseURL : try entry.child("base_url").url()
            return SlackProvider(name: name, token: token, baseURL: base)
        }
        return kinds
    }

    /// The extensions a `connector` executable registers for Slack.
    public static var extensions: ConnectorExtensions {
        ConnectorExtensions(adapters: [SlackAdapter()], providerKinds: providerKinds)
    }
}
