import ChildProcess
import ConnectorCore
import ConnectorStore
import Foundation
import GRDB
import Testing

@Suite("Crash safety")
struct CrashSafetyTests {
    /// The `connector` executable built next to the test bundle.
    static var connectorPath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("connector").path
    }

    @Test("a process killed (-9) in the middle of a large batch leaves a database that opens and is consistent")
    func killedMidBatch() async throws {
        let path = Self.connectorPath
        try #require(FileManager.default.isExecutableFile(atPath: path), "build the connector executable first (swift build): \(path)")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("crash-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("connector.sqlite").path

        // A bulk for every batch (20,000 notes each): the kill lands while the index thread
        // is writing one, or between two.
        let process = try ChildProcess(
            executable: path,
            arguments: ["ingest-synthetic", "--database", database, "--events", "2000000", "--batch", "20000", "--state-index-every", "10000"]
        )
        // Two batches committed, then kill it once it says it is writing the third.
        var lines: [String] = []
        while let line = await process.readLine() {
            lines.append(line)
            if line == "writing 60000" { break }
        }
        try #require(lines.last == "writing 60000", "the ingestion ended early: \(lines)")
        let termination = process.terminate(signal: SIGKILL)  // returns once it is gone
        #expect(termination == .signalled(SIGKILL), "it was killed, not finished: \(termination)")

        let store = try SQLiteStore(path: database)  // opens (and recovers the WAL)
        let queue = try DatabaseQueue(path: database)
        let (events, ids, waiting, scheduled, integrity) = try await queue.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT event_id) FROM event") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM waiting") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trace WHERE action = 'scheduled'") ?? -1,
             try String.fetchOne(db, sql: "PRAGMA integrity_check") ?? "")
        }
        #expect(integrity == "ok")
        let (indexIntegrity, waitingMark, byUser) = try await openWithIndex(database).read { db in
            (try String.fetchOne(db, sql: "PRAGMA idx.integrity_check") ?? "",
             try Int.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM index_state WHERE name = 'waiting_indexed_through'") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM waiting_by_user") ?? -1)
        }
        #expect(indexIntegrity == "ok")
        #expect(waitingMark > 0 && byUser > 0, "bulks had run before the kill (mark \(waitingMark), \(byUser) rows)")
        #expect(events >= 40_000, "at least the two reported batches are durable: \(events)")
        #expect(events % 20_000 == 0, "only whole batches: \(events) events")
        #expect(ids == events, "no event was stored twice")
        #expect(waiting == events && scheduled == events, "every stored event has its decision applied")
        #expect(try store.dueEntries(at: Date.distantFuture, limit: 1).count == 1)
        // What the killed process had not indexed by user yet is read back from the tables:
        // every waiting entry is found through its user.
        let sample = try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT user_id, id FROM waiting ORDER BY random() LIMIT 300")
        }
        let found = try sample.filter { row in try store.waitingEntries(for: UserID(row["user_id"] as String)).contains { $0.id == row["id"] as String } }
        #expect(found.count == sample.count, "\(sample.count - found.count) of \(sample.count) waiting entries not found by user")
    }
}
