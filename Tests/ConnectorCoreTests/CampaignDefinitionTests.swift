import ConnectorCore
import Foundation
import Testing

@Suite("Campaigns as code and publish-time checks")
struct CampaignDefinitionTests {
    let cartReminder = """
        id: cart-reminder
        status: active
        published_at: 2026-03-01T00:00:00Z
        channels: [push]
        trigger: { kind: push_received, campaign: cart-abandoned }
        delay: { after: 1d }
        exceptions:
          - { interaction: push_opened, campaign: cart-abandoned }
          - { purchase: any }
        re_eligible_after: 7d
        audience: { all: [ { attribute: plan, equals: pro }, { reachable: push } ] }
        control_group_percent: 10
        quiet_hours: { start: 22, end: 8 }
        """

    @Test("a YAML campaign reads into the model")
    func readsYAML() throws {
        let campaign = try CampaignFileReader.campaign(from: cartReminder, file: "cart-reminder.yaml")
        #expect(campaign.id == "cart-reminder")
        #expect(campaign.history.current == .active)
        #expect(campaign.trigger == Trigger(kind: .pushReceived, target: "cart-abandoned"))
        #expect(campaign.delay == .relative(seconds: 86_400))
        #expect(campaign.exceptions == [.interaction(kind: .pushOpened, campaign: "cart-abandoned", detail: nil), .purchase(productID: nil)])
        #expect(campaign.reEligibility == .after(seconds: 7 * 86_400))
        #expect(campaign.audience == .all([.attribute("plan", .equals(.string("pro"))), .reachable(.push)]))
        #expect(campaign.controlGroupPercent == 10)
        #expect(campaign.quietHours == QuietHours(startHour: 22, endHour: 8))
    }

    @Test("R21: messages per channel are named templates, carried as written; a channel without one is a publish warning")
    func messages() throws {
        let text = "id: m\nchannels: [push, email]\nmessages:\n  push: { title: 'Hi {{ ${first_name} }}', body: Sale }\n"
        let campaign = try CampaignFileReader.campaign(from: text, file: "m.yaml")
        #expect(campaign.messages == [.push: .push(PushContent(title: "Hi {{ ${first_name} }}", body: "Sale"))])
        let warnings = CampaignValidator.validate([campaign]).filter { $0.severity == .warning }
        #expect(warnings.map(\.field) == ["messages.email"])
    }

    @Test("JSON works too, with weekday delays")
    func readsJSON() throws {
        let json = #"{"id": "weekly", "trigger": {"kind": "email_opened", "campaign": "news"}, "delay": {"next_weekday": "Tuesday", "at": "09:30"}}"#
        let campaign = try CampaignFileReader.campaign(from: json, file: "weekly.json")
        #expect(campaign.delay == .nextWeekday(weekday: 3, hour: 9, minute: 30))
        #expect(campaign.history.current == .draft)
    }

    @Test("errors name the file, the field path and what is wrong", arguments: [
        ("delay: { after: 3x }", "delay.after", "not a duration"),
        ("trigger: { kind: push_tapped, campaign: T }", "trigger.kind", "unknown interaction 'push_tapped'"),
        ("exceptions: [ session_start, { refund: any } ]", "exceptions[1]", "expected session_start"),
        ("delay: { calendar_days: 0, at: \"09:00\" }", "delay.calendar_days", "0 is out of range: use 1 to 3650"),
        ("delay: { next_weekday: tuesday, at: \"25:00\" }", "delay.at", "not a time of day"),
        ("channels: [push, 'Pig eon']", "channels[1]", "'Pig eon' is not a channel name"),
        ("status: active", "published_at", "RFC 3339"),
        ("exeptions: [ { purchase: any } ]", "exeptions", "unknown field 'exeptions'; did you mean 'exceptions'?"),
        ("trigger: { kind: push_opened, campaing: T }", "trigger.campaing", "did you mean 'campaign'?"),
        ("delay: { after: 1d, at: \"09:00\", every: 2d }", "delay.every", "unknown field 'every'"),
        ("exceptions: [ { purchase: any, product: sku } ]", "exceptions[0].product", "unknown field 'product'"),
        ("audience: { attribute: plan, equals: pro, equal: free }", "audience.equal", "did you mean 'equals'?"),
        ("quiet_hours: { start: 22, end: 8, until: 9 }", "quiet_hours.until", "Known here: start, end, drop"),
        ("time_zone: Europe/Berlinn", "time_zone", "use user (each user's own zone, the default) or workspace"),
        ("channels: [push]\nmessages: { sms: { body: hi } }", "messages.sms", "the campaign does not send on sms (channels: push)"),
        ("channels: [push]\nmessages: { pigeon: { body: hi } }", "messages.pigeon", "the campaign does not send on pigeon"),
        ("channels: [push]\nmessages: { push: { body: [a, b] } }", "messages.push.body", "expected text"),
        // Hostile or mistaken values are refused at load, with the field (issue 18).
        ("delay: { after: 100000000000000000w }", "delay.after", "too long"),
        ("delay: { after: -5m }", "delay.after", "a duration cannot be negative"),
        ("re_eligible_after: 3651d", "re_eligible_after", "at most 3650d"),
        ("max_hold: -1h", "max_hold", "cannot be negative"),
        ("delay: { calendar_days: 100000000, at: \"09:00\" }", "delay.calendar_days", "out of range: use 1 to 3650"),
        ("rate_limit_per_minute: 0", "rate_limit_per_minute", "0 is out of range"),
        ("control_group_percent: .nan", "control_group_percent", "expected a finite number"),
        ("audience: { attribute: score, greater_than: .inf }", "audience.greater_than", "expected a finite number"),
        ("audience: { attribute: seen, within_last: -1d }", "audience.within_last", "cannot be negative"),
        ("trigger: { kind: push_opened, campaign: '' }", "trigger.campaign", "must not be empty"),
        ("window: { start: 2026-02-30T00:00:00Z, end: 2026-03-01T00:00:00Z }", "window.start", "not an RFC 3339 time"),
        ("window: { start: '1969-01-01T00:00:00Z', end: '2026-03-01T00:00:00Z' }", "window.start", "outside the supported times"),
        ("channels: [push]\nmessages: { push: { body: \"{% if x %}open\" } }", "messages.push.body", "1:1: syntax error"),
        ("channels: [push]\nmessages: { push: { body: \"{{ x | nope }}\" } }", "messages.push.body", "unknown filter"),
        ("channels: [push]\nmessages: { push: { titel: Hi } }", "messages.push.titel", "did you mean 'title'?"),
        // Found by fuzzing: Yams stops the process on a key that is not text (issue 18).
        ("? [a, b]\n: 1", "", "keys must be text"),
        ("<<: [1, 2]", "", "the merge key '<<' at line 2 must name a mapping or a list of mappings"),
        // Found by fuzzing: Yams stops the process when a YAML 1.1 base-60 number overflows.
        ("rate_limit_per_minute: +332:33:32:34:3:22:33:3:22:3:22:33:33:24", "rate_limit_per_minute", "expected a whole number"),
        ("x: -332:33:32:34:3:22:33:3:22:3:22:33:33:24.5", "x", "unknown field 'x'"),
    ])
    func errorsArePrecise(snippet: String, path: String, message: String) {
        do {
            _ = try CampaignFileReader.campaign(from: "id: x\n" + snippet, file: "x.yaml")
            Issue.record("expected an error for \(snippet)")
        } catch {
            #expect(error.file == "x.yaml")
            #expect(error.path == path)
            #expect(error.message.contains(message), "\(error)")
        }
    }

    @Test("a folder of campaigns reads all files and collects every error")
    func folder() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("campaigns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try cartReminder.write(to: folder.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "id: b\ndelay: { after: soon }".write(to: folder.appendingPathComponent("b.yml"), atomically: true, encoding: .utf8)
        try "not a campaign".write(to: folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        try "id: cart-reminder\nchannels: [email]".write(to: folder.appendingPathComponent("c.json"), atomically: true, encoding: .utf8)
        let (campaigns, errors) = CampaignFileReader.campaigns(inFolder: folder)
        #expect(campaigns.map(\.id) == ["cart-reminder"])
        #expect(campaigns.first?.channels == [.push], "the first definition is kept")
        #expect(errors.map(\.description) == ["b.yml: delay.after: expected a duration such as 90s, 15m, 36h, 2d or 1w",
                                               "c.json: id: 'cart-reminder' is already defined in a.yaml; ids must be unique"])
    }

    @Test("R4 and R13: unknown or archived targets and exceptions without a delay block publishing")
    func R4_R13_publishErrors() {
        var archivedHistory = activeSince(at(-day))
        archivedHistory.record(.archived, at: at(-hour))
        let archived = Campaign(id: "old", history: archivedHistory)
        let campaigns = [
            archived,
            followUp("F1", target: "old"),
            followUp("F2", target: "nowhere"),
            followUp("F3", delay: .immediate, exceptions: [.sessionStart], target: "old"),
            Campaign(id: "F4", trigger: Trigger(kind: .emailAliasClicked, target: "old")),
        ]
        let issues = CampaignValidator.validate(campaigns).filter { $0.severity == .error }
        #expect(issues.contains { $0.campaign == "F1" && $0.message.contains("archived") })
        #expect(issues.contains { $0.campaign == "F2" && $0.field == "trigger.campaign" && $0.message.contains("nowhere") })
        #expect(issues.contains { $0.campaign == "F3" && $0.field == "exceptions" && $0.message.contains("R13") })
        #expect(issues.contains { $0.campaign == "F4" && $0.field == "trigger.detail" })
    }

    @Test("R8: a loop of follow-ups is reported once, as a warning")
    func R8_cycleDetection() {
        let campaigns = [original, followUp("F1", target: "F2"), followUp("F2", target: "F1"), followUp("F3", target: "T")]
        let warnings = CampaignValidator.validate(campaigns).filter { $0.severity == .warning }
        #expect(warnings.count == 1)
        #expect(warnings.first?.message.contains("F1 -> F2 -> F1") == true)
    }

    @Test("R26: publishing an original whose follow-ups are drafts warns")
    func R26_publishOrder() {
        let draft = followUp("F", history: StatusHistory())
        let warnings = CampaignValidator.publishWarnings(publishing: "T", among: [original, draft])
        #expect(warnings.count == 1)
        #expect(warnings.first?.message.contains("Publish follow-ups first") == true)
        #expect(CampaignValidator.publishWarnings(publishing: "T", among: [original, followUp()]).isEmpty)
    }

    @Test("a 1 MB unknown key (a YAML explicit key) is refused at once, without a suggestion", .timeLimit(.minutes(1)))
    func hugeKey() {
        let key = String(repeating: "k", count: 1 << 20)
        do {
            _ = try CampaignFileReader.campaign(from: "id: x\n? \(key)\n: 1\n", file: "x.yaml")
            Issue.record("an unknown key was accepted")
        } catch {
            #expect(error.message.hasPrefix("unknown field 'kkkk") && error.message.contains("...'. Known here:"), "\(error.message.prefix(200))")
        }
    }

    @Test("an empty or padded id is refused")
    func ids() {
        for (text, phrase) in [("id: ''\n", "must not be empty"), ("id: ' x'\n", "white space")] {
            #expect(throws: CampaignDefinitionError.self) { try CampaignFileReader.campaign(from: text, file: "x.yaml") }
            do { _ = try CampaignFileReader.campaign(from: text, file: "x.yaml") } catch { #expect(error.message.contains(phrase), "\(error)") }
        }
    }

    @Test("YAML aliases that expand past the limit are refused before they expand (a billion laughs)", .timeLimit(.minutes(1)))
    func billionLaughs() {
        var yaml = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            yaml += "a\(level): &a\(level) [" + Array(repeating: "*a\(level - 1)", count: 10).joined(separator: ", ") + "]\n"
        }
        do {
            _ = try CampaignFileReader.campaign(from: "id: x\n" + yaml, file: "laughs.yaml")
            Issue.record("a file expanding to 10^10 values was read")
        } catch {
            #expect(error.message.contains("expands to more than 100000 values"), "\(error)")
        }
        // Aliases within the limit still work.
        #expect((try? CampaignFileReader.campaign(from: "id: x\nchannels: &c [push]\nname: *c", file: "ok.yaml")) == nil,
                "an alias is expanded: name gets a list, which is not text")
    }

    @Test("aliases that stack nesting past 64 levels are refused before loading recurses; a quoted '<<' is a plain key")
    func deepAliases() {
        let open = String(repeating: "[", count: 50), close = String(repeating: "]", count: 50)
        var yaml = "a0: &a0 \(open)x\(close)\n"
        for level in 1...3 { yaml += "a\(level): &a\(level) \(open)*a\(level - 1)\(close)\n" }
        do {
            _ = try CampaignFileReader.campaign(from: "id: x\n" + yaml, file: "deep.yaml")
            Issue.record("200 levels of nesting were read")
        } catch {
            #expect(error.message.contains("more than 64 deep"), "\(error)")
        }
        do {
            _ = try CampaignFileReader.campaign(from: "id: x\n\"<<\": 1\n", file: "quoted.yaml")
            Issue.record("an unknown key was accepted")
        } catch {
            #expect(error.message.contains("unknown field '<<'"), "\(error)")
        }
    }

    @Test("text nesting deeper than any campaign is refused before YAML is parsed (found by fuzzing: Yams hashes keys recursively)")
    func deepText() throws {
        let dashes = String(repeating: "- ", count: 600) + "x"
        for text in ["? \(dashes)\n: 1\n", "id: x\nchannels: \(String(repeating: "[", count: 300))push\(String(repeating: "]", count: 300))\n"] {
            do {
                _ = try CampaignFileReader.campaign(from: text, file: "deep.yaml")
                Issue.record("a file nested 300-600 deep was read")
            } catch {
                #expect(error.message.contains("more than 200 deep"), "\(error)")
            }
        }
        // Every example campaign is far below the bound.
        let examples = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("Examples/campaigns")
        #expect(CampaignFileReader.campaigns(inFolder: examples).errors.isEmpty)
    }

    @Test("R8: the loop check is linear: 3,000 campaigns in one ring give one warning naming the ring", .timeLimit(.minutes(1)))
    func largeRing() {
        let count = 3_000
        let ring = (0..<count).map { index in
            Campaign(id: CampaignID("c\(index)"), trigger: Trigger(kind: .pushReceived, target: CampaignID("c\((index + 1) % count)")))
        }
        let warnings = CampaignValidator.cycles(in: ring)
        #expect(warnings.count == 1)
        #expect(warnings.first?.related.count == count)
        // Two loops sharing a campaign are one group; a campaign that triggers itself is a loop too.
        let shared = [("a", "b"), ("b", "a"), ("b", "c"), ("c", "b"), ("d", "d"), ("e", "a")].map { id, target in
            Campaign(id: CampaignID(id), trigger: Trigger(kind: .pushReceived, target: CampaignID(target)))
        }
        let groups = CampaignValidator.cycles(in: shared)
        #expect(groups.map(\.related) == [["a", "b", "c"], ["d"]])
        #expect(groups.first?.message.contains("a -> b -> a") == true, "\(groups.first?.message ?? "")")
        #expect(groups.last?.message.contains("d -> d") == true)
    }

    @Test("errors carry the field's line and column: a bad value, an unknown field, a list item, a key with dots; a missing field points at its parent", arguments: [
        ("id: c\nchannels: [push]\nmessages:\n  push:\n    body: x\n    buttons:\n      - { id: a, text: A, close: true }\n      - { id: b, text: '{% if %}', url: 'https://x' }\n",
         "messages.push.buttons[1].text", 8, 18),
        ("id: c\nchannels: [push]\nmessages: { push: { body: x } }\nexeptions: []\n", "exeptions", 4, 1),
        ("id: c\nchannels: [email]\nmessages:\n  email:\n    subject: Hi\n", "messages.email", 4, 3),
        ("id: c\nchannels: [email]\nmessages:\n  email:\n    subject: Hi\n    text: x\n    link_aliases:\n      \"https://a.example/x.y\": [1]\n",
         "messages.email.link_aliases.https://a.example/x.y", 8, 7),
    ])
    func errorLines(text: String, path: String, line: Int, column: Int) {
        do {
            _ = try CampaignFileReader.campaign(from: text, file: "c.yaml")
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.path == path && error.line == line && error.column == column, "\(error) at \(String(describing: error.line)):\(String(describing: error.column))")
        }
    }
}

