import Crypto
import Foundation

/// Twilio's message status callbacks: a form POST to the `StatusCallback` URL (which
/// carries `dispatch_id`), signed with `X-Twilio-Signature` = base64 HMAC-SHA1 under the
/// auth token of the full URL followed by every parameter name and value, sorted by name.
public struct TwilioStatusCallback: EventWebhook {
    let authToken: Data

    /// A verifier of callbacks signed with `authToken`.
    ///
    /// - Parameters:
    ///   - authToken: the account's auth token, which signs the callbacks.
    public init(authToken: String) { self.authToken = Data(authToken.utf8) }

    /// The signature of a call to `url` with form `parameters`.
    public func signature(url: String, parameters: [(String, String)]) -> String {
        let text = url + parameters.sorted { $0.0 < $1.0 }.map { $0.0 + $0.1 }.joined()
        return Data(HMAC<Insecure.SHA1>.authenticationCode(for: Data(text.utf8), using: SymmetricKey(data: authToken))).base64EncodedString()
    }

    /// The event of a verified callback: delivered, unsubscribed (STOP) or failed for a dead
    /// number; other statuses give none.
    public func events(from request: WebhookRequest, now: Date) throws(WebhookVerificationError) -> [ProviderEvent] {
        let parameters = Self.form(request.body)
        guard let given = request.header("X-Twilio-Signature"),
              constantTimeEquals(Array(signature(url: request.url, parameters: parameters).utf8), Array(given.utf8)) else {
            throw WebhookVerificationError(.badSignature, "the signature does not match")
        }
        let fields = Dictionary(parameters, uniquingKeysWith: { first, _ in first })
        guard let sid = fields["MessageSid"], let status = fields["MessageStatus"] else {
            throw WebhookVerificationError(.malformed, "expected MessageSid and MessageStatus")
        }
        let kind: ProviderEvent.Kind
        switch (status, fields["ErrorCode"] ?? "") {
        case ("delivered", _): kind = .delivered
        // The recipient replied STOP.
        case ("undelivered", "21610"), ("failed", "21610"): kind = .unsubscribed
        // Unknown number, landline, invalid or not mobile: the address is dead. Other
        // failures (an unreachable handset, carrier filtering) say nothing about it.
        case ("undelivered", "30005"), ("undelivered", "30006"), ("failed", "21211"), ("failed", "21614"), ("failed", "30005"), ("failed", "30006"):
            kind = .failed
        default: return []
        }
        let dispatch = URLComponents(string: request.url)?.queryItems?.first { $0.name == "dispatch_id" }?.value
        return [ProviderEvent(id: "\(sid):\(status)", kind: kind, dispatchID: dispatch, providerMessageID: sid, recipient: fields["To"], time: now)]
    }

    /// The form's pairs in order, decoded (`+` is a space).
    static func form(_ body: Data) -> [(String, String)] {
        String(decoding: body, as: UTF8.self).split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
            }
            return (parts[0], parts.count > 1 ? parts[1] : "")
        }
    }
}
