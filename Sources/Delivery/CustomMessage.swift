import ConnectorCore
import Foundation

/// A message rendered for a channel a package adds: its recipient and the rendered
/// fields its provider sends (for Slack: the conversation and `text`, `blocks`).
///
/// A declarative provider file sees it as `message.recipient` and `message.fields.NAME`.
public struct CustomMessage: Codable, Sendable, Equatable {
    /// The package's channel it goes out on.
    public var channel: Channel
    /// Where it goes: the user's address on the channel (a Slack member or conversation id).
    public var recipient: String
    /// The rendered fields, by name.
    public var fields: [String: String]

    /// A rendered message for a package's channel.
    ///
    /// - Parameters:
    ///   - channel: the channel it goes out on.
    ///   - recipient: the user's address on the channel.
    ///   - fields: the rendered fields, by name.
    public init(channel: Channel, recipient: String, fields: [String: String]) {
        self.channel = channel
        self.recipient = recipient
        self.fields = fields
    }
}
