import ChildProcess
import Foundation
import PeerSupport
import Testing

/// `connector drain` end to end, as an operator runs it: campaign files, users and events
/// in, a real follow-up out through the sandbox, a webhook and SMTP; and a drain killed
/// with -9 between handing a message over and recording it.
@Suite("connector drain: a real follow-up end to end, and a crash between send and record")
struct DrainCommandTests {
    static var connectorPath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("connector").path
    }

    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("drain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    var database: String { folder.appendingPathComponent("c.sqlite").path }

    func file(_ name: String, _ text: String) throws -> String {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Runs `connector` to its end; returns (exit status, standard output and error).
    func connector(_ arguments: [String], environment: [String]? = nil) async throws -> (Int32, String) {
        try #require(FileManager.default.isExecutableFile(atPath: Self.connectorPath), "build the connector executable first (swift build)")
        let process = try ChildProcess(executable: Self.connectorPath, arguments: arguments, environment: environment, standardError: .standardOutput)
        let (output, termination) = await process.outputAndTermination()
        guard case .exited(let status) = termination else { return (-1, String(decoding: output, as: UTF8.self)) }
        return (status, String(decoding: output, as: UTF8.self))
    }

    /// Saves and publishes `campaigns` (YAML files by name), imports `users`, ingests `events`
    /// at 09:00:01 and runs the scheduler at 10:06, so the follow-ups' dispatches are queued.
    func queue(campaigns: [String: String], users: String, events: String) async throws {
        for (name, text) in campaigns { _ = try file("campaigns/\(name).yaml", text) }
        #expect(try await connector(["import-users", "--database", database, try file("users.jsonl", users)]).0 == 0)
        #expect(try await connector(["ingest", "--database", database, "--campaigns", folder.appendingPathComponent("campaigns").path, "/dev/null"]).0 == 0)
        for name in campaigns.keys.sorted() {
            let (status, output) = try await connector(["set-status", "--database", database, "--at", "2026-03-01T00:00:00Z", name, "active"])
            #expect(status == 0, "\(output)")
        }
        #expect(try await connector(["ingest", "--database", database, "--now", "2026-03-02T09:00:01Z", try file("events.jsonl", events)]).0 == 0)
        let (ticked, output) = try await connector(["tick", "--database", database, "--at", "2026-03-02T10:06:00Z"])
        #expect(ticked == 0 && output.contains("dispatched"), "\(output)")
    }

    static let original = "channels: [push]\nmessages: { push: { body: 'Free shipping' } }\n"

    @Test("publish, ingest, tick and drain deliver one follow-up to the sandbox, a signed webhook and SMTP (aiosmtpd)")
    func endToEnd() async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let sink = try await Sink.start()
        let smtp = try await Peer.start("smtp_peer.py", ["plain", "WORKDIR"], needs: "aiosmtpd")
        try await queue(campaigns: [
            "free-shipping": "id: free-shipping\n" + Self.original,
            "fifteen-off": """
                id: fifteen-off
                channels: [push, webhook, email]
                messages:
                  push: { title: "15% off", body: "{{ ${first_name} }}, use FIFTEEN" }
                  webhook: { url: "\(sink.url("/crm"))", body: '{"user": {{ ${user_id} | as_json_string }}, "offer": "FIFTEEN"}' }
                  email: { from: shop@example.com, subject: "{{ ${first_name} }}, 15% off", text: "Use FIFTEEN at https://shop.example" }
                trigger: { kind: push_opened, campaign: free-shipping }
                delay: { after: 1h }
                """,
        ], users: #"{"id":"ada","attributes":{"first_name":"Ada"},"addresses":{"push":"tok-ada","webhook":"crm","email":"ada@example.com"}}"# + "\n",
           events: #"{"id":"e1","user_id":"ada","time":"2026-03-02T09:00:00Z","type":"interaction","kind":"push_opened","campaign":"free-shipping"}"# + "\n")
        let providers = try file("providers.yaml", """
            tracking: { base_url: "https://t.example.com", key: "${TRACKING_KEY}" }
            providers:
              push: [{ kind: sandbox }]
              webhook: [{ kind: webhook, secret: "${HOOK_SECRET}" }]
              email: [{ kind: smtp, host: 127.0.0.1, port: \(smtp.port), security: none }]
            """)
        let environment = ["TRACKING_KEY=0123456789abcdef0123456789abcdef", "HOOK_SECRET=whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                           "PATH=/usr/bin:/bin"]
        let (status, output) = try await connector(["drain", "--database", database, "--providers", providers, "--at", "2026-03-02T10:06:05Z"],
                                                   environment: environment)
        #expect(status == 0 && output.contains("3 dispatches delivered: 3 sent"), "\(output)")
        let (_, messages) = try await connector(["messages", "--database", database])
        #expect(messages.contains(#""body":"Ada, use FIFTEEN""#) && messages.contains("1 message"), "\(messages)")
        let hook = try #require(try await sink.requests("/crm").first)
        #expect(hook.text == #"{"user": "ada", "offer": "FIFTEEN"}"# && hook.header("webhook-signature")?.hasPrefix("v1,") == true)
        let mail = try String(contentsOf: smtp.workdir.appendingPathComponent("messages.jsonl"), encoding: .utf8)
        let record = try #require(try JSONSerialization.jsonObject(with: Data(mail.utf8)) as? [String: Any])
        let data = String(decoding: Data(base64Encoded: record["data_b64"] as? String ?? "") ?? Data(), as: UTF8.self)
        #expect(data.contains("Subject: Ada, 15% off") && data.contains("https://t.example.com/c/"))
        let (_, outbox) = try await connector(["outbox", "--database", database])
        #expect(outbox.components(separatedBy: "  sent  ").count == 4, "\(outbox)")
        // A wrong configuration stops before anything is claimed, saying where.
        let broken = try file("broken.yaml", "providers:\n  email:\n    - { kind: smtp }\n")
        let (refused, refusal) = try await connector(["drain", "--database", database, "--providers", broken])
        #expect(refused != 0 && refusal.contains("broken.yaml:3: providers.email[0].host: is required"), "\(refusal)")
    }

    @Test("R25: a drain killed (-9) after handing a message to a non-deduplicating provider: the next drain marks it possibly sent, never resends",
          arguments: [false, true])
    func killedBetweenSendAndRecord(deduplicates: Bool) async throws {
        defer { try? FileManager.default.removeItem(at: folder) }
        let sink = try await Sink.start()
        try await queue(campaigns: [
            "free-shipping": "id: free-shipping\n" + Self.original,
            "reminder": """
                id: reminder
                channels: [sms]
                messages: { sms: { body: "Your code: FIFTEEN", track_links: false } }
                trigger: { kind: push_opened, campaign: free-shipping }
                delay: { after: 1h }
                """,
        ], users: #"{"id":"ada","addresses":{"sms":"+15550100","push":"tok"}}"# + "\n",
           events: #"{"id":"e1","user_id":"ada","time":"2026-03-02T09:00:00Z","type":"interaction","kind":"push_opened","campaign":"free-shipping"}"# + "\n")
        let providers = try file("providers.yaml", """
            providers:
              sms: [{ kind: webhook, url: "\(sink.url("/sms"))", deduplicates: \(deduplicates) }]
            """)
        try await sink.script("/sms", [["status": 200, "hold": "never"]])
        let first = try ChildProcess(executable: Self.connectorPath,
                                     arguments: ["drain", "--database", database, "--providers", providers, "--at", "2026-03-02T10:06:05Z", "--lease", "30"],
                                     standardError: .standardOutput)
        try await sink.arrived("/sms")
        #expect(first.terminate(signal: SIGKILL) == .signalled(SIGKILL))
        let (status, output) = try await connector(["drain", "--database", database, "--providers", providers, "--at", "2026-03-02T10:06:40Z"])
        #expect(status == 0, "\(output)")
        let requests = try await sink.requests("/sms")
        if deduplicates {
            #expect(output.contains(": sent"), "\(output)")
            #expect(requests.count == 2 && Set(requests.map { $0.header("webhook-id") }).count == 1, "sent again with the same key")
        } else {
            #expect(output.contains(": possibly_sent: ") && output.contains("does not deduplicate"), "\(output)")
            #expect(requests.count == 1, "not sent again")
            let (_, listed) = try await connector(["outbox", "--database", database, "--state", "possibly_sent"])
            #expect(listed.contains("1 dispatch"), "the possibly-sent list names it: \(listed)")
        }
        try await sink.release("never")
    }
}
