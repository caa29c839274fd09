import ConnectorCore
@testable import ConnectorStore
import Foundation
import Testing

@Suite("Receipts of follow-ups, indexed by user (R7)")
struct ReceiptIndexTests {
    let utc = TimeZone(identifier: "UTC") ?? .current

    func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("receipts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    var followUp: Campaign {
        var campaign = active("F")
        campaign.trigger = Trigger(kind: .pushOpened, target: "T")
        return campaign
    }

    @Test("only follow-ups' receipts are indexed by user; R7 sees F's receipts, also after a reopen")
    func followUpReceiptsOnly() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("c.sqlite").path
        let engine = ConnectorEngine(campaigns: [active("T"), followUp], workspaceTimeZone: utc)
        do {
            let store = try SQLiteStore(path: path)
            for campaign in [active("T"), followUp] { try store.install(campaign) }
            _ = try store.ingest([interact(.pushReceived, "T", user: "u1", at: scenarioStart),
                                  interact(.emailReceived, "F", user: "u1", at: scenarioStart.addingTimeInterval(60))], engine: engine, now: scenarioStart)
            #expect(try store.receipts(for: "u1", since: scenarioStart).map(\.channel) == [.email], "only the follow-up's receipt")
            let report = try store.ingest([interact(.pushOpened, "T", user: "u1", at: scenarioStart.addingTimeInterval(120))], engine: engine, now: scenarioStart)
            #expect(report.decisions.first?.reason.code == .alreadyReceived && report.decisions.first?.reason.text.contains("already received F") == true,
                    "R7 works on the follow-up's receipts")
        }
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.receipts(for: "u1", since: scenarioStart).map(\.channel) == [.email])
    }

    @Test("a campaign that becomes a follow-up gets its past receipts indexed when it is saved (R7)")
    func campaignBecomesFollowUp() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteStore(path: folder.appendingPathComponent("c.sqlite").path)
        var promo = active("P")
        try store.save(promo)
        let before = ConnectorEngine(campaigns: [active("T"), promo], workspaceTimeZone: utc)
        _ = try store.ingest([interact(.pushReceived, "P", user: "u1", at: scenarioStart)], engine: before, now: scenarioStart)
        #expect(try store.receipts(for: "u1", since: scenarioStart).isEmpty)

        promo.trigger = Trigger(kind: .pushOpened, target: "T")
        try store.save(promo)
        #expect(try store.receipts(for: "u1", since: scenarioStart).map(\.channel) == [.push])
        let after = ConnectorEngine(campaigns: [active("T"), promo], workspaceTimeZone: utc)
        let report = try store.ingest([interact(.pushOpened, "T", user: "u1", at: scenarioStart.addingTimeInterval(60))], engine: after, now: scenarioStart)
        #expect(report.decisions.first?.reason.code == .alreadyReceived && report.decisions.first?.reason.text.contains("already received P") == true)
    }
}
