import ConnectorCore
import Foundation
import GRDB
import Logging
import Synchronization
import Testing

@testable import ConnectorStore

/// The by-user indexes live in a second file beside the store, filled by the index thread
/// (StateIndexFile.swift): derived data, rebuilt when it is missing or foreign, and never
/// a reason for a reader to miss state while a bulk runs.
extension StateIndexTests {
    func answers(_ store: SQLiteStore) throws -> [String] {
        try users.map { user in
            let waiting = try store.waitingEntries(for: user).map { "\($0.followUp)@\($0.dueAt.timeIntervalSince1970)" }.sorted()
            let receipts = try store.receipts(for: user, since: scenarioStart).map { "\($0.time.timeIntervalSince1970) \($0.channel)" }
            let trace = try store.trace(for: user).map { "\($0.campaign) \($0.action)" }
            return "\(user): waiting \(waiting) receipts \(receipts) trace \(trace)"
        }
    }

    func removeIndexFile(of path: String) {
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: SQLiteStore.indexPath(for: path) + suffix) }
    }

    @Test("R6, R7, R14: the index file is derived: deleted, or another store's, it is rebuilt from the store's tables at open, with the same answers and decisions after")
    func indexFileIsRebuilt() async throws {
        let (_, folder) = try await run(stateIndexEvery: 1, steps: steps)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("connector.sqlite").path
        let before = try answers(SQLiteStore(path: path))
        #expect(before.contains { $0.hasPrefix("u5:") && $0.contains("waiting [\"R@") }, "the scenario leaves u5 waiting for R")

        removeIndexFile(of: path)
        let rebuilt = try SQLiteStore(path: path)
        #expect(try answers(rebuilt) == before)
        #expect(try count("waiting_by_user", in: folder) == 1 && count("receipt", in: folder) > 0 && count("trace_by_user", in: folder) > 0,
                "rebuilt in the file, not only noted in memory")
        // R6 after the rebuild: u5's entry (triggered at 3 d + 10 min, due an hour later) is
        // found by user, so a new trigger while it waits restarts it.
        let restart = scenarioStart.addingTimeInterval(3 * day + 1200)
        let report = try rebuilt.ingest([interact(.pushOpened, "T2", user: "u5", at: restart)], engine: engine, now: restart)
        #expect(report.decisions.compactMap(\.entry).map(\.userID) == ["u5"], "\(report.decisions.map(\.reason))")
        #expect(try rebuilt.waitingEntries(for: "u5").map(\.triggerTime) == [restart])
        let stored = try rebuilt.dueEntries(at: restart.addingTimeInterval(365 * day), limit: 1000).filter { $0.userID == "u5" }
        #expect(stored.map(\.triggerTime) == [restart], "the old entry was found by user and replaced, not left beside the new one")

        // Another store's index file (same file name, other store id): rebuilt too.
        let (_, otherFolder) = try await run(stateIndexEvery: 1, steps: Array(steps.prefix(1)))
        defer { try? FileManager.default.removeItem(at: otherFolder) }
        let otherPath = otherFolder.appendingPathComponent("connector.sqlite").path
        try SQLiteStore(path: otherPath).indexStateIfDue(force: true)
        let expected = try answers(rebuilt)
        removeIndexFile(of: path)
        try FileManager.default.copyItem(atPath: SQLiteStore.indexPath(for: otherPath), toPath: SQLiteStore.indexPath(for: path))
        #expect(try answers(SQLiteStore(path: path)) == expected)
    }

    @Test("R7: while bulks run on the index thread, a reader never misses a waiting entry or a follow-up's receipt (notes go only once their bulk is visible)")
    func readersNeverMissStateDuringBulks() throws {
        let temporary = try TemporaryStore()
        let path = temporary.path
        let store = try SQLiteStore(path: path, stateIndexEvery: 16)
        let engine = engine
        for user in users { try store.save(User(id: user, addresses: [.push: "token-\(user)"])) }
        // u9 waits for F (a day); u8 collects a receipt in every batch.
        _ = try store.ingest([interact(.pushOpened, "T", user: "u9", at: scenarioStart)], engine: engine, now: scenarioStart)
        final class Shared: Sendable {
            let done = Atomic(false)
            let firstRead = DispatchSemaphore(value: 0)
            let finished = DispatchSemaphore(value: 0)
            let problems = Mutex<[String]>([])
        }
        let shared = Shared()
        let reader = Thread {
            var lastReceipts = 0, readOnce = false
            while !shared.done.load(ordering: .acquiring) {
                do {
                    let waiting = try store.waitingEntries(for: "u9").count
                    let receipts = try store.receipts(for: "u8", since: scenarioStart).count
                    if waiting != 1 || receipts < lastReceipts {
                        shared.problems.withLock { $0.append("waiting \(waiting), receipts \(receipts) after \(lastReceipts)") }
                    }
                    lastReceipts = receipts
                } catch {
                    shared.problems.withLock { $0.append("\(error)") }
                }
                if !readOnce { readOnce = true; shared.firstRead.signal() }
            }
            shared.finished.signal()
        }
        reader.start()
        shared.firstRead.wait()  // the reader is reading before the first batch goes in
        let batches = 120
        for batch in 1...batches {
            let time = scenarioStart.addingTimeInterval(Double(batch))
            let events = [interact(.pushReceived, "F", user: "u8", at: time)]
                + (0..<8).map { interact(.pushOpened, "T2", user: UserID("u\($0)"), at: time.addingTimeInterval(0.5)) }
            #expect(try store.ingest(events, engine: engine, now: time).failures.isEmpty)
        }
        shared.done.store(true, ordering: .releasing)
        shared.finished.wait()
        store.waitForIndexing()
        #expect(shared.problems.withLock { $0 }.isEmpty)
        #expect(try store.receipts(for: "u8", since: scenarioStart).count == batches)
        #expect(try count("receipt", in: temporary.folder) >= batches - 16, "the receipts went through bulks (the file has them)")
    }

    @Test("R14: a bulk that fails on the index thread is logged, keeps its notes (answers stay right) and succeeds when retried after a later batch")
    func failedBulkIsLoggedAndRetried() throws {
        let temporary = try TemporaryStore()
        let path = temporary.path
        let logs = CollectedLogs()
        let store = try SQLiteStore(path: path, stateIndexEvery: 2, logger: Logger(label: "test") { _ in CollectingLogHandler(logs: logs) })
        for user in users { try store.save(User(id: user, addresses: [.push: "token-\(user)"])) }
        let engine = engine
        // The index file loses a table only the bulk writes (its marks), as a damaged file would.
        try openWithIndex(path).write { try $0.execute(sql: "ALTER TABLE idx.index_state RENAME TO index_state_away") }
        let start = scenarioStart
        _ = try store.ingest(users.prefix(4).map { interact(.pushOpened, "T", user: $0, at: start) }, engine: engine, now: start)
        // u1's purchase (a possible exception) after its wait began, then u2's trigger ...
        let buy = makeEvent(.purchase(productID: "sku", price: 5, currency: "EUR", quantity: 1), user: "u1", at: start.addingTimeInterval(3600))
        _ = try store.ingest([buy, interact(.pushReceived, "F", user: "u2", at: start.addingTimeInterval(3601))], engine: engine, now: start.addingTimeInterval(3601))
        store.waitForIndexing()
        let failures = logs.lines.withLock { $0 }.filter { $0.hasPrefix("error") }
        #expect(failures.contains { $0.contains("indexing waiting entries, receipts and exceptions by user failed") && $0.contains("index_state") },
                "\(failures)")
        #expect(try store.waitingEntries(for: "u1").isEmpty, "R13: the purchase cancelled u1's wait")
        #expect(try store.waitingEntries(for: "u3").map(\.followUp) == ["F"], "u3 still waits: nothing lost while the bulk fails")
        #expect(try store.receipts(for: "u2", since: start).count == 1)

        // Repaired: the next batch queues the failed bulk again, and it goes through.
        try openWithIndex(path).write { try $0.execute(sql: "ALTER TABLE idx.index_state_away RENAME TO index_state") }
        _ = try store.ingest([interact(.pushOpened, "T", user: "u5", at: start.addingTimeInterval(7200))], engine: engine, now: start.addingTimeInterval(7200))
        store.waitForIndexing()
        #expect(try count("exception_event", in: temporary.folder) >= 1, "the purchase reached the index file")
        #expect(try store.waitingEntries(for: "u3").map(\.followUp) == ["F"])
        // R14 from the index file after a restart: u1's later trigger, before the purchase, is cancelled before it begins.
        let reopened = try SQLiteStore(path: path)
        let late = try reopened.ingest([interact(.pushOpened, "T", user: "u1", at: start.addingTimeInterval(1800))], engine: engine,
                                       now: start.addingTimeInterval(7200))
        #expect(late.decisions.map(\.reason.code).contains(.exceptionBeforeTrigger), "\(late.decisions.map(\.reason))")
    }

    @Test("R7: a rebuilt index file holds the follow-ups' receipts and leaves out the originals'")
    func rebuildWithFollowUpsOnly() throws {
        let temporary = try TemporaryStore()
        let path = temporary.path
        var store: SQLiteStore? = try SQLiteStore(path: path)
        let engine = engine
        for campaign in engine.campaigns.values.sorted(by: { ($0.trigger != nil ? 1 : 0, $0.id) < ($1.trigger != nil ? 1 : 0, $1.id) }) { try store?.install(campaign) }
        _ = try store?.ingest([interact(.pushReceived, "F", user: "u1", at: scenarioStart),
                               interact(.pushReceived, "R", user: "u1", at: scenarioStart.addingTimeInterval(1)),
                               interact(.pushReceived, "T", user: "u1", at: scenarioStart.addingTimeInterval(2))], engine: engine, now: scenarioStart)
        store = nil
        removeIndexFile(of: path)
        _ = try SQLiteStore(path: path)
        let campaigns = try openWithIndex(path).read { try String.fetchAll($0, sql: "SELECT campaign_id FROM receipt ORDER BY campaign_id") }
        #expect(campaigns == ["F", "R"])
    }
}

/// Log lines collected by a test.
final class CollectedLogs: Sendable {
    let lines = Mutex<[String]>([])
}

struct CollectingLogHandler: LogHandler {
    let logs: CollectedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let metadata = (event.metadata ?? [:]).map { "\($0.key)=\($0.value)" }.sorted()
        logs.lines.withLock { $0.append("\(event.level) \(event.message) \(metadata)") }
    }
}
