import Foundation

/// Whether a user wants messages on a channel.
public enum SubscriptionState: String, Codable, Sendable {
    case optedIn = "opted_in"
    case subscribed
    case unsubscribed
}

/// A person messages go to.
public struct User: Codable, Sendable, Equatable {
    public var id: UserID
    public var attributes: [String: AttributeValue]
    /// IANA time zone name, e.g. `Europe/Berlin`; nil uses the workspace's.
    public var timeZone: String?
    /// Address per channel: email address, phone number, push token, a custom channel's
    /// recipient (a Slack member id). Webhooks, in-app messages and content cards need none.
    public var addresses: [Channel: String]
    /// Subscription per channel; a channel not listed counts as `subscribed`.
    public var subscriptions: [Channel: SubscriptionState]

    public init(
        id: UserID,
        attributes: [String: AttributeValue] = [:],
        timeZone: String? = nil,
        addresses: [Channel: String] = [:],
        subscriptions: [Channel: SubscriptionState] = [:]
    ) {
        self.id = id
        self.attributes = attributes
        self.timeZone = timeZone
        self.addresses = addresses
        self.subscriptions = subscriptions
    }

    /// Whether the user can be sent `channel`: an address (webhook needs none) and not unsubscribed.
    public func isReachable(on channel: Channel) -> Bool {
        if subscriptions[channel] == .unsubscribed { return false }
        return !channel.needsAddress || addresses[channel] != nil
    }
}
