import ChildProcess
import ConnectorCore
import CurlTransport
import Foundation
import PeerSupport
import Testing

/// The command-line side of the service: `check`, `render` (and `--send`), `replay` on the
/// virtual clock, `sandbox list` and `campaigns` against a running service.
@Suite("connector check, render, replay, sandbox and campaigns")
struct ServiceCommandTests {
    /// Runs `connector` to its end with the test keys in the environment; (status, output).
    static func connector(_ arguments: [String], environment extra: [String: String] = [:]) async throws -> (Int32, String) {
        var environment = ProcessInfo.processInfo.environment
        environment["CONNECTOR_API_KEY"] = ServiceUnderTest.apiKey
        environment["TEST_API_KEY"] = ServiceUnderTest.apiKey
        environment["TEST_TRACKING_KEY"] = ServiceUnderTest.trackingKey
        environment.merge(extra) { $1 }
        let process = try ChildProcess(executable: ServiceUnderTest.connectorPath, arguments: arguments,
                                       environment: environment.map { "\($0.key)=\($0.value)" }, standardError: .standardOutput)
        let (output, termination) = await process.outputAndTermination()
        guard case .exited(let status) = termination else { return (-1, String(decoding: output, as: UTF8.self)) }
        return (status, String(decoding: output, as: UTF8.self))
    }

    static let campaigns = [
        "seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'x' } }"),
        "offer": campaign("""
            id: offer
            channels: [push]
            messages: { push: { title: "15% off", body: "{{ ${first_name} }}, use FIFTEEN" } }
            trigger: { kind: push_opened, campaign: seed }
            delay: { after: 1h }
            exceptions:
              - { purchase: any }
            """),
    ]

    @Test("R27: replay on the virtual clock through the API, then sandbox list shows the follow-up and not the cancelled one; campaigns list and stop")
    func replayAndSandbox() async throws {
        let service = try await ServiceUnderTest(campaigns: Self.campaigns)
        let folder = service.folder
        let users = folder.appendingPathComponent("users.jsonl"), events = folder.appendingPathComponent("events.jsonl")
        try [user("ada", push: "tok-ada"), user("bob", push: "tok-bob", name: "Bob")].joined(separator: "\n").write(to: users, atomically: true, encoding: .utf8)
        try [event("e1", "ada", "2026-03-02T09:05:00Z", "push_opened", "seed"),
             event("e2", "bob", "2026-03-02T09:06:00Z", "push_opened", "seed"),
             #"{"id": "e3", "user_id": "bob", "time": "2026-03-02T09:30:00Z", "type": "purchase", "product_id": "p", "price": 1, "currency": "EUR"}"#,
             event("e1", "ada", "2026-03-02T09:05:00Z", "push_opened", "seed"),
             "not json"].joined(separator: "\n").write(to: events, atomically: true, encoding: .utf8)
        let (status, output) = try await Self.connector(["replay", events.path, "--users", users.path, "--url", service.baseURL, "--clock", "--then-advance", "2h"])
        #expect(status == 1, "a malformed line makes the exit status 1: \(output)")
        #expect(output.contains("line 5:") && output.contains("3 accepted, 1 duplicate, 1 rejected") && output.contains("delivered 1 dispatches"), "\(output)")
        let (listed, sandbox) = try await Self.connector(["sandbox", "list", "--url", service.baseURL])
        #expect(listed == 0 && sandbox.contains("offer -> ada on push") && sandbox.contains("Ada, use FIFTEEN") && !sandbox.contains("-> bob"), "\(sandbox)")
        let (_, campaigns) = try await Self.connector(["campaigns", "list", "--url", service.baseURL])
        #expect(campaigns.contains("offer  v1  active  [push]  after push_opened on seed"), "\(campaigns)")
        let (stopped, change) = try await Self.connector(["campaigns", "change", "stop", "offer", "--url", service.baseURL])
        #expect(stopped == 0 && change.contains("offer: stopped"), "\(change)")
        let (refused, _) = try await Self.connector(["campaigns", "change", "stop", "offer", "--url", service.baseURL, "--api-key", ServiceUnderTest.readKey])
        #expect(refused != 0, "a read key may not change campaigns")
        #expect(await service.stop() == .exited(0))
    }

    @Test("check: a good configuration is ok; a campaign error or an unknown provider fails with file and field")
    func check() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("campaigns"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in Self.campaigns { try text.write(to: folder.appendingPathComponent("campaigns/\(name).yaml"), atomically: true, encoding: .utf8) }
        let config = folder.appendingPathComponent("connector.yaml")
        let base = """
            store: c.sqlite
            api_keys: [ { key: "${TEST_API_KEY}", scopes: [ingest] } ]
            tracking: { base_url: "https://t.example.com", key: "${TEST_TRACKING_KEY}" }
            campaigns: campaigns
            """
        try base.write(to: config, atomically: true, encoding: .utf8)
        let (good, output) = try await Self.connector(["check", "--config", config.path])
        #expect(good == 0 && output.contains("ok; 2 campaigns"), "\(output)")
        try (base + "\nproviders: { sms: [ { kind: telegraph } ] }\n").write(to: config, atomically: true, encoding: .utf8)
        let (unknown, text) = try await Self.connector(["check", "--config", config.path])
        #expect(unknown == 1 && text.contains("connector.yaml:5: providers.sms[0].kind: unknown provider kind 'telegraph'"), "\(text)")
        try base.write(to: config, atomically: true, encoding: .utf8)
        try "id: broken\nchannels: [push]\nmessages: { push: { body: '{% if %}' } }\n".write(to: folder.appendingPathComponent("campaigns/broken.yaml"),
                                                                                           atomically: true, encoding: .utf8)
        let (broken, message) = try await Self.connector(["check", "--config", config.path])
        #expect(broken == 1 && message.contains("broken.yaml") && message.contains("messages.push.body"), "\(message)")
    }

    @Test("check-templates: the shipped Templates/ are clean; a broken template, provider file or campaign is reported as file:line:column: error")
    func checkTemplates() async throws {
        let (clean, output) = try await Self.connector(["check-templates", Peer.repositoryRoot.appendingPathComponent("Templates").path,
                                                        "--campaign", Peer.repositoryRoot.appendingPathComponent("Examples/quickstart/campaigns").path])
        #expect(clean == 0 && output.contains("0 problems"), "\(output)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("templates-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "Hello\n{{ ${first_name} }}\nYour code: {% if %}\n".write(to: folder.appendingPathComponent("welcome.liquid"), atomically: true, encoding: .utf8)
        try "name: broken\nchannels: [sms]\nrequest:\n  method: POST\n  url: \"{{ settings.url \"\n".write(to: folder.appendingPathComponent("broken.yaml"),
                                                                                                        atomically: true, encoding: .utf8)
        let campaign = FileManager.default.temporaryDirectory.appendingPathComponent("offer-\(UUID().uuidString).yaml")
        defer { try? FileManager.default.removeItem(at: campaign) }
        try "id: offer\nchannels: [push]\nmessages: { push: { body: x } }\ndelay: { after: soon }\n".write(to: campaign, atomically: true, encoding: .utf8)
        let (status, report) = try await Self.connector(["check-templates", folder.path, "--campaign", campaign.path])
        #expect(status == 1, "\(report)")
        #expect(report.contains("welcome.liquid:3:") && report.contains(": error: "), "\(report)")
        #expect(report.contains("broken.yaml:"), "\(report)")
        #expect(report.contains("\(campaign.path):4:10: error: delay.after"), "the field's own line and column: \(report)")
        #expect(report.contains("3 problems"), "\(report)")
    }

    @Test("render prints a campaign's message for a user; --send hands it to the configured provider (a loopback webhook)")
    func render() async throws {
        let sink = try await Sink.start()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("campaigns"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        for (name, text) in Self.campaigns { try text.write(to: folder.appendingPathComponent("campaigns/\(name).yaml"), atomically: true, encoding: .utf8) }
        let config = folder.appendingPathComponent("connector.yaml")
        try """
            store: c.sqlite
            api_keys: [ { key: "${TEST_API_KEY}", scopes: [ingest] } ]
            tracking: { base_url: "https://t.example.com", key: "${TEST_TRACKING_KEY}" }
            campaigns: campaigns
            providers: { push: [ { kind: webhook, url: "\(sink.url("/push"))" } ] }
            """.write(to: config, atomically: true, encoding: .utf8)
        let person = folder.appendingPathComponent("ada.json")
        try user("ada", push: "tok-ada").write(to: person, atomically: true, encoding: .utf8)
        let (status, output) = try await Self.connector(["render", "--config", config.path, "offer", "--user", person.path])
        #expect(status == 0 && output.contains("\"body\" : \"Ada, use FIFTEEN\"") && output.contains("\"token\" : \"tok-ada\""), "\(output)")
        #expect(try await sink.requests("/push").isEmpty, "render alone sends nothing")
        let (sent, result) = try await Self.connector(["render", "--config", config.path, "offer", "--user", person.path, "--send"])
        #expect(sent == 0 && result.contains("webhook: sent (status 200)"), "\(result)")
        #expect(try await sink.requests("/push").first?.text.contains("Ada, use FIFTEEN") == true)
    }
}
