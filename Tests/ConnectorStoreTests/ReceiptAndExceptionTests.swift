import ConnectorCore
import Foundation
import GRDB
import Testing

@testable import ConnectorStore

/// Receipts and exception events through the store: what the engine reads back for R7,
/// R13-R14 and R19, including from a database written by the first schema.
@Suite("Receipts and exceptions in the store (R7, R13, R14, R19)")
struct ReceiptAndExceptionTests {
    let utc = TimeZone(identifier: "UTC") ?? .current
    let day: TimeInterval = 86_400

    func followUp(reEligibleAfter seconds: Int?) -> Campaign {
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.reEligibility = seconds.map { .after(seconds: $0) } ?? .never
        return followUp
    }

    /// A store of `kind` holding T and `followUp`, both active.
    func store(_ kind: StoreKind, _ followUp: Campaign) async throws -> StoreUnderTest {
        let temporary = try await StoreUnderTest.make(kind)
        _ = try await temporary.store.install(active("T"))
        _ = try await temporary.store.install(followUp)
        return temporary
    }

    @Test("R7: a receipt of F blocks a new entry until its re-eligibility window has passed", arguments: StoreKind.allCases)
    func R7_receiptBlocksUntilWindowPassed(_ kind: StoreKind) async throws {
        let store = try await store(kind, followUp(reEligibleAfter: Int(3 * day))).store
        // A receipt of another campaign does not count; F's own receipt does.
        _ = try await store.ingest([interact(.pushReceived, "T", user: "u1", at: scenarioStart),
                                    interact(.pushReceived, "F", user: "u1", at: scenarioStart.addingTimeInterval(60))], now: scenarioStart)
        let soon = scenarioStart.addingTimeInterval(day)
        let blocked = try await store.ingest([interact(.pushOpened, "T", user: "u1", at: soon)], now: soon)
        #expect(blocked.decisions.count == 1)
        #expect(blocked.decisions.first?.entry == nil)
        #expect(blocked.decisions.first?.reason.text.contains("re-eligible from") == true)

        let later = scenarioStart.addingTimeInterval(3 * day + 120)
        let again = try await store.ingest([interact(.pushOpened, "T", user: "u1", at: later)], now: later)
        #expect(again.decisions.first?.entry?.followUp == "F")
        #expect(try await store.waitingEntries(for: "u1").count == 1)
    }

    @Test("R7: without a re-eligibility window the last of several receipts keeps F from ever starting again", arguments: StoreKind.allCases)
    func R7_neverReEligible(_ kind: StoreKind) async throws {
        let store = try await store(kind, followUp(reEligibleAfter: nil)).store
        let receipts = (0..<3).map { interact(.pushReceived, "F", user: "u1", at: scenarioStart.addingTimeInterval(Double($0) * day)) }
        _ = try await store.ingest(receipts, now: scenarioStart)
        let trigger = scenarioStart.addingTimeInterval(30 * day)
        let report = try await store.ingest([interact(.pushOpened, "T", user: "u1", at: trigger)], now: trigger)
        #expect(report.decisions.first?.reason.text.contains("already received F at 2026-03-04") == true, "the newest receipt is named")
        #expect(try await store.waitingEntries(for: "u1").isEmpty)
    }

    @Test("R13: an exception cancels only the waiting user's entry; another user's identical event is stored and decides nothing",
          arguments: StoreKind.allCases)
    func R13_exceptionOnlyForWaitingUser(_ kind: StoreKind) async throws {
        var delayed = followUp(reEligibleAfter: nil)
        delayed.delay = .relative(seconds: Int(day))
        delayed.exceptions = [.purchase(productID: nil)]
        let store = try await store(kind, delayed).store
        _ = try await store.ingest([interact(.pushOpened, "T", user: "waiting", at: scenarioStart)], now: scenarioStart)
        let buy = scenarioStart.addingTimeInterval(3600)
        let purchases = ["waiting", "idle"].map {
            makeEvent(.purchase(productID: "sku", price: 5, currency: "EUR", quantity: 1), user: UserID($0), at: buy)
        }
        let report = try await store.ingest(purchases, now: buy)
        #expect(report.accepted == 2)
        #expect(report.decisions.count == 1)
        #expect(report.decisions.first?.reason.text.hasPrefix("cancelled: exception purchase") == true)
        #expect(try await store.waitingEntries(for: "waiting").isEmpty)
        #expect(try await store.trace(for: "idle").isEmpty)
    }

    @Test("R7: a follow-up's receipts are read back per user and channel, newest last, from the given time on")
    func R7_receiptsSince() throws {
        let temporary = try TemporaryStore()
        var followUp = active("T")
        followUp.trigger = Trigger(kind: .pushOpened, target: "O")
        let engine = ConnectorEngine(campaigns: [active("O"), followUp], workspaceTimeZone: utc)
        let events = [interact(.emailReceived, "T", user: "u1", at: scenarioStart),
                      interact(.pushReceived, "T", user: "u1", at: scenarioStart.addingTimeInterval(7200)),
                      interact(.smsReceived, "T", user: "u1", at: scenarioStart.addingTimeInterval(3600)),
                      interact(.pushOpened, "T", user: "u1", at: scenarioStart.addingTimeInterval(9000)),
                      interact(.pushReceived, "T", user: "u2", at: scenarioStart.addingTimeInterval(3600))]
        _ = try temporary.store.ingest(events, engine: engine, now: scenarioStart)
        let receipts = try temporary.store.receipts(for: "u1", since: scenarioStart.addingTimeInterval(1))
        #expect(receipts.map(\.channel) == [.sms, .push])
        #expect(receipts.map(\.time) == [scenarioStart.addingTimeInterval(3600), scenarioStart.addingTimeInterval(7200)])
    }

    @Test("a database written by schema 001 migrates: its receipts and exception events still count (R7, R14)")
    func migrationFromFirstSchema() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("old.sqlite").path
        let old = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(old, upTo: "001 campaigns, users, events, waiting, outbox, trace")
        try old.write { db in
            try db.execute(sql: "INSERT INTO receipt (user_id, campaign_id, channel, at) VALUES ('u1', 'F', 'push', ?)",
                           arguments: [scenarioStart.timeIntervalSince1970])
            // u2 bought at +2 h; the event row and its exception index row, as 001 wrote them.
            try db.execute(sql: """
                INSERT INTO event (seq, event_id, user_id, time, type, kind, campaign, detail, data)
                VALUES (1, 'buy-1', 'u2', ?, 'purchase', NULL, NULL, 'sku', '{"price":5.0,"currency":"EUR","quantity":1}')
                """, arguments: [scenarioStart.addingTimeInterval(7200).timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO exception_event (user_id, time, seq) VALUES ('u2', ?, 1)",
                           arguments: [scenarioStart.addingTimeInterval(7200).timeIntervalSince1970])
            try db.execute(sql: "INSERT INTO trace (user_id, time, campaign_id, action, reason) VALUES ('u9', ?, 'F', 'scheduled', 'from 001')",
                           arguments: [scenarioStart.timeIntervalSince1970])
            // A campaign as 001 stored it: JSONEncoder's document, from before `messages`.
            var document = try JSONSerialization.jsonObject(with: JSONEncoder().encode(active("OLD"))) as? [String: Any] ?? [:]
            document.removeValue(forKey: "messages")
            try db.execute(sql: "INSERT INTO campaign (id, version, json) VALUES ('OLD', 1, ?)",
                           arguments: [try JSONSerialization.data(withJSONObject: document)])
        }
        try old.close()

        let store = try SQLiteStore(path: path)
        var delayed = followUp(reEligibleAfter: nil)
        delayed.delay = .relative(seconds: Int(day))
        delayed.exceptions = [.purchase(productID: nil)]
        let engine = ConnectorEngine(campaigns: [active("T"), delayed], workspaceTimeZone: utc)
        #expect(try store.receipts(for: "u1", since: scenarioStart).map(\.channel) == [.push])
        #expect(try store.campaigns().map(\.id) == ["OLD"], "old campaign documents still read (migration 005)")
        #expect(try store.trace(for: "u9").map(\.reason) == [DecisionReason(DecisionReason.Code(rawValue: ""), "from 001")],
                "old trace rows indexed by user (migration 006), with no code (migration 010)")
        #expect(try openWithIndex(path).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM trace_by_user") } == 1)
        #expect(try store.campaignVersions(of: "OLD").first?.messages.isEmpty == true)
        let at = scenarioStart.addingTimeInterval(3600)
        let report = try store.ingest([interact(.pushOpened, "T", user: "u1", at: at), interact(.pushOpened, "T", user: "u2", at: at)],
                                      engine: engine, now: at)
        #expect(report.decisions.map(\.reason.code) == [.alreadyReceived, .exceptionBeforeTrigger])
        #expect(report.decisions.first?.reason.text.contains("already received F") == true)
        #expect(try store.ingest([makeEvent(.sessionStart, user: "u3", at: at, id: "buy-1")], engine: engine, now: at).duplicates == ["buy-1"],
                "the migrated event's id is still remembered (R25)")
    }
}

@Suite("Campaign status changes in the store")
struct StoreLifecycleTests {
    @Test("a publish is stored in one transaction; a refused one leaves the stored campaign as it was", arguments: StoreKind.allCases)
    func publishIsStoredOrNothing(_ kind: StoreKind) async throws {
        let store = try await StoreUnderTest.make(kind).store
        var followUp = Campaign(id: "F", channels: [.push], messages: messages(for: [.push]))
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        var broken = Campaign(id: "B", channels: [.push], messages: messages(for: [.push]))
        broken.trigger = Trigger(kind: .pushOpened, target: "MISSING")
        for campaign in [Campaign(id: "T", channels: [.push], messages: messages(for: [.push])), followUp, broken] { _ = try await store.save(campaign) }

        let published = try await store.changeStatus(of: "T", to: .active, at: scenarioStart)
        #expect(published.warnings.first?.message.contains("follow-up F is still a draft") == true)
        await #expect(throws: CampaignLifecycle.Refusal.self) { try await store.changeStatus(of: "B", to: .active, at: scenarioStart) }

        let stored = Dictionary(uniqueKeysWithValues: try await store.campaigns().map { ($0.id, $0) })
        #expect(stored["T"]?.history.current == .active)
        #expect(stored["B"]?.history.current == .draft)
        // The store decides with what it holds: T's interactions match F only once F is published too (R3).
        let early = try await store.ingest([interact(.pushOpened, "T", user: "u1", at: scenarioStart.addingTimeInterval(60))],
                                           now: scenarioStart.addingTimeInterval(60))
        #expect(early.decisions.isEmpty || early.decisions.first?.reason.text.contains("F was not active") == true)
        #expect(try await store.waitingEntries(for: "u1").isEmpty)
    }
}

@Suite("Campaign versions in the store (R21)")
struct CampaignVersionTests {
    @Test("changed settings get the next version, unchanged ones keep theirs, and every version stays readable", arguments: StoreKind.allCases)
    func versions(_ kind: StoreKind) async throws {
        let store = try await StoreUnderTest.make(kind).store
        var followUp = Campaign(id: "F", channels: [.push])
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        _ = try await store.install(active("T"))
        #expect(try await store.save(followUp).version == 1)
        #expect(try await store.save(followUp).version == 1, "saving the same settings again is not a new version")
        followUp.delay = .relative(seconds: 7200)
        #expect(try await store.save(followUp).version == 2)
        followUp.messages = [.push: content(.push, "new copy")]
        #expect(try await store.save(followUp).version == 3, "new content is a new version (R21)")
        followUp.messages = [:]
        followUp.delay = .relative(seconds: 7200)
        #expect(try await store.save(followUp).version == 4)
        _ = try await store.changeStatus(of: "F", to: .active, at: scenarioStart.addingTimeInterval(-60))
        #expect(try await store.campaigns().first { $0.id == "F" }?.version == 4, "a status change is not a new version")

        let versions = try await store.campaignVersions(of: "F")
        #expect(versions.map(\.version) == [1, 2, 3, 4])
        #expect(versions.map(\.delay) == [.relative(seconds: 3600), .relative(seconds: 7200), .relative(seconds: 7200), .relative(seconds: 7200)])
        #expect(versions[2].messages[.push] == content(.push, "new copy"))

        // A waiting entry records the version that was live when it began.
        _ = try await store.ingest([interact(.pushOpened, "T", user: "u1", at: scenarioStart)], now: scenarioStart)
        #expect(try await store.waitingEntries(for: "u1").first?.campaignVersion == 4)
    }
}
