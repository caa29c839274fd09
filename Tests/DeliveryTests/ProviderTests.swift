import ConnectorCore
import ConnectorStore
import CurlTransport
import Delivery
import Foundation
import PeerSupport
import Testing

/// The built-in providers against real loopback peers: SMTP (aiosmtpd, STARTTLS) and the
/// shipped declarative files (the scripted sink).
@Suite("Providers: SMTP and declarative files on loopback peers")
struct ProviderTests {
    @Test("SMTP: STARTTLS and AUTH, a MIME message with encoded subject, Message-ID, List-Unsubscribe; 550 is a bad address, 451 a retry")
    func smtp() async throws {
        let peer = try await Peer.start("smtp_peer.py", ["starttls", "WORKDIR"], needs: "aiosmtpd")
        let users = ["ada", "reject-me", "later-please"].map {
            User(id: UserID($0), attributes: ["first_name": .string($0.capitalized)], addresses: [.email: "\($0)@example.com"])
        }
        let content = EmailContent(fromName: "Shop", fromAddress: "shop@example.com", subject: "{{ ${first_name} }}, 15% off ✨",
                                   html: "<p>Hi</p><a href=\"https://shop.example/sale\">Shop</a>", text: "Hi, https://shop.example/sale")
        let bench = try await DeliveryBench(channel: .email, content: .email(content), users: users)
        let provider = SMTPProvider(server: SMTPServer(host: "127.0.0.1", port: peer.port, security: .startTLSRequired),
                                    credentials: SMTPCredentials(username: "connector", password: "s3cret"),
                                    tls: TLSConfiguration(caBundlePath: peer.caPath))
        let client = CurlClient()
        let clock = TestClock(bench.queuedAt)
        let worker = Dispatcher(store: bench.store, routes: routes(.email, [ProviderRoute(provider)]), client: client, tracking: testTracking,
                                configuration: Dispatcher.Configuration(worker: "w", concurrency: 1), now: { clock.now }, random: { 1 })
        let report = try await worker.drain()
        await client.shutdown()
        #expect(report.counts == [.sent: 1, .badAddress: 1, .retrying: 1])
        #expect(try bench.store.suppression(of: "reject-me@example.com", on: .email)?.reason.text.contains("550") == true)
        #expect(try bench.item("later-please").reason?.text.contains("451") == true)

        let lines = try String(contentsOf: peer.workdir.appendingPathComponent("messages.jsonl"), encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 1)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(record["mail_from"] as? String == "shop@example.com" && record["rcpt_tos"] as? [String] == ["ada@example.com"])
        #expect(record["auth_user"] as? String == "connector")
        let data = try #require(Data(base64Encoded: record["data_b64"] as? String ?? ""))
        let message = String(decoding: data, as: UTF8.self)
        let headers = message.components(separatedBy: "\r\n\r\n")[0].replacingOccurrences(of: "\r\n ", with: " ")
        let dispatch = try bench.item("ada").dispatch
        #expect(headers.contains("From: Shop <shop@example.com>") && headers.contains("To: ada@example.com"))
        #expect(headers.contains("Message-ID: <\(dispatch.id)@example.com>"))
        #expect(headers.contains("List-Unsubscribe: <https://t.example.com/u/") && headers.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"))
        #expect(headers.contains("Content-Type: multipart/alternative"))
        // The subject travels as encoded words that decode to the rendered text.
        let subjectLine = try #require(headers.split(separator: "\r\n").first { $0.hasPrefix("Subject: ") })
        let words = subjectLine.dropFirst("Subject: ".count).split(separator: " ").map { String($0) }
        let decoded = words.compactMap { word -> Data? in
            guard word.hasPrefix("=?UTF-8?B?"), word.hasSuffix("?=") else { return nil }
            return Data(base64Encoded: String(word.dropFirst(10).dropLast(2)))
        }.reduce(Data(), +)
        #expect(String(decoding: decoded, as: UTF8.self) == "Ada, 15% off ✨")
        #expect(message.contains("https://t.example.com/c/") && !message.contains("https://shop.example/sale"), "links are tracked in both parts")
        #expect(try bench.item("ada").providerMessageID == "<\(dispatch.id)@example.com>")
    }

    func pushBench() async throws -> DeliveryBench {
        try await DeliveryBench(channel: .push, content: .push(PushContent(title: "Hi {{ ${first_name} }}", body: "15% off \"today\"", deepLink: "app://sale")),
                                users: [User(id: "ada", attributes: ["first_name": .string("Ada")], addresses: [.push: "tok-ada"])])
    }

    func declarative(_ kind: String, settings: String) throws -> DeliveryConfiguration {
        let file = try DeclarativeProviderFile(contentsOf: Peer.repositoryRoot.appendingPathComponent("Templates/providers/\(kind).yaml"))
        return try DeliveryConfiguration.parse("providers:\n  push:\n    - { kind: \(kind), settings: \(settings) }\n", file: "p.yaml",
                                               environment: [:], declarative: [kind: file])
    }

    @Test("Slack incoming webhook file: the JSON Slack expects; 404 (the webhook is gone) is a bad address")
    func slack() async throws {
        let sink = try await Sink.start()
        let configuration = try declarative("slack-webhook", settings: "{ webhook_url: '\(sink.url("/services/T0/B0/XYZ"))' }")
        let bench = try await pushBench()
        let clock = TestClock(bench.queuedAt)
        #expect(try await dispatcher(bench, configuration.routes, clock: clock, client: sink.client).drain().counts == [.sent: 1])
        let request = try #require(try await sink.requests("/services/T0/B0/XYZ").first)
        #expect(request.method == "POST" && request.header("Content-Type") == "application/json; charset=utf-8")
        #expect(request.json["text"] as? String == "*Hi Ada*\n15% off \"today\" <app://sale>" && request.json.count == 1)

        let gone = try await pushBench()
        try await sink.script("/services/T0/B0/XYZ", [["status": 404, "body": "no_service", "headers": [["Content-Type", "text/plain"]]]])
        #expect(try await dispatcher(gone, configuration.routes, clock: clock, client: sink.client).drain().counts == [.badAddress: 1])
        #expect(try gone.store.suppression(of: "tok-ada", on: .push) != nil)
    }

    @Test("Teams webhook file: an Adaptive Card with the title, body and deep link; 404 suppresses the webhook (bad address), 429 retries")
    func teams() async throws {
        let sink = try await Sink.start()
        let configuration = try declarative("teams-webhook", settings: "{ webhook_url: '\(sink.url("/workflows/abc/triggers/manual"))' }")
        let bench = try await pushBench()
        let clock = TestClock(bench.queuedAt)
        try await sink.script("/workflows/abc/triggers/manual", [["status": 202, "body": ""]])
        #expect(try await dispatcher(bench, configuration.routes, clock: clock, client: sink.client).drain().counts == [.sent: 1])
        let request = try #require(try await sink.requests("/workflows/abc/triggers/manual").first)
        #expect(request.method == "POST" && request.header("Content-Type") == "application/json")
        let attachment = try #require((request.json["attachments"] as? [[String: Any]])?.first)
        #expect(request.json["type"] as? String == "message" && attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        let card = try #require(attachment["content"] as? [String: Any])
        #expect(card["type"] as? String == "AdaptiveCard")
        let texts = (card["body"] as? [[String: Any]])?.compactMap { $0["text"] as? String }
        #expect(texts == ["Hi Ada", "15% off \"today\""], "\(card)")
        #expect(((card["actions"] as? [[String: Any]])?.first?["url"] as? String) == "app://sale")

        let throttled = try await pushBench()
        try await sink.script("/workflows/abc/triggers/manual", [["status": 429, "headers": [["Retry-After", "5"]]]])
        #expect(try await dispatcher(throttled, configuration.routes, clock: clock, client: sink.client).drain().counts == [.retrying: 1])
        let gone = try await pushBench()
        try await sink.script("/workflows/abc/triggers/manual", [["status": 404, "body": "WorkflowNotFound"]])
        #expect(try await dispatcher(gone, configuration.routes, clock: clock, client: sink.client).drain().counts == [.badAddress: 1])
    }

    @Test("Discord webhook file: wait=true, the created message's id as the provider id, no mentions; 429 waits for Retry-After")
    func discord() async throws {
        let sink = try await Sink.start()
        let configuration = try declarative("discord-webhook", settings: "{ webhook_url: '\(sink.url("/api/webhooks/1/tok"))', username: Shop }")
        let bench = try await pushBench()
        let clock = TestClock(bench.queuedAt)
        try await sink.script("/api/webhooks/1/tok", [["status": 429, "headers": [["Retry-After", "3"]], "body": "{\"retry_after\": 3.0}"],
                                                      ["status": 200, "body": "{\"id\": \"1180000000000000001\", \"channel_id\": \"9\"}"]])
        let worker = dispatcher(bench, configuration.routes, clock: clock, client: sink.client)
        #expect(try await worker.drain().counts == [.retrying: 1])
        #expect(try bench.item("ada").nextAttemptAt == bench.queuedAt.addingTimeInterval(10), "the backoff ceiling (10 s) is longer than Retry-After (3 s)")
        clock.advance(10)
        #expect(try await worker.drain().counts == [.sent: 1])
        #expect(try bench.item("ada").providerMessageID == "1180000000000000001")
        let request = try #require(try await sink.requests("/api/webhooks/1/tok").last)
        #expect(request.query == "wait=true" && request.json["username"] as? String == "Shop")
        #expect(request.json["content"] as? String == "**Hi Ada**\n15% off \"today\" app://sale")
        #expect((request.json["allowed_mentions"] as? [String: Any])?["parse"] as? [String] == [])
    }
}
