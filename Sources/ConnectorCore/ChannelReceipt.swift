import Foundation

/// A message the user received on a channel: the receipts that frequency caps count (R19).
public struct ChannelReceipt: Sendable, Hashable {
    /// When it was received.
    public var time: Date
    /// The channel it came on.
    public var channel: Channel

    public init(time: Date, channel: Channel) {
        self.time = time
        self.channel = channel
    }
}
