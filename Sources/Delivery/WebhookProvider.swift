import ConnectorCore
import CurlTransport
import Foundation

/// Calls a URL for each message, signed the Standard Webhooks way: `webhook-id` is the
/// dispatch's idempotency key (so receivers deduplicate), `webhook-timestamp` the send
/// time, `webhook-signature` `v1,` + HMAC-SHA256 of `id.timestamp.body`.
///
/// A webhook-channel message goes to its own method, URL, headers and body; any other
/// message is POSTed as JSON to the configured `url`. Redirects are not followed, and
/// the answer is read up to 64 KiB. The provider message id is the `webhook-id`.
public struct WebhookProvider: HTTPProvider {
    /// The configured name, in attempt records.
    public let name: String
    /// Whether receivers deduplicate by the `webhook-id` (true by default).
    public let deduplicates: Bool
    /// Where non-webhook messages go (and webhook messages too, when set).
    public let url: String?
    let signature: StandardWebhookSignature?
    let headers: [Header]
    let timeouts: Timeouts?

    /// A webhook provider; a secret that is not `whsec_` and base64 is an error.
    ///
    /// - Parameters:
    ///   - name: the configured name, in attempt records.
    ///   - url: where messages go; nil sends webhook messages to their own URL (other messages
    ///     then fail).
    ///   - secret: the Standard Webhooks signing secret (`whsec_` and base64); nil sends
    ///     unsigned, with a `webhook-id` only.
    ///   - headers: headers added to every request.
    ///   - deduplicates: whether receivers deduplicate by the `webhook-id`.
    ///   - timeouts: connect and total timeouts of each request.
    public init(name: String = "webhook", url: String? = nil, secret: String? = nil, headers: [Header] = [], deduplicates: Bool = true,
                timeouts: Timeouts? = nil) throws(StandardWebhookSignature.InvalidSecret) {
        self.name = name
        self.url = url
        self.signature = try secret.map { secret throws(StandardWebhookSignature.InvalidSecret) in try StandardWebhookSignature(secret: secret) }
        self.headers = headers
        self.deduplicates = deduplicates
        self.timeouts = timeouts
    }

    /// A webhook message's own call (when no `url` is set), or the message and its dispatch as
    /// JSON POSTed to `url`; signed when there is a secret.
    public func request(for message: OutgoingMessage) throws(ProviderRequestError) -> HTTPRequest {
        var method = HTTPMethod.post
        var target = url
        var extra: [Header] = []
        var body: Data
        if case .webhook(let hook) = message.message, url == nil {
            method = HTTPMethod(rawValue: hook.method)
            target = hook.url
            extra = hook.headers
            body = Data((hook.body ?? "").utf8)
        } else {
            do {
                let encoder = deliveryJSONEncoder()
                body = try encoder.encode(WebhookEnvelope(dispatch: message.dispatch, message: message.message))
            } catch {
                throw ProviderRequestError("the message could not be encoded as JSON: \(error)")
            }
        }
        guard let target else { throw ProviderRequestError("no URL: the provider has no url and the message is not a webhook") }
        var request = HTTPRequest(method: method, url: target)
        request.redirects = .none
        request.maxResponseSize = 64 << 10
        request.timeouts = timeouts
        for header in headers + extra { request.headers.add(name: header.name, value: header.value) }
        if !request.headers.contains(name: "Content-Type"), !body.isEmpty { request.headers.add(name: "Content-Type", value: "application/json") }
        if let signature {
            let stamp = Int(message.sentAt.timeIntervalSince1970)
            for (name, value) in signature.headers(id: message.idempotencyKey, timestamp: stamp, body: body) {
                request.headers.replaceOrAdd(name: name, value: value)
            }
        } else {
            request.headers.replaceOrAdd(name: "webhook-id", value: message.idempotencyKey)
        }
        if method != .get || !body.isEmpty { request.body = Array(body) }
        return request
    }

    /// 410 is a bad address (the endpoint is gone); otherwise
    /// ``standardOutcome(of:messageID:now:)``, with the `webhook-id` as the message id.
    public func classify(_ response: HTTPResponse, for message: OutgoingMessage) -> ProviderOutcome {
        if response.status == 410 { return .badAddress(reason: "HTTP 410: the endpoint is gone") }
        // Standard Webhooks has no id in the answer: the receiver knows the send by its webhook-id.
        return standardOutcome(of: response, messageID: message.idempotencyKey, now: message.sentAt)
    }
}

/// What the webhook provider POSTs for a message of another channel.
struct WebhookEnvelope: Encodable {
    var dispatch: Dispatch
    var message: ChannelMessage

    enum CodingKeys: String, CodingKey { case dispatchID = "dispatch_id", campaign, user, channel, message }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(dispatch.id, forKey: .dispatchID)
        try container.encode(dispatch.followUp.rawValue, forKey: .campaign)
        try container.encode(dispatch.userID.rawValue, forKey: .user)
        try container.encode(dispatch.channel.rawValue, forKey: .channel)
        try container.encode(message, forKey: .message)
    }
}
