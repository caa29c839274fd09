import ConnectorCore
import Crypto
import Delivery
import Foundation
import Testing

/// Provider event webhooks: the signature vectors of PROVIDERS.md, a tampered body and an
/// old timestamp refused, and events read into interactions and suppressions.
@Suite("Provider event webhooks: verified over the raw bytes, read into events")
struct EventWebhookTests {
    let dispatch = Dispatch(entry: WaitingEntry(followUp: "F", campaignVersion: 1, userID: "ada", triggerEventID: "e1",
                                                triggerTime: deliveryStart, dueAt: deliveryStart),
                            channel: .email, campaignVersion: 1, createdAt: deliveryStart)

    @Test("Mailgun: the spec's vector; events with the dispatch id from user-variables; tampered and stale calls refused")
    func mailgun() throws {
        let hook = MailgunEventWebhook(signingKey: "webhook-signing-key-123")
        #expect(hook.signature(timestamp: "1795921300", token: String(repeating: "a", count: 50))
                == "502884b270bf6ea12da28721ced05dc3e566ee9e897a90e03266b0989756ff1c")
        func call(_ event: String, signature: String? = nil, timestamp: String = "1795921300") -> WebhookRequest {
            let token = String(repeating: "a", count: 50)
            let signed = signature ?? hook.signature(timestamp: timestamp, token: token)
            let body = #"{"signature": {"timestamp": "\#(timestamp)", "token": "\#(token)", "signature": "\#(signed)"}, "event-data": \#(event)}"#
            return WebhookRequest(url: "https://c.example/mailgun", headers: [], body: Data(body.utf8))
        }
        let now = Date(timeIntervalSince1970: 1_795_921_310)
        let opened = #"{"event": "opened", "id": "ev-1", "timestamp": 1795921300.5, "recipient": "ada@example.com", "user-variables": {"dispatch_id": "\#(dispatch.id)"}, "message": {"headers": {"message-id": "m-1@mg.example.com"}}}"#
        let events = try hook.events(from: call(opened), now: now)
        #expect(events == [ProviderEvent(id: "ev-1", kind: .opened, dispatchID: dispatch.id, providerMessageID: "m-1@mg.example.com",
                                         recipient: "ada@example.com", time: Date(timeIntervalSince1970: 1_795_921_300.5))])
        #expect(events[0].interaction(for: dispatch, provider: "mailgun")?.payload == .interaction(Interaction(kind: .emailOpened, campaign: "F")))
        let bounce = #"{"event": "failed", "severity": "permanent", "id": "ev-2", "recipient": "ada@example.com"}"#
        #expect(try hook.events(from: call(bounce), now: now).first?.suppresses == true)
        let soft = #"{"event": "failed", "severity": "temporary", "id": "ev-3"}"#
        #expect(try hook.events(from: call(soft), now: now).isEmpty, "a temporary failure says nothing about the address")
        var tampered = call(opened)
        tampered.body = Data(String(decoding: tampered.body, as: UTF8.self).replacingOccurrences(of: "1795921300\"", with: "1795921301\"").utf8)
        #expect(throws: WebhookVerificationError.self) { try hook.events(from: tampered, now: now) }
        #expect(throws: WebhookVerificationError(.stale, "the signed timestamp is outside 600 s of now")) {
            try hook.events(from: call(opened), now: now.addingTimeInterval(3600))
        }
    }

    @Test("Twilio status callbacks: the spec's vector; delivered is the dispatch's receipt; STOP unsubscribes; a changed parameter is refused")
    func twilio() throws {
        let hook = TwilioStatusCallback(authToken: "authtoken123")
        let parameters = [("MessageSid", "SM00000000000000000000000000000001"), ("SmsSid", "SM00000000000000000000000000000001"),
                          ("MessageStatus", "delivered"), ("SmsStatus", "delivered"), ("AccountSid", "AC00000000000000000000000000000000"),
                          ("From", "+15555550199"), ("To", "+15555550100"), ("ApiVersion", "2010-04-01")]
        #expect(hook.signature(url: "https://hooks.example.com/twilio/status", parameters: parameters) == "kiBVaQoJQtEkdv2qp5Tdti6JPDw=")

        let url = "https://hooks.example.com/twilio/status?dispatch_id=\(dispatch.id)"
        func call(_ pairs: [(String, String)], signature: String? = nil) -> WebhookRequest {
            let body = pairs.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            return WebhookRequest(url: url, headers: [("X-Twilio-Signature", signature ?? hook.signature(url: url, parameters: pairs))], body: Data(body.utf8))
        }
        let now = deliveryStart
        let delivered = try hook.events(from: call(parameters), now: now)
        #expect(delivered.map(\.kind) == [.delivered] && delivered[0].dispatchID == dispatch.id && delivered[0].recipient == "+15555550100")
        let sms = Dispatch(entry: WaitingEntry(followUp: "F", campaignVersion: 1, userID: "ada", triggerEventID: "e1", triggerTime: now, dueAt: now),
                           channel: .sms, campaignVersion: 1, createdAt: now)
        #expect(delivered[0].interaction(for: sms, provider: "twilio")?.id == EventID("rcpt_" + sms.id), "one event with the dispatcher's receipt (R25)")
        let stop = parameters.map { $0.0 == "MessageStatus" ? ($0.0, "undelivered") : $0 } + [("ErrorCode", "21610")]
        #expect(try hook.events(from: call(stop), now: now).map(\.kind) == [.unsubscribed])
        let changed = call(parameters.map { $0.0 == "To" ? ($0.0, "+15555550101") : $0 }, signature: hook.signature(url: url, parameters: parameters))
        #expect(throws: WebhookVerificationError(.badSignature, "the signature does not match")) { try hook.events(from: changed, now: now) }
    }

    @Test("SendGrid: ECDSA P-256 over timestamp + body; events carry the dispatch_id custom arg; a tampered body or old timestamp is refused")
    func sendgrid() throws {
        let key = P256.Signing.PrivateKey()
        let hook = try SendGridEventWebhook(publicKey: key.publicKey.derRepresentation.base64EncodedString())
        let body = Data(#"[{"email": "ada@example.com", "timestamp": 1772445600, "event": "click", "url": "https://shop.example/sale", "sg_event_id": "sg-ev-1", "sg_message_id": "abc123.filter0001", "dispatch_id": "\#(dispatch.id)"}, {"email": "ada@example.com", "timestamp": 1772445601, "event": "bounce", "type": "bounce", "sg_event_id": "sg-ev-2"}]"#.utf8)
        func call(_ body: Data, timestamp: String = "1772445600", signedBody: Data? = nil) throws -> WebhookRequest {
            let signature = try key.signature(for: Data(timestamp.utf8) + (signedBody ?? body)).derRepresentation.base64EncodedString()
            return WebhookRequest(url: "https://c.example/sendgrid", headers: [("X-Twilio-Email-Event-Webhook-Signature", signature),
                                                                               ("X-Twilio-Email-Event-Webhook-Timestamp", timestamp)], body: body)
        }
        let now = Date(timeIntervalSince1970: 1_772_445_660)
        let events = try hook.events(from: try call(body), now: now)
        #expect(events.map(\.kind) == [.clicked, .bounced] && events[0].url == "https://shop.example/sale" && events[0].providerMessageID == "abc123")
        #expect(events[0].interaction(for: dispatch, provider: "sendgrid")?.payload
                == .interaction(Interaction(kind: .emailClicked, campaign: "F", detail: "https://shop.example/sale")))
        #expect(events[1].suppresses)
        var tampered = body
        tampered[tampered.startIndex + 12] ^= 1
        #expect(throws: WebhookVerificationError(.badSignature, "the signature does not match")) { try hook.events(from: try call(tampered, signedBody: body), now: now) }
        #expect(throws: WebhookVerificationError.self) { try hook.events(from: try call(body), now: now.addingTimeInterval(86_400)) }
    }

    @Test("Resend (Svix): the Standard Webhooks vector verifies under svix-* headers; tampered and stale calls are refused")
    func resend() throws {
        let hook = try ResendEventWebhook(secret: "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
        let vector = Data(#"{"type":"email.opened","timestamp":"2023-01-19T00:13:51Z","data":{"message_id":"m-1"}}"#.utf8)
        let headers = [("svix-id", "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"), ("svix-timestamp", "1674087231"),
                       ("svix-signature", "v1,ExV0XJjHwy2HbP3h+/bamzanMgfSIU3jEPgtoyusEq4=")]
        let now = Date(timeIntervalSince1970: 1_674_087_231)
        let events = try hook.events(from: WebhookRequest(url: "https://c.example/resend", headers: headers, body: vector), now: now)
        #expect(events.map(\.kind) == [.opened] && events[0].id == "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W")
        #expect(throws: WebhookVerificationError.self) {
            try hook.events(from: WebhookRequest(url: "", headers: headers, body: vector + Data(" ".utf8)), now: now)
        }
        #expect(throws: WebhookVerificationError(.stale, "the signed timestamp is outside 300 s of now")) {
            try hook.events(from: WebhookRequest(url: "", headers: headers, body: vector), now: now.addingTimeInterval(301))
        }
    }

    @Test("Postmark: basic credentials compared in constant time; a hard bounce suppresses, a soft one does not")
    func postmark() throws {
        let hook = PostmarkEventWebhook(username: "hooks", password: "s3cret")
        let good = "Basic " + Data("hooks:s3cret".utf8).base64EncodedString()
        func call(_ json: String, auth: String) -> WebhookRequest {
            WebhookRequest(url: "https://c.example/postmark", headers: [("Authorization", auth)], body: Data(json.utf8))
        }
        let delivery = #"{"RecordType": "Delivery", "ID": 42, "MessageID": "pm-1", "Recipient": "ada@example.com", "DeliveredAt": "2026-03-02T10:01:00Z", "Metadata": {"dispatch_id": "\#(dispatch.id)"}}"#
        let events = try hook.events(from: call(delivery, auth: good), now: deliveryStart)
        #expect(events == [ProviderEvent(id: "42", kind: .delivered, dispatchID: dispatch.id, providerMessageID: "pm-1", recipient: "ada@example.com",
                                         time: deliveryStart.addingTimeInterval(60))])
        #expect(throws: WebhookVerificationError.self) { try hook.events(from: call(delivery, auth: "Basic " + Data("hooks:guess".utf8).base64EncodedString()), now: deliveryStart) }
        let hard = #"{"RecordType": "Bounce", "ID": 43, "MessageID": "pm-2", "Email": "ada@example.com", "Inactive": true}"#
        let soft = #"{"RecordType": "Bounce", "ID": 44, "MessageID": "pm-3", "Email": "ada@example.com", "Inactive": false}"#
        #expect(try hook.events(from: call(hard, auth: good), now: deliveryStart).first?.suppresses == true)
        #expect(try hook.events(from: call(soft, auth: good), now: deliveryStart).isEmpty)
    }
}
