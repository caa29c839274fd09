import Crypto
import Foundation

/// SendGrid's Event Webhook: a JSON array of events, signed with ECDSA P-256 / SHA-256
/// over `timestamp + body` (`X-Twilio-Email-Event-Webhook-Signature`, base64 DER;
/// `X-Twilio-Email-Event-Webhook-Timestamp`). The dispatch id is the `dispatch_id`
/// custom arg, which SendGrid copies into every event.
public struct SendGridEventWebhook: EventWebhook {
    /// The key's DER (the key type is not Sendable here; one is made per call).
    let publicKeyDER: Data
    let tolerance: TimeInterval

    /// - Parameters:
    ///   - publicKey: the verification key SendGrid shows, base64 of its DER.
    ///   - tolerance: how old a signed timestamp may be, in seconds (replays are refused).
    public init(publicKey: String, tolerance: TimeInterval = 600) throws(WebhookVerificationError) {
        guard let der = Data(base64Encoded: publicKey), (try? P256.Signing.PublicKey(derRepresentation: der)) != nil else {
            throw WebhookVerificationError(.malformed, "the SendGrid verification key is not a base64 DER P-256 public key")
        }
        publicKeyDER = der
        self.tolerance = tolerance
    }

    /// The events of a verified call, in order; blocked (temporary) bounces and event types of
    /// no interest are left out.
    public func events(from request: WebhookRequest, now: Date) throws(WebhookVerificationError) -> [ProviderEvent] {
        guard let signature = request.header("X-Twilio-Email-Event-Webhook-Signature").flatMap({ Data(base64Encoded: $0) }),
              let timestamp = request.header("X-Twilio-Email-Event-Webhook-Timestamp"),
              let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else {
            throw WebhookVerificationError(.badSignature, "missing or malformed signature headers")
        }
        guard let publicKey = try? P256.Signing.PublicKey(derRepresentation: publicKeyDER),
              publicKey.isValidSignature(parsed, for: Data(timestamp.utf8) + request.body) else {
            throw WebhookVerificationError(.badSignature, "the signature does not match")
        }
        guard let seconds = Double(timestamp), abs(now.timeIntervalSince1970 - seconds) <= tolerance else {
            throw WebhookVerificationError(.stale, "the signed timestamp is outside \(Int(tolerance)) s of now")
        }
        guard let items = try jsonObject(request.body) as? [[String: Any]] else {
            throw WebhookVerificationError(.malformed, "expected a JSON array of events")
        }
        return items.compactMap { item in
            let kinds: [String: ProviderEvent.Kind] = ["delivered": .delivered, "open": .opened, "click": .clicked, "bounce": .bounced,
                                                       "dropped": .failed, "spamreport": .complained, "unsubscribe": .unsubscribed,
                                                       "group_unsubscribe": .unsubscribed]
            guard let name = item["event"] as? String, let kind = kinds[name], let id = item["sg_event_id"] as? String else { return nil }
            // A bounce of type "blocked" is temporary; only a hard bounce suppresses.
            if kind == .bounced, (item["type"] as? String) == "blocked" { return nil }
            let messageID = (item["sg_message_id"] as? String).map { String($0.split(separator: ".").first ?? Substring($0)) }
            return ProviderEvent(id: id, kind: kind, dispatchID: item["dispatch_id"] as? String, providerMessageID: messageID,
                                 recipient: item["email"] as? String, url: item["url"] as? String,
                                 time: Date(timeIntervalSince1970: (item["timestamp"] as? Double) ?? now.timeIntervalSince1970))
        }
    }
}
