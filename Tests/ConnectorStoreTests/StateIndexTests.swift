import ConnectorCore
import Foundation
import GRDB
import Testing

@testable import ConnectorStore

/// Waiting entries, receipts and possible exceptions are indexed by user in bulk; until
/// then the store holds them in memory, rebuilt from the tables after a restart or a
/// rollback (UnindexedState). Every rule must read the same either way.
@Suite("Per-user state indexed in bulk (R6, R7, R14, R18, R19)")
struct StateIndexTests {
    let utc = TimeZone(identifier: "UTC") ?? .current
    let hour: TimeInterval = 3600
    let day: TimeInterval = 86_400

    enum Step {
        case ingest([Event], now: Date)
        case schedule(at: Date)
    }

    /// F waits a day (purchases cancel it, re-eligible after 3 days, at most 3 sends a
    /// minute); R waits an hour and restarts on its own trigger (R6).
    var engine: ConnectorEngine {
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: Int(day))
        followUp.exceptions = [.purchase(productID: nil)]
        followUp.reEligibility = .after(seconds: Int(3 * day))
        followUp.rateLimitPerMinute = 3
        var restarting = active("R")
        restarting.trigger = Trigger(kind: .pushOpened, target: "T2")
        restarting.delay = .relative(seconds: Int(hour))
        restarting.exceptions = [.interaction(kind: .pushOpened, campaign: "T2", detail: nil)]
        restarting.reEligibility = .after(seconds: 0)
        return ConnectorEngine(campaigns: [active("T"), active("T2"), followUp, restarting], workspaceTimeZone: utc)
    }

    let users = (0..<10).map { UserID("u\($0)") }

    /// One scenario, the same events for every store.
    var steps: [Step] {
        let start = scenarioStart
        func purchase(_ user: UserID, at time: Date) -> Event {
            makeEvent(.purchase(productID: "sku", price: 5, currency: "EUR", quantity: 1), user: user, at: time)
        }
        let secondRound = start.addingTimeInterval(day + 2 * hour)
        return [
            .ingest(users.map { interact(.pushOpened, "T", user: $0, at: start) }, now: start),
            .ingest(users.prefix(3).map { purchase($0, at: start.addingTimeInterval(hour)) }, now: start.addingTimeInterval(hour)),
            .ingest([interact(.pushReceived, "F", user: "u3", at: start.addingTimeInterval(2 * hour)),
                     interact(.emailReceived, "T", user: "u3", at: start.addingTimeInterval(2 * hour + 1))], now: start.addingTimeInterval(2 * hour)),
            // 7 due, 3 a minute (R18): sends, holds, then the rest.
            .schedule(at: start.addingTimeInterval(day)),
            .schedule(at: start.addingTimeInterval(day + 60)),
            .schedule(at: start.addingTimeInterval(day + 120)),
            // u3's receipt keeps F from starting again (R7); the cancelled users may (R15).
            .ingest(users.map { interact(.pushOpened, "T", user: $0, at: secondRound) }, now: secondRound),
            // A purchase while u0 waits again: cancelled.
            .ingest([purchase("u0", at: secondRound.addingTimeInterval(hour))], now: secondRound.addingTimeInterval(hour)),
            .schedule(at: secondRound.addingTimeInterval(day)),
            .schedule(at: secondRound.addingTimeInterval(day + 60)),
            .schedule(at: secondRound.addingTimeInterval(day + 120)),
            // R6: u5's second trigger restarts its wait for R; one entry remains.
            .ingest([interact(.pushOpened, "T2", user: "u5", at: start.addingTimeInterval(3 * day))], now: start.addingTimeInterval(3 * day)),
            .ingest([interact(.pushOpened, "T2", user: "u5", at: start.addingTimeInterval(3 * day + 600))],
                    now: start.addingTimeInterval(3 * day + 600)),
            // R14 out of order: u6's purchase arrives before its earlier trigger.
            .ingest([purchase("u6", at: start.addingTimeInterval(5 * day + 1800))], now: start.addingTimeInterval(5 * day + 1800)),
            .ingest([interact(.pushOpened, "T", user: "u6", at: start.addingTimeInterval(5 * day))], now: start.addingTimeInterval(5 * day + 1800)),
        ]
    }

    /// What a store says after the scenario: every decision and outcome in order, each
    /// user's waiting entries and receipts.
    struct Outcome: Equatable {
        var decisions: [String] = []
        var sends: [String] = []
        var waiting: [UserID: [WaitingEntry]] = [:]
        var receipts: [UserID: [String]] = [:]
    }

    /// Runs the scenario; `reopen` opens the store anew before every step (a restart with
    /// nothing indexed in between when the threshold is high).
    /// Runs the steps on a new store; `reopen` opens it again before every step (after the
    /// previous one's queued bulks, as a restart finds them); `finalBulk` indexes the last
    /// notes before the store goes, so that nothing is left for a later read to find.
    func run(stateIndexEvery: Int, reopen: Bool = false, finalBulk: Bool = false, steps: [Step]) async throws -> (Outcome, URL) {
        let folder = try makeTemporaryFolder("state")
        let path = folder.appendingPathComponent("connector.sqlite").path
        var store = try SQLiteStore(path: path, stateIndexEvery: stateIndexEvery)
        for user in users { try store.save(User(id: user, addresses: [.push: "token-\(user)"])) }
        let engine = engine
        for campaign in engine.campaigns.values.sorted(by: { ($0.trigger != nil ? 1 : 0, $0.id) < ($1.trigger != nil ? 1 : 0, $1.id) }) {
            try await store.install(campaign)  // targets before follow-ups
        }
        var outcome = Outcome()
        for step in steps {
            if reopen {
                store.waitForIndexing()
                store = try SQLiteStore(path: path, stateIndexEvery: stateIndexEvery)
            }
            switch step {
            case .ingest(let events, let now):
                let report = try store.ingest(events, engine: engine, now: now)
                #expect(report.failures.isEmpty)
                outcome.decisions += report.decisions.map { "\($0.followUp) \($0.reason)" }
            case .schedule(let at):
                let scheduler = Scheduler(store: store, worker: "state-test")
                outcome.sends += try await scheduler.runDue(at: at).compactMap(\.outcome).map { outcome in
                    switch outcome {
                    case .send(let dispatches, _): return "send \(dispatches.map(\.userID.rawValue))"
                    case .hold(let until, _): return "hold until \(until.timeIntervalSince1970)"
                    case .control: return "control"
                    case .skip(let reason): return "skip \(reason)"
                    }
                }
            }
        }
        store.waitForIndexing()  // the bulks queued on the index thread, for the counts below
        if finalBulk {
            try store.ingestLock.withLock { try store.indexStateIfDue(force: true) }
        }
        for user in users {
            outcome.waiting[user] = try store.waitingEntries(for: user).sorted { $0.id < $1.id }
            outcome.receipts[user] = try store.receipts(for: user, since: scenarioStart).map { "\($0.time.timeIntervalSince1970) \($0.channel)" }
        }
        return (outcome, folder)
    }

    func count(_ table: String, in folder: URL) throws -> Int {
        try openWithIndex(folder.appendingPathComponent("connector.sqlite").path).read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table)") ?? -1
        }
    }

    @Test("R6, R7, R14, R18, R19: the same decisions, sends, waiting entries and receipts whether the state is indexed at once, in small bulks, not yet, or read back after a restart")
    func sameAnswersIndexedOrNot() async throws {
        let steps = steps
        let (never, neverFolder) = try await run(stateIndexEvery: 1_000_000, steps: steps)
        defer { try? FileManager.default.removeItem(at: neverFolder) }
        // The scenario exercises what it should (so the comparison below means something).
        #expect(never.decisions.contains { $0.hasPrefix("F skipped") && $0.contains("re-eligible from") }, "R7 from a receipt")
        #expect(never.decisions.contains { $0.hasPrefix("F cancelled: exception purchase") }, "R13 cancel")
        #expect(never.decisions.contains { $0.contains("cancelled before it began") }, "R14 out of order")
        #expect(never.sends.contains { $0.hasPrefix("hold") } && never.sends.filter { $0.hasPrefix("send") }.count == 7 + 8,
                "R18 holds, then all sent: \(never.sends)")
        #expect(never.waiting.values.joined().map(\.followUp) == ["R"], "only u5's R waits at the end")
        #expect(never.waiting["u5"]?.map(\.triggerTime) == [scenarioStart.addingTimeInterval(3 * day + 600)], "R6: the restarted entry replaced the first")
        #expect(never.receipts["u3"]?.count == 1, "R7: u3's receipt of the follow-up F; T's is not indexed")
        #expect(try count("waiting_by_user", in: neverFolder) == 0 && count("receipt", in: neverFolder) == 0,
                "nothing indexed by user yet: every answer came from memory")

        for (every, reopen) in [(1, false), (4, false), (1_000_000, true), (3, true)] {
            let (outcome, folder) = try await run(stateIndexEvery: every, reopen: reopen, steps: steps)
            defer { try? FileManager.default.removeItem(at: folder) }
            #expect(outcome == never, "indexed every \(every)\(reopen ? ", reopened before every step" : "")")
            if every < 10 {
                // (The bulks run on the index thread, one at a time: the last notes may still wait for one.)
                let waitingMark = try await openWithIndex(folder.appendingPathComponent("connector.sqlite").path).read { try StateIndexFile.mark(.waiting, $0) }
                #expect(try count("receipt", in: folder) > 0 && waitingMark > 0, "bulks ran (every \(every))")
            }
        }
    }

    @Test("every entry that left the wait leaves the by-user index at the next bulk; a row whose entry is gone (a lost note) is dropped when read")
    func goneEntriesLeaveTheIndex() async throws {
        let (_, folder) = try await run(stateIndexEvery: 2, finalBulk: true, steps: steps)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("connector.sqlite").path
        let store = try SQLiteStore(path: path, stateIndexEvery: 2)
        // A by-user row pointing at nothing, as a crash between a delete and the next bulk leaves.
        // u1 waits for nothing at the end of the scenario; u5 waits for R (its restarted entry).
        let u5Waiting = try store.waitingEntries(for: "u5")
        #expect(u5Waiting.map(\.followUp) == ["R"])
        #expect(u5Waiting.map(\.triggerTime) == [scenarioStart.addingTimeInterval(3 * day + 600)])
        try await openWithIndex(path).write {
            try $0.execute(sql: "INSERT INTO waiting_by_user (user_id, seq) VALUES ('u1', 999999), ('u5', 999999)")
        }
        // (The entries are built with the user asked for, so only exact lists tell a stale row from a live one.)
        #expect(try store.waitingEntries(for: "u1") == [], "the stale row is dropped, not read as an entry")
        #expect(try store.waitingEntries(for: "u5") == u5Waiting, "the stale row is dropped; the live entry stays")
        try store.ingestLock.withLock { try store.indexStateIfDue(force: true) }
        let (byUser, waiting, stale) = try await openWithIndex(path).read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM waiting_by_user") ?? -1, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM waiting") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM waiting_by_user b LEFT JOIN waiting w ON w.seq = b.seq WHERE w.seq IS NULL") ?? -1)
        }
        #expect(waiting > 0)
        #expect(byUser == waiting, "one by-user row per waiting entry")
        #expect(stale == 0)
    }

    @Test("R15: a cancel records no receipt: with the store's state after the cancel, the user waits for F again")
    func cancelLeavesNoReceipt() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let engine = engine  // F: purchases cancel it; re-eligible 3 days after a receipt
        try store.save(User(id: "u1", addresses: [.push: "token-u1"]))
        let first = try store.ingest([interact(.pushOpened, "T", user: "u1", at: scenarioStart)], engine: engine, now: scenarioStart)
        let entry = try #require(first.decisions.compactMap(\.entry).first)
        #expect(entry.followUp == "F")

        let purchaseTime = scenarioStart.addingTimeInterval(hour)
        let purchase = makeEvent(.purchase(productID: "sku", price: 5, currency: "EUR", quantity: 1), user: "u1", at: purchaseTime)
        let cancel = try store.ingest([purchase], engine: engine, now: purchaseTime)
        #expect(cancel.decisions == [.cancel(entryID: entry.id, followUp: "F", reason: DecisionReason(.exception, "cancelled: exception purchase at 2026-03-02T11:00:00Z"))])
        #expect(try store.waitingEntries(for: "u1") == [])
        #expect(try store.receipts(for: "u1", since: scenarioStart.addingTimeInterval(-day)).isEmpty, "a cancel is not a receipt (R15)")

        // The same store, after the cancel: a new trigger within the re-eligibility window schedules F again.
        let again = scenarioStart.addingTimeInterval(2 * hour)
        let retrigger = try store.ingest([interact(.pushOpened, "T", user: "u1", at: again)], engine: engine, now: again)
        #expect(retrigger.decisions.compactMap(\.entry).map(\.triggerTime) == [again], "\(retrigger.decisions)")
        #expect(try store.waitingEntries(for: "u1").map(\.triggerTime) == [again])
    }

    @Test("a failed event's receipt is forgotten with it: the user is still eligible for F once the event is fixed (R7)")
    func failedEventLeavesNoReceipt() throws {
        let temporary = try TemporaryStore()
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.reEligibility = .never
        // G follows F's receipts, so a receipt of F reads the user (and fails on a damaged row).
        var chained = active("G")
        chained.trigger = Trigger(kind: .pushReceived, target: "F")
        let engine = ConnectorEngine(campaigns: [active("T"), followUp, chained], workspaceTimeZone: utc)
        let path = temporary.path
        let outside = try DatabaseQueue(path: path)
        try outside.write { try $0.execute(sql: "INSERT INTO user (id, json) VALUES ('broken', X'7B226964223A')") }  // {"id":

        let receipt = interact(.pushReceived, "F", user: "broken", at: scenarioStart)
        let other = interact(.pushOpened, "T", user: "u1", at: scenarioStart.addingTimeInterval(1))
        let report = try temporary.store.ingest([receipt, other], engine: engine, now: scenarioStart.addingTimeInterval(1))
        #expect(report.failures.map(\.eventID) == [receipt.id])
        #expect(report.decisions.compactMap(\.entry).map(\.userID) == ["u1"])
        #expect(try temporary.store.receipts(for: "broken", since: scenarioStart).isEmpty, "no receipt from the failed event")

        try outside.write { try $0.execute(sql: "UPDATE user SET json = X'7B226964223A2262726F6B656E227D' WHERE id = 'broken'") }  // {"id":"broken"}
        let trigger = scenarioStart.addingTimeInterval(60)
        let later = try temporary.store.ingest([interact(.pushOpened, "T", user: "broken", at: trigger)], engine: engine, now: trigger)
        #expect(later.decisions.first?.entry?.followUp == "F", "\(later.decisions)")
        try outside.close()
    }

    @Test("a database from schema 006 migrates: its waiting entries still wait, are found by user and when due, and a restart replaces them (R6)")
    func migrationOfWaitingEntries() throws {
        let folder = try makeTemporaryFolder("migrate")
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("old.sqlite").path
        let old = try DatabaseQueue(path: path)
        try SQLiteStore.migrator.migrate(old, upTo: "006 trace indexed by user in bulk")
        let entry = WaitingEntry(followUp: "R", campaignVersion: 1, userID: "u5", triggerEventID: "t-1",
                                 triggerTime: scenarioStart, dueAt: scenarioStart.addingTimeInterval(hour))
        try old.write { db in
            try db.execute(sql: """
                INSERT INTO waiting (id, follow_up, version, user_id, trigger_event_id, trigger_time, due_at) VALUES (?, 'R', 1, 'u5', 't-1', ?, ?)
                """, arguments: [entry.id, scenarioStart.timeIntervalSince1970, scenarioStart.addingTimeInterval(hour).timeIntervalSince1970])
        }
        try old.close()

        let store = try SQLiteStore(path: path)
        #expect(try store.waitingEntries(for: "u5") == [entry])
        #expect(try store.dueEntries(at: scenarioStart.addingTimeInterval(hour), limit: 10) == [entry])  // first due = due (migration 011)
        let restart = scenarioStart.addingTimeInterval(600)
        let report = try store.ingest([interact(.pushOpened, "T2", user: "u5", at: restart)], engine: engine, now: restart)
        #expect(report.decisions.compactMap(\.entry).map(\.triggerTime) == [restart])
        #expect(try store.waitingEntries(for: "u5").map(\.triggerTime) == [restart], "one entry per user and follow-up")
    }
}
