import Crypto
import Foundation

/// Mailgun's webhooks: `{"signature": {"timestamp", "token", "signature"}, "event-data":
/// {...}}`, the signature the hex HMAC-SHA256 of `timestamp + token` under the webhook
/// signing key. The dispatch id is the user variable `dispatch_id`.
public struct MailgunEventWebhook: EventWebhook {
    let signingKey: Data
    let tolerance: TimeInterval

    /// A verifier of calls signed with `signingKey`.
    ///
    /// - Parameters:
    ///   - signingKey: Mailgun's webhook signing key.
    ///   - tolerance: how far the signed timestamp may be from now, in seconds (replays are
    ///     refused).
    public init(signingKey: String, tolerance: TimeInterval = 600) {
        self.signingKey = Data(signingKey.utf8)
        self.tolerance = tolerance
    }

    /// The signature of `timestamp` and `token`.
    public func signature(timestamp: String, token: String) -> String {
        hex(HMAC<SHA256>.authenticationCode(for: Data((timestamp + token).utf8), using: SymmetricKey(data: signingKey)))
    }

    /// The event of a verified call; Mailgun events without a counterpart here (a temporary
    /// failure, say) give none.
    public func events(from request: WebhookRequest, now: Date) throws(WebhookVerificationError) -> [ProviderEvent] {
        guard let object = try jsonObject(request.body) as? [String: Any], let signed = object["signature"] as? [String: Any],
              let timestamp = signed["timestamp"] as? String, let token = signed["token"] as? String,
              let given = signed["signature"] as? String, let data = object["event-data"] as? [String: Any] else {
            throw WebhookVerificationError(.malformed, "expected signature and event-data")
        }
        guard constantTimeEquals(Array(signature(timestamp: timestamp, token: token).utf8), Array(given.lowercased().utf8)) else {
            throw WebhookVerificationError(.badSignature, "the signature does not match")
        }
        guard let seconds = Double(timestamp), abs(now.timeIntervalSince1970 - seconds) <= tolerance else {
            throw WebhookVerificationError(.stale, "the signed timestamp is outside \(Int(tolerance)) s of now")
        }
        let kinds: [String: ProviderEvent.Kind] = ["delivered": .delivered, "opened": .opened, "clicked": .clicked, "complained": .complained,
                                                   "unsubscribed": .unsubscribed]
        guard let name = data["event"] as? String, let id = data["id"] as? String else { return [] }
        var kind = kinds[name]
        // "failed" with severity permanent is a hard bounce; temporary failures are retried by Mailgun.
        if name == "failed" { kind = (data["severity"] as? String) == "permanent" ? .bounced : nil }
        guard let kind else { return [] }
        let message = (data["message"] as? [String: Any])?["headers"] as? [String: Any]
        return [ProviderEvent(id: id, kind: kind, dispatchID: (data["user-variables"] as? [String: Any])?["dispatch_id"] as? String,
                              providerMessageID: message?["message-id"] as? String, recipient: data["recipient"] as? String,
                              url: data["url"] as? String,
                              time: Date(timeIntervalSince1970: (data["timestamp"] as? Double) ?? now.timeIntervalSince1970))]
    }
}
