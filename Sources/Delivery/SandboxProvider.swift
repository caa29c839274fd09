import ConnectorCore
import ConnectorStore
import Foundation

/// Keeps every message in the store instead of sending it: the `sandbox` kind captures
/// any channel (read it back with `connector messages` or `MessageLog.keptMessages(_:)` (ConnectorStore)),
/// and the `feed` kind is how in-app messages and content cards reach a user's feed.
/// Keeping the same dispatch twice changes nothing, so it deduplicates.
public struct SandboxProvider: Provider {
    /// The configured name (`sandbox` by default, `feed` for the feed), in attempt records.
    public let name: String
    /// Always true: keeping the same dispatch twice changes nothing.
    public var deduplicates: Bool { true }

    /// A provider that keeps what it is given.
    ///
    /// - Parameters:
    ///   - name: the configured name, in attempt records.
    public init(name: String = "sandbox") { self.name = name }

    /// Keeps the message as JSON in the store (with its expiry, for feed messages); sent, with
    /// the dispatch id as the message id.
    public func send(_ message: OutgoingMessage, context: ProviderContext) async -> ProviderResult {
        let json: Data
        do {
            let encoder = deliveryJSONEncoder()
            json = try encoder.encode(message.message)
        } catch {
            return ProviderResult(.permanent(reason: "the message could not be encoded: \(error)"))
        }
        let expiry: Date?
        switch message.message {
        case .inAppMessage(let inApp): expiry = inApp.expiresAt
        case .contentCard(let card): expiry = card.expiresAt
        default: expiry = nil
        }
        let kept = KeptMessage(dispatchID: message.dispatch.id, userID: message.dispatch.userID, campaign: message.dispatch.followUp,
                               channel: message.dispatch.channel, provider: name, at: message.sentAt, expiresAt: expiry, json: json)
        do {
            try await context.store.keep(kept)
            return ProviderResult(.sent(providerMessageID: message.dispatch.id))
        } catch {
            return ProviderResult(.retryable(after: nil, reason: "the store could not keep the message: \(error)"))
        }
    }
}
