import Foundation

/// Resend's webhooks, signed by Svix the Standard Webhooks way (`svix-id`,
/// `svix-timestamp`, `svix-signature`): `{"type": "email.delivered", "created_at",
/// "data": {"email_id", "to", "tags", "click": {"link"}}}`. The dispatch id is the tag
/// `dispatch_id`.
public struct ResendEventWebhook: EventWebhook {
    let signature: StandardWebhookSignature
    let tolerance: TimeInterval

    /// A verifier of calls signed with `secret`; a secret that is not `whsec_` and base64 is an
    /// error.
    ///
    /// - Parameters:
    ///   - secret: the webhook's signing secret (`whsec_` and base64).
    ///   - tolerance: how far the signed timestamp may be from now, in seconds (replays are
    ///     refused).
    public init(secret: String, tolerance: TimeInterval = 300) throws(StandardWebhookSignature.InvalidSecret) {
        signature = try StandardWebhookSignature(secret: secret)
        self.tolerance = tolerance
    }

    /// The event of a verified call; an event type of no interest gives none.
    public func events(from request: WebhookRequest, now: Date) throws(WebhookVerificationError) -> [ProviderEvent] {
        guard let id = request.header("svix-id") ?? request.header("webhook-id"),
              let stamp = (request.header("svix-timestamp") ?? request.header("webhook-timestamp")).flatMap({ Int($0) }),
              let header = request.header("svix-signature") ?? request.header("webhook-signature") else {
            throw WebhookVerificationError(.badSignature, "missing svix-id, svix-timestamp or svix-signature")
        }
        guard abs(now.timeIntervalSince1970 - Double(stamp)) <= tolerance else {
            throw WebhookVerificationError(.stale, "the signed timestamp is outside \(Int(tolerance)) s of now")
        }
        guard signature.verify(header: header, id: id, timestamp: stamp, body: request.body, now: now, tolerance: tolerance) else {
            throw WebhookVerificationError(.badSignature, "the signature does not match")
        }
        guard let object = try jsonObject(request.body) as? [String: Any], let type = object["type"] as? String,
              let data = object["data"] as? [String: Any] else {
            throw WebhookVerificationError(.malformed, "expected type and data")
        }
        let kinds: [String: ProviderEvent.Kind] = ["email.delivered": .delivered, "email.opened": .opened, "email.clicked": .clicked,
                                                   "email.bounced": .bounced, "email.complained": .complained]
        guard let kind = kinds[type] else { return [] }
        var dispatch: String?
        if let tags = data["tags"] as? [String: Any] { dispatch = tags["dispatch_id"] as? String }
        if let tags = data["tags"] as? [[String: Any]] { dispatch = tags.first { $0["name"] as? String == "dispatch_id" }?["value"] as? String }
        let recipient = (data["to"] as? [String])?.first ?? data["to"] as? String
        return [ProviderEvent(id: id, kind: kind, dispatchID: dispatch, providerMessageID: data["email_id"] as? String, recipient: recipient,
                              url: (data["click"] as? [String: Any])?["link"] as? String,
                              time: providerTime(object["created_at"] as? String) ?? now)]
    }
}
