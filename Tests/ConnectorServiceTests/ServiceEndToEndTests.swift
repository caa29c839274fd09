import ConnectorCore
import ConnectorStore
import CurlTransport
import Foundation
import PeerSupport
import Testing

/// The loop through the running service: events in over HTTP, a follow-up email out to a
/// loopback provider, its tracked link clicked, and the click's own follow-up arriving
/// after its delay on the virtual clock, unless an exception event came in between.
@Suite("connector serve end to end: tracked click -> follow-up after its delay (R1, R5, R13, R23, R27)")
struct ServiceEndToEndTests {
    static let campaigns = [
        "seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'Free shipping' } }"),
        "welcome": campaign("""
            id: welcome
            channels: [email]
            messages:
              email:
                from: { name: Shop, address: shop@example.com }
                subject: "Welcome, {{ ${first_name} }}"
                html: '<p>Hi {{ ${first_name} }}</p><a href="https://shop.example/sale?x=1">Sale</a>'
            trigger: { kind: push_received, campaign: seed }
            """),
        "thanks": campaign("""
            id: thanks
            channels: [push]
            messages: { push: { title: "Thanks", body: "{{ ${first_name} }}, here is 10% off" } }
            trigger: { kind: email_clicked, campaign: welcome }
            delay: { after: 1h }
            exceptions:
              - { purchase: any }
            """),
    ]

    /// The click URLs' tokens in a delivered message.
    static func clickTokens(_ text: String) -> [String] {
        text.components(separatedBy: "https://t.example.com/c/").dropFirst().map { part in
            String(part.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
        }
    }

    @Test("R1/R13/R23: a click on the delivered email triggers the follow-up an hour later; a purchase in between cancels it",
          arguments: ["sqlite", "postgres"])
    func clickTriggersFollowUp(store: String) async throws {
        let sink = try await Sink.start()
        let service = try await ServiceUnderTest(campaigns: Self.campaigns, providers: """
            providers:
              email: [ { kind: webhook, url: "\(sink.url("/email"))", secret: "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=" } ]
              push: [ { kind: webhook, url: "\(sink.url("/push"))" } ]
            """, store: store)
        for line in [user("ada", email: "ada@example.com", push: "tok-ada"), user("bob", email: "bob@example.com", push: "tok-bob", name: "Bob")] {
            let id = line.contains("\"ada\"") ? "ada" : "bob"
            #expect(try await service.call(.put, "/v1/users/\(id)", line).status == 200)
        }
        let sent = try await service.events([event("e1", "ada", "2026-03-02T09:00:00Z", "push_received", "seed"),
                                             event("e2", "bob", "2026-03-02T09:00:00Z", "push_received", "seed")])
        #expect(sent.status == 200, "\(sent.bodyText)")
        try await service.advance(to: "2026-03-02T09:00:01Z")
        try await sink.arrived("/email", count: 2)
        let emails = try await sink.requests("/email")
        #expect(emails.count == 2)
        var tokens: [String: String] = [:]
        for email in emails {
            let body = email.json
            let user = try #require(body["user"] as? String)
            tokens[user] = try #require(Self.clickTokens(email.text).first, "a tracked link in \(email.text)")
            #expect(email.text.contains("Welcome, \(user == "ada" ? "Ada" : "Bob")"))
            let html = try #require(((body["message"] as? [String: Any])?["email"] as? [String: Any])?["html"] as? String)
            #expect(!html.contains("https://shop.example"), "the original link is only inside the signed token")
        }
        // The clicks, ten minutes later: a redirect to the original link, recorded as email_clicked.
        try await service.advance(to: "2026-03-02T09:10:00Z")
        for user in ["ada", "bob"] {
            let click = try await service.call(.get, "/c/\(try #require(tokens[user]))", key: nil)
            #expect(click.status == 302)
            #expect(click.headers.first(name: "Location") == "https://shop.example/sale?x=1")
        }
        // Bob buys before his follow-up is due: it is cancelled (R13).
        #expect(try await service.events([#"{"id": "e3", "user_id": "bob", "time": "2026-03-02T09:20:00Z", "type": "purchase", "product_id": "p", "price": 5, "currency": "EUR"}"#]).status == 200)
        let counts = ServiceUnderTest.json(try await service.call(.get, "/v1/waiting/counts"))
        #expect((counts["counts"] as? [String: Any])?["thanks"] as? Int == 1, "ada waits, bob's wait was cancelled: \(counts)")
        // Not before its delay: nothing at 10:09.
        try await service.advance(to: "2026-03-02T10:09:00Z")
        #expect(try await sink.requests("/push").isEmpty)
        try await service.advance(to: "2026-03-02T10:11:00Z")
        try await sink.arrived("/push")
        try await service.advance(to: "2026-03-02T12:00:00Z")
        let pushes = try await sink.requests("/push")
        #expect(pushes.count == 1)
        #expect(pushes.first?.json["user"] as? String == "ada")
        #expect(pushes.first?.text.contains("Ada, here is 10% off") == true)
        // The API shows why bob got nothing.
        let trace = ServiceUnderTest.json(try await service.call(.get, "/v1/users/bob/trace", key: ServiceUnderTest.readKey))
        let lines = try #require(trace["trace"] as? [[String: Any]])
        #expect(lines.contains { $0["campaign"] as? String == "thanks" && $0["action"] as? String == "cancelled" && $0["code"] as? String == "exception" })
        #expect(await service.stop() == .exited(0))
    }

    @Test("R23: the open pixel records email_opened; a forged or altered token is 404 and records nothing")
    func pixelAndForgedTokens() async throws {
        let sink = try await Sink.start()
        let service = try await ServiceUnderTest(campaigns: Self.campaigns, providers: """
            providers:
              email: [ { kind: webhook, url: "\(sink.url("/email"))" } ]
            """)
        #expect(try await service.call(.put, "/v1/users/ada", user("ada", email: "ada@example.com")).status == 200)
        #expect(try await service.events([event("e1", "ada", "2026-03-02T09:00:00Z", "push_received", "seed")]).status == 200)
        try await service.advance(to: "2026-03-02T09:00:01Z")
        try await sink.arrived("/email")
        let text = try #require(try await sink.requests("/email").first).text
        let pixel = try #require(text.components(separatedBy: "https://t.example.com/o/").dropFirst().first.map {
            String($0.prefix { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." })
        })
        let token = try #require(Self.clickTokens(text).first)
        let opened = try await service.call(.get, "/o/\(pixel)", key: nil)
        #expect(opened.status == 200 && opened.headers.first(name: "Content-Type") == "image/gif" && opened.body.starts(with: Array("GIF89a".utf8)))
        // A changed character, a token signed with another key, a pixel token used as a link.
        var altered = Array(token)
        altered[3] = altered[3] == "A" ? "B" : "A"
        for forged in [String(altered), token + "x", "bm90LWEtdG9rZW4.AAAAAAAAAAAAAAAAAAAAAA", "..", pixel] {
            let answer = try await service.call(.get, "/c/\(forged)", key: nil)
            #expect(answer.status == 404, "\(forged) -> \(answer.status)")
            #expect(answer.headers.first(name: "Location") == nil)
        }
        let metrics = try await service.call(.get, "/metrics", key: ServiceUnderTest.readKey)
        #expect(metrics.status == 200)
        #expect(metrics.bodyText.contains(#"connector_interactions_captured_total{kind="email_opened"} 1"#), "\(metrics.bodyText)")
        #expect(!metrics.bodyText.contains(#"kind="email_clicked""#), "no forged click was recorded")
        #expect(await service.stop() == .exited(0))
    }
}
