import Foundation

/// Postmark's webhooks: one JSON object per call, unsigned; protected by HTTP basic
/// credentials in the webhook URL, compared here in constant time. The dispatch id is
/// the `dispatch_id` metadata field.
public struct PostmarkEventWebhook: EventWebhook {
    let expected: [UInt8]

    /// A verifier of calls carrying these basic credentials.
    ///
    /// - Parameters:
    ///   - username: the basic-auth user name in the webhook URL.
    ///   - password: its password.
    public init(username: String, password: String) {
        expected = Array(("Basic " + Data("\(username):\(password)".utf8).base64EncodedString()).utf8)
    }

    /// The event of a call with the right credentials; a soft bounce or a record type of no
    /// interest gives none.
    public func events(from request: WebhookRequest, now: Date) throws(WebhookVerificationError) -> [ProviderEvent] {
        guard constantTimeEquals(Array((request.header("Authorization") ?? "").utf8), expected) else {
            throw WebhookVerificationError(.badSignature, "wrong or missing basic credentials")
        }
        guard let object = try jsonObject(request.body) as? [String: Any], let type = object["RecordType"] as? String else {
            throw WebhookVerificationError(.malformed, "expected a RecordType")
        }
        let kinds: [String: ProviderEvent.Kind] = ["Delivery": .delivered, "Open": .opened, "Click": .clicked, "SpamComplaint": .complained]
        var kind = kinds[type]
        if type == "Bounce" { kind = (object["Inactive"] as? Bool) == true ? .bounced : nil }  // soft bounces do not deactivate
        if type == "SubscriptionChange" { kind = (object["SuppressSending"] as? Bool) == true ? .unsubscribed : nil }
        guard let kind, let messageID = object["MessageID"] as? String else { return [] }
        let recipient = (object["Recipient"] as? String) ?? (object["Email"] as? String)
        let stamp = (object["DeliveredAt"] as? String) ?? (object["ReceivedAt"] as? String) ?? (object["BouncedAt"] as? String)
        let time = providerTime(stamp) ?? now
        let id = (object["ID"] as? Int).map(String.init) ?? "\(messageID):\(type):\(stamp ?? "")"
        return [ProviderEvent(id: id, kind: kind, dispatchID: (object["Metadata"] as? [String: Any])?["dispatch_id"] as? String,
                              providerMessageID: messageID, recipient: recipient, url: object["OriginalLink"] as? String, time: time)]
    }
}
