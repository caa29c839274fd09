import ConnectorCommandLine
import ConnectorCore
import ConnectorService
import ConnectorTesting
import CurlTransport
import Delivery
import Foundation
import Logging
import SlackChannel
import Testing

/// The whole service with the Slack channel registered, as `slack-connector serve` runs
/// it: the example's own configuration and campaigns, events over its HTTP API, and the
/// follow-up reaching a Slack stand-in on loopback.
@Suite("Slack channel in the service")
struct SlackServiceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let start = ISO8601DateFormatter().date(from: "2026-03-02T09:00:00Z") ?? Date()
    static let apiKey = "example-api-key-0123456789"

    /// Runs the service on the example's configuration with `slack` at `server`, calls
    /// `body` with its base URL, and stops it.
    static func withService(slack server: LoopbackServer, extensions: ConnectorExtensions = Slack.extensions,
                            _ body: (ConnectorService, String, CurlClient) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("slack-service-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let environment = [
            "CONNECTOR_STORE": folder.appendingPathComponent("connector.sqlite").path, "CONNECTOR_PORT": "0",
            "CONNECTOR_API_KEY": apiKey, "CONNECTOR_TRACKING_KEY": String(repeating: "k", count: 32),
            "SLACK_TOKEN": "xoxb-example-token", "SLACK_BASE_URL": server.baseURL + "/api",
        ]
        let configuration = try ServiceConfiguration.load(contentsOf: root.appendingPathComponent("connector.yaml"), environment: environment,
                                                          providerKinds: extensions.providerKinds)
        var logger = Logger(label: "slack-service-test")
        logger.logLevel = .warning
        let service = try await ConnectorService.open(configuration, clock: .virtual(at: start), adapters: extensions.adapters, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let running = Task { try await service.run { port in continuation.yield(port) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let client = CurlClient()
        do {
            try await body(service, "http://127.0.0.1:\(port)", client)
        } catch {
            await client.shutdown()
            await service.shutdown()
            _ = await running.result
            throw error
        }
        await client.shutdown()
        await service.shutdown()
        try await running.value
    }

    static func post(_ client: CurlClient, _ url: String, _ json: String, method: HTTPMethod = .post) async throws -> HTTPResponse {
        try await client.execute(HTTPRequest(method: method, url: url, headers: ["Authorization": "Bearer \(apiKey)", "Content-Type": "application/json"],
                                             body: Array(json.utf8), httpVersion: .http1_1))
    }

    @Test("R1, R21: opening the cart push sends the Slack follow-up an hour later, rendered with Block Kit from Liquid, to the user's Slack id")
    func followUp() async throws {
        try await LoopbackServer.with(answering: .json(#"{"ok": true, "channel": "D024BE91L", "ts": "1772445600.000200"}"#)) { slack in
            try await Self.withService(slack: slack) { _, base, client in
                let users = try await Self.post(client, base + "/v1/users", """
                    {"users": [{"id": "ada", "attributes": {"first_name": "Ada"}, "addresses": {"slack": "U024BE7LH", "push": "tok-ada"}},
                               {"id": "bob", "attributes": {"first_name": "Bob"}, "addresses": {"slack": "U0BOB"}}]}
                    """)
                #expect(users.status == 200, "\(users.bodyText)")
                let events = try await Self.post(client, base + "/v1/events", """
                    {"events": [{"id": "e1", "user_id": "ada", "time": "2026-03-02T09:00:00Z", "type": "interaction", "kind": "push_opened", "campaign": "cart-abandoned"},
                                {"id": "e2", "user_id": "bob", "time": "2026-03-02T09:00:00Z", "type": "interaction", "kind": "push_opened", "campaign": "cart-abandoned"},
                                {"id": "e3", "user_id": "bob", "time": "2026-03-02T09:10:00Z", "type": "purchase", "product_id": "sku-1", "price": 12, "currency": "EUR"}]}
                    """)
                #expect(events.status == 200, "\(events.bodyText)")
                #expect(slack.requests.isEmpty, "sent before its delay")
                let moved = try await Self.post(client, base + "/v1/clock", #"{"now": "2026-03-02T10:30:00Z"}"#)
                #expect(moved.status == 200, "\(moved.bodyText)")
                #expect(slack.requests.count == 1, "\(slack.requests.map(\.bodyText))")
                let request = try #require(slack.requests.first)
                #expect(request.path == "/api/chat.postMessage" && request.header("Authorization") == "Bearer xoxb-example-token")
                let body = try #require(request.json)
                #expect(body["channel"] as? String == "U024BE7LH")
                #expect(body["text"] as? String == "Ada, your cart is still waiting")
                let blocks = try #require(body["blocks"] as? [[String: Any]])
                #expect(blocks.count == 2 && (blocks[0]["text"] as? [String: Any])?["text"] as? String == "*Ada*, your cart is still waiting")
                // The trace shows bob's purchase cancelled his (R7) and ada's as delivered.
                let outbox = try await client.execute(HTTPRequest(url: base + "/v1/outbox?user=ada", headers: ["Authorization": "Bearer \(Self.apiKey)"],
                                                                  httpVersion: .http1_1))
                #expect(outbox.bodyText.contains("\"sent\"") && outbox.bodyText.contains("D024BE91L/1772445600.000200"), "\(outbox.bodyText)")
            }
        }
    }

    @Test("campaigns on the Slack channel are checked at save: an unknown field and a missing text are refused with their path")
    func checkedAtSave() async throws {
        try await LoopbackServer.with { slack in
            try await Self.withService(slack: slack) { _, base, client in
                let misspelt = try await Self.post(client, base + "/v1/campaigns/typo", """
                    {"id": "typo", "channels": ["slack"], "messages": {"slack": {"text": "Hi", "blockz": "[]"}}}
                    """, method: .put)
                #expect(misspelt.status == 400 && misspelt.bodyText.contains("messages.slack.blockz"), "\(misspelt.bodyText)")
                let textless = try await Self.post(client, base + "/v1/campaigns/textless", """
                    {"id": "textless", "channels": ["slack"], "messages": {"slack": {"blocks": "[]"}}}
                    """, method: .put)
                #expect(textless.status == 400 && textless.bodyText.contains("messages.slack.text"), "\(textless.bodyText)")
                let user = try await Self.post(client, base + "/v1/users/cy", #"{"id": "cy", "addresses": {"slak": "U1"}}"#, method: .put)
                #expect(user.status == 400 && user.bodyText.contains("addresses.slak"), "\(user.bodyText)")
            }
        }
    }

    @Test("a connector with the slack provider kind but not the adapter refuses to start, naming the channel")
    func withoutSlack() async throws {
        try await LoopbackServer.with { slack in
            do {
                try await Self.withService(slack: slack, extensions: ConnectorExtensions(providerKinds: Slack.providerKinds)) { _, _, _ in
                    Issue.record("started without the Slack adapter")
                }
                Issue.record("started without the Slack adapter")
            } catch {
                #expect("\(error)".contains("providers.slack: no adapter renders 'slack'"), "\(error)")
            }
        }
    }
}
