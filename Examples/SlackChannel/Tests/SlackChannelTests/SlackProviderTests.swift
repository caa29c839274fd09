import ConnectorCore
import ConnectorStore
import ConnectorTesting
import CurlTransport
import Delivery
import Foundation
import SlackChannel
import Testing

/// The Slack provider against a real HTTP server on loopback, through libcurl: the request
/// field by field, and what each of Slack's answers means.
@Suite("Slack provider: chat.postMessage")
struct SlackProviderTests {
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    static func message(_ fields: [String: String], to recipient: String = "U024BE7LH") -> OutgoingMessage {
        let entry = WaitingEntry(followUp: "cart-nudge", campaignVersion: 1, userID: "ada", triggerEventID: "e1", triggerTime: now, dueAt: now)
        return OutgoingMessage(message: .custom(CustomMessage(channel: .slack, recipient: recipient, fields: fields)),
                               dispatch: Dispatch(entry: entry, channel: .slack, campaignVersion: 1, createdAt: now), sentAt: now)
    }

    /// Sends `message` through a provider pointed at `server`, with a throwaway store.
    static func send(_ message: OutgoingMessage, to server: LoopbackServer) async throws -> ProviderResult {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("slack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("store.sqlite").path)
        let client = CurlClient()
        let provider = SlackProvider(token: "xoxb-test-token", baseURL: server.baseURL + "/api")
        let result = await provider.send(message, context: ProviderContext(client: client, store: store, now: { now }))
        await client.shutdown()
        return result
    }

    @Test("the request: POST /api/chat.postMessage, the bot token as Bearer, JSON with channel, text, blocks as JSON and unfurl_links as a flag")
    func request() async throws {
        try await LoopbackServer.with(answering: .json(#"{"ok": true, "channel": "D0123", "ts": "1790000000.000100"}"#)) { server in
            let blocks = #"[{"type": "section", "text": {"type": "mrkdwn", "text": "*Ada*"}}]"#
            let result = try await Self.send(Self.message(["text": "Hi Ada", "blocks": blocks, "unfurl_links": "false"]), to: server)
            #expect(result.outcome == .sent(providerMessageID: "D0123/1790000000.000100"))
            let request = try #require(server.requests.first)
            #expect(request.method == "POST" && request.path == "/api/chat.postMessage")
            #expect(request.header("Authorization") == "Bearer xoxb-test-token")
            #expect(request.header("Content-Type") == "application/json; charset=utf-8")
            let body = try #require(request.json)
            #expect(body["channel"] as? String == "U024BE7LH" && body["text"] as? String == "Hi Ada")
            #expect(body["unfurl_links"] as? Bool == false)
            let sent = try #require(body["blocks"] as? [[String: Any]])
            #expect(sent.first?["type"] as? String == "section")
        }
    }

    @Test("Slack's answers classified: rate limits retry after Retry-After, dead conversations are bad addresses, internal errors possibly sent", arguments: [
        (429, ["Retry-After": "30"], "", "retryable", 30.0),
        (200, ["Retry-After": "12"], #"{"ok": false, "error": "ratelimited"}"#, "retryable", 12.0),
        (503, [:], "", "retryable", nil),
        (200, [:], #"{"ok": false, "error": "channel_not_found"}"#, "bad_address", nil),
        (200, [:], #"{"ok": false, "error": "is_archived"}"#, "bad_address", nil),
        (200, [:], #"{"ok": false, "error": "invalid_auth"}"#, "permanent", nil),
        (200, [:], #"{"ok": false, "error": "invalid_blocks"}"#, "permanent", nil),
        (200, [:], #"{"ok": false, "error": "internal_error"}"#, "possibly_sent", nil),
        (200, [:], "<html>proxy</html>", "possibly_sent", nil),
        (400, [:], "", "permanent", nil),
    ] as [(Int, [String: String], String, String, Double?)])
    func answers(status: Int, headers: [String: String], body: String, code: String, after: Double?) async throws {
        try await LoopbackServer.with(answering: LoopbackServer.Answer(status: status, headers: headers, body: body)) { server in
            let result = try await Self.send(Self.message(["text": "Hi"]), to: server)
            #expect(result.outcome.code == code, "\(result.outcome)")
            #expect(result.statusCode == status)
            if let after {
                #expect(result.outcome == .retryable(after: after, reason: status == 429 ? "HTTP 429" : "Slack: ratelimited"))
            }
            // The reason never carries the token.
            #expect(!"\(result.outcome)".contains("xoxb"))
        }
    }

    @Test("a message of another channel is refused before any request")
    func wrongChannel() async throws {
        try await LoopbackServer.with { server in
            var message = Self.message(["text": "Hi"])
            message.message = .sms(SMSMessage(from: nil, to: "+15550100", body: "Hi"))
            let result = try await Self.send(message, to: server)
            #expect(result.outcome.code == "permanent" && server.requests.isEmpty)
        }
    }
}
