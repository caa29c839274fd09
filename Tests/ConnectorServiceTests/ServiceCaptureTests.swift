import ChildProcess
import ConnectorCore
import ConnectorStore
import Crypto
import CurlTransport
import Foundation
import PeerSupport
import Testing

/// An email follow-up of a push_opened on `seed`, with `extra` fields.
func mailCampaign(_ extra: String = "") -> String {
    campaign("""
        id: mail
        channels: [email]
        messages: { email: { from: shop@example.com, subject: "Hi", text: "Hello" } }
        trigger: { kind: push_opened, campaign: seed }
        \(extra)
        """)
}

/// Interactions captured by the service besides API events: the app's reports through the
/// SDK endpoints, and provider event webhooks. Each goes through the ingest path, so each
/// can trigger a follow-up.
@Suite("Service capture: SDK feeds and reports, provider webhooks (R22, R23)")
struct ServiceCaptureTests {
    @Test("R23: a content card reaches the user's feed; a click reported with the SDK key triggers its follow-up; a dismissed card leaves the feed")
    func contentCards() async throws {
        let service = try await ServiceUnderTest(campaigns: [
            "seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'x' } }"),
            "card": campaign("""
                id: card
                channels: [content_card]
                messages: { content_card: { kind: classic, title: "Hi {{ ${first_name} }}", description: "15% off", link: "https://shop.example" } }
                trigger: { kind: push_opened, campaign: seed }
                """),
            "after-card": campaign("""
                id: after-card
                channels: [push]
                messages: { push: { body: "Thanks for looking, {{ ${first_name} }}" } }
                trigger: { kind: content_card_clicked, campaign: card }
                delay: { after: 10m }
                """),
        ], providers: "providers: { content_card: [ { kind: feed } ], push: [ { kind: sandbox } ] }")
        #expect(try await service.call(.put, "/v1/users/ada", user("ada", push: "tok-ada")).status == 200)
        #expect(try await service.events([event("e1", "ada", "2026-03-02T09:00:00Z", "push_opened", "seed")]).status == 200)
        try await service.advance(to: "2026-03-02T09:00:01Z")
        #expect(try await service.call(.get, "/v1/sdk/users/ada/content-cards", key: nil).status == 401)
        let feed = ServiceUnderTest.json(try await service.call(.get, "/v1/sdk/users/ada/content-cards", key: ServiceUnderTest.sdkKey))
        let cards = try #require(feed["cards"] as? [[String: Any]])
        #expect(cards.count == 1)
        let card = try #require(cards.first)
        #expect((((card["message"] as? [String: Any])?["content_card"] as? [String: Any])?["title"] as? String) == "Hi Ada", "\(card)")
        let dispatch = try #require(card["dispatch_id"] as? String)
        // A report about another channel's interaction, an unknown dispatch, an unknown field.
        let wrongKind = try await service.call(.post, "/v1/sdk/interactions", #"{"dispatch_id": "\#(dispatch)", "kind": "push_opened"}"#, key: ServiceUnderTest.sdkKey)
        #expect(wrongKind.status == 400)
        let unknown = try await service.call(.post, "/v1/sdk/interactions", #"{"dispatch_id": "d_0", "kind": "content_card_clicked"}"#, key: ServiceUnderTest.sdkKey)
        #expect(unknown.status == 404)
        let extra = try await service.call(.post, "/v1/sdk/interactions", #"{"dispatch_id": "\#(dispatch)", "kind": "content_card_clicked", "x": 1}"#, key: ServiceUnderTest.sdkKey)
        #expect(extra.status == 400)
        let clicked = try await service.call(.post, "/v1/sdk/interactions", #"{"dispatch_id": "\#(dispatch)", "kind": "content_card_clicked", "id": "c1"}"#,
                                             key: ServiceUnderTest.sdkKey)
        #expect(clicked.status == 200 && ServiceUnderTest.json(clicked)["status"] as? String == "accepted")
        let again = try await service.call(.post, "/v1/sdk/interactions", #"{"dispatch_id": "\#(dispatch)", "kind": "content_card_clicked", "id": "c1"}"#,
                                           key: ServiceUnderTest.sdkKey)
        #expect(ServiceUnderTest.json(again)["status"] as? String == "duplicate", "the client's id deduplicates a retry (R25)")
        try await service.advance(to: "2026-03-02T09:11:00Z")
        let sandbox = ServiceUnderTest.json(try await service.call(.get, "/v1/sandbox/messages?user=ada&channel=push"))
        let messages = try #require(sandbox["messages"] as? [[String: Any]])
        #expect(messages.map { $0["campaign"] as? String } == ["after-card"])
        let dismissed = try await service.call(.post, "/v1/sdk/interactions", #"{"dispatch_id": "\#(dispatch)", "kind": "content_card_dismissed"}"#,
                                               key: ServiceUnderTest.sdkKey)
        #expect(dismissed.status == 200)
        let after = ServiceUnderTest.json(try await service.call(.get, "/v1/sdk/users/ada/content-cards", key: ServiceUnderTest.sdkKey))
        #expect((after["cards"] as? [Any])?.isEmpty == true)
        #expect(await service.stop() == .exited(0))
    }

    static func mailgun(_ key: String, event: String, id: String, dispatch: String, timestamp: Int, severity: String? = nil, tamper: Bool = false) -> String {
        let token = "tok-\(id)"
        var signature = Data(HMAC<SHA256>.authenticationCode(for: Data("\(timestamp)\(token)".utf8), using: SymmetricKey(data: Data(key.utf8))))
            .map { String(format: "%02x", $0) }.joined()
        if tamper { signature = String(signature.reversed()) }
        return """
            {"signature": {"timestamp": "\(timestamp)", "token": "\(token)", "signature": "\(signature)"},
             "event-data": {"event": "\(event)", "id": "\(id)", "timestamp": \(timestamp), "recipient": "ada@example.com",
                            \(severity.map { "\"severity\": \"\($0)\"," } ?? "") "user-variables": {"dispatch_id": "\(dispatch)"}}}
            """
    }

    @Test("R23: a verified Mailgun open triggers a follow-up, once (R25); a tampered signature is 401 and records nothing; a permanent failure suppresses")
    func mailgunWebhook() async throws {
        let key = "mailgun-signing-key-for-tests"
        let service = try await ServiceUnderTest(campaigns: [
            "seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'x' } }"),
            "mail": mailCampaign(),
            "opened": campaign("""
                id: opened
                channels: [push]
                messages: { push: { body: "You opened it" } }
                trigger: { kind: email_opened, campaign: mail }
                """),
        ], providers: "providers: { email: [ { kind: sandbox } ], push: [ { kind: sandbox } ] }",
           extra: "webhooks:\n  mg: { kind: mailgun, signing_key: \"\(key)\" }")
        #expect(try await service.call(.put, "/v1/users/ada", user("ada", email: "ada@example.com", push: "tok")).status == 200)
        #expect(try await service.events([event("e1", "ada", "2026-03-02T09:00:00Z", "push_opened", "seed")]).status == 200)
        try await service.advance(to: "2026-03-02T09:00:01Z")
        let outbox = ServiceUnderTest.json(try await service.call(.get, "/v1/outbox?campaign=mail"))
        let dispatch = try #require((outbox["dispatches"] as? [[String: Any]])?.first?["id"] as? String)
        let now = Int(try #require(ISO8601DateFormatter().date(from: "2026-03-02T09:00:01Z")).timeIntervalSince1970)
        let tampered = try await service.call(.post, "/v1/webhooks/mg", Self.mailgun(key, event: "opened", id: "ev1", dispatch: dispatch, timestamp: now, tamper: true), key: nil)
        #expect(tampered.status == 401)
        try await service.advance(to: "2026-03-02T09:00:02Z")
        #expect((ServiceUnderTest.json(try await service.call(.get, "/v1/outbox?campaign=opened"))["dispatches"] as? [Any])?.isEmpty == true)
        let stale = try await service.call(.post, "/v1/webhooks/mg", Self.mailgun(key, event: "opened", id: "ev1", dispatch: dispatch, timestamp: now - 3600), key: nil)
        #expect(stale.status == 401, "a replayed old call")
        let good = try await service.call(.post, "/v1/webhooks/mg", Self.mailgun(key, event: "opened", id: "ev1", dispatch: dispatch, timestamp: now), key: nil)
        #expect(good.status == 200 && ServiceUnderTest.json(good)["accepted"] as? Int == 1, "\(good.bodyText)")
        let repeated = try await service.call(.post, "/v1/webhooks/mg", Self.mailgun(key, event: "opened", id: "ev1", dispatch: dispatch, timestamp: now), key: nil)
        #expect(ServiceUnderTest.json(repeated)["duplicates"] as? Int == 1)
        try await service.advance(to: "2026-03-02T09:00:03Z")
        #expect((ServiceUnderTest.json(try await service.call(.get, "/v1/outbox?campaign=opened"))["dispatches"] as? [Any])?.count == 1)
        let bounce = try await service.call(.post, "/v1/webhooks/mg",
                                            Self.mailgun(key, event: "failed", id: "ev2", dispatch: dispatch, timestamp: now, severity: "permanent"), key: nil)
        #expect(ServiceUnderTest.json(bounce)["suppressed"] as? Int == 1, "\(bounce.bodyText)")
        #expect(try await service.call(.post, "/v1/webhooks/nope", "{}", key: nil).status == 404)
        #expect(await service.stop() == .exited(0))
        // The suppression is in the store.
        let store = try SQLiteStore(path: service.database)
        #expect(try store.suppression(of: "ada@example.com", on: .email) != nil)
    }
}

/// SMS links, unsubscribe and the in-app message feed, through the running service.
@Suite("Service capture: SMS links, unsubscribe, in-app messages (R23)")
struct ServiceLinkTests {
    @Test("R23: an SMS's tracked link redirects and records sms_link_clicked, which triggers its follow-up")
    func smsLink() async throws {
        let service = try await ServiceUnderTest(campaigns: [
            "seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'x' } }"),
            "text": campaign("""
                id: text
                channels: [sms]
                messages: { sms: { body: "Hi {{ ${first_name} }}, see https://shop.example/deal?id=7" } }
                trigger: { kind: push_opened, campaign: seed }
                """),
            "clicked": campaign("""
                id: clicked
                channels: [push]
                messages: { push: { body: "Glad you looked" } }
                trigger: { kind: sms_link_clicked, campaign: text }
                """),
        ], providers: "providers: { sms: [ { kind: sandbox } ], push: [ { kind: sandbox } ] }")
        #expect(try await service.call(.put, "/v1/users/ada", #"{"id": "ada", "attributes": {"first_name": "Ada"}, "addresses": {"sms": "+15550001", "push": "tok"}}"#).status == 200)
        #expect(try await service.events([event("e1", "ada", "2026-03-02T09:00:00Z", "push_opened", "seed")]).status == 200)
        let sms = ServiceUnderTest.json(try await service.call(.get, "/v1/sandbox/messages?channel=sms"))
        let body = try #require((((sms["messages"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["sms"] as? [String: Any])?["body"] as? String)
        #expect(body.hasPrefix("Hi Ada, see https://t.example.com/s/") && !body.contains("shop.example"), "\(body)")
        let token = String(body.components(separatedBy: "/s/")[1].prefix { !$0.isWhitespace })
        let click = try await service.call(.get, "/s/\(token)", key: nil)
        #expect(click.status == 302 && click.headers.first(name: "Location") == "https://shop.example/deal?id=7")
        try await service.advance(to: "2026-03-02T09:00:01Z")
        let pushes = ServiceUnderTest.json(try await service.call(.get, "/v1/sandbox/messages?channel=push"))
        #expect((pushes["messages"] as? [[String: Any]])?.map { $0["campaign"] as? String } == ["clicked"])
        #expect(try await service.call(.get, "/c/\(token)", key: nil).status == 302, "a valid token redirects on either path")
        #expect(await service.stop() == .exited(0))
    }

    @Test("unsubscribe: GET only shows a button (a link scanner unsubscribes no one); POST unsubscribes from the channel, and the next follow-up is skipped")
    func unsubscribe() async throws {
        let service = try await ServiceUnderTest(campaigns: [
            "seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'x' } }"),
            "mail": mailCampaign("re_eligible_after: always"),
        ], providers: "providers: { email: [ { kind: sandbox } ] }")
        #expect(try await service.call(.put, "/v1/users/ada", user("ada", email: "ada@example.com")).status == 200)
        #expect(try await service.events([event("e1", "ada", "2026-03-02T09:00:00Z", "push_opened", "seed")]).status == 200)
        let kept = ServiceUnderTest.json(try await service.call(.get, "/v1/sandbox/messages?channel=email"))
        let email = try #require((((kept["messages"] as? [[String: Any]])?.first?["message"] as? [String: Any])?["email"] as? [String: Any]))
        let link = try #require(email["list_unsubscribe"] as? String)
        let token = try #require(link.components(separatedBy: "/u/").last)
        let page = try await service.call(.get, "/u/\(token)", key: nil)
        #expect(page.status == 200 && page.bodyText.contains("<form method=\"post\">"))
        #expect((ServiceUnderTest.json(try await service.call(.get, "/v1/users/ada"))["subscriptions"] as? [String: Any])?["email"] == nil)
        #expect(try await service.call(.post, "/u/\(token)x", key: nil).status == 404)
        let done = try await service.call(.post, "/u/\(token)", "List-Unsubscribe=One-Click", key: nil,
                                          headers: [("Content-Type", "application/x-www-form-urlencoded")])
        #expect(done.status == 200)
        #expect((ServiceUnderTest.json(try await service.call(.get, "/v1/users/ada"))["subscriptions"] as? [String: Any])?["email"] as? String == "unsubscribed")
        // The next trigger sends nothing by email (R16-R20's subscription check).
        #expect(try await service.events([event("e2", "ada", "2026-03-02T10:00:00Z", "push_opened", "seed")]).status == 200)
        try await service.advance(to: "2026-03-02T10:00:01Z")
        let after = ServiceUnderTest.json(try await service.call(.get, "/v1/sandbox/messages?channel=email"))
        #expect((after["messages"] as? [Any])?.count == 1, "\(after)")
        #expect(await service.stop() == .exited(0))
    }

    @Test("R23: in-app messages are pending for the app until viewed; a view is recorded once per client id")
    func inAppMessages() async throws {
        let service = try await ServiceUnderTest(campaigns: [
            "seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'x' } }"),
            "tour": campaign("""
                id: tour
                channels: [in_app_message]
                messages: { in_app_message: { layout: modal, header: "Welcome {{ ${first_name} }}", body: "Take the tour" } }
                trigger: { kind: push_opened, campaign: seed }
                """),
        ], providers: "providers: { in_app_message: [ { kind: feed } ] }")
        #expect(try await service.call(.put, "/v1/users/ada", user("ada", push: "tok")).status == 200)
        #expect(try await service.events([event("e1", "ada", "2026-03-02T09:00:00Z", "push_opened", "seed")]).status == 200)
        let pending = ServiceUnderTest.json(try await service.call(.get, "/v1/sdk/users/ada/in-app-messages", key: ServiceUnderTest.sdkKey))
        let message = try #require((pending["messages"] as? [[String: Any]])?.first)
        #expect(((message["message"] as? [String: Any])?["in_app_message"] as? [String: Any])?["header"] as? String == "Welcome Ada")
        let dispatch = try #require(message["dispatch_id"] as? String)
        let viewed = try await service.call(.post, "/v1/sdk/interactions", #"{"dispatch_id": "\#(dispatch)", "kind": "in_app_message_viewed", "id": "v1"}"#,
                                            key: ServiceUnderTest.sdkKey)
        #expect(viewed.status == 200)
        let after = ServiceUnderTest.json(try await service.call(.get, "/v1/sdk/users/ada/in-app-messages", key: ServiceUnderTest.sdkKey))
        #expect((after["messages"] as? [Any])?.isEmpty == true)
        #expect(await service.stop() == .exited(0))
    }
}
