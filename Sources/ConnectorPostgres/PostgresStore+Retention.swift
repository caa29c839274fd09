import ConnectorCore
import ConnectorStore
import Foundation
import PostgresNIO

extension PostgresStore {
    /// Deletes events that happened before `eventsBefore` and trace records written before
    /// `traceBefore`, oldest first, at most 10,000 rows per transaction so that ingestion
    /// and other instances wait for one chunk at most (the same contract as the SQLite
    /// store's `prune`).
    ///
    /// Waiting entries, receipts (R7 may need them for ever), users, campaigns and the
    /// outbox are kept. A deleted event's id is no longer known, so the same id arriving
    /// again is a new event (R25 holds for as long as events are kept). An exception can
    /// only cancel a wait that began before it, so events older than the longest delay
    /// are no longer needed by the engine (R14).
    @discardableResult
    public func prune(eventsBefore: Date, traceBefore: Date) async throws -> PruneReport {
        var report = PruneReport()
        let eventCutoff = eventsBefore.timeIntervalSince1970, traceCutoff = traceBefore.timeIntervalSince1970
        while true {
            let (deleted, exceptions) = try await transaction { connection -> (Int, Int) in
                let rows = try await connection.query("""
                    DELETE FROM event WHERE seq IN (SELECT seq FROM event WHERE time < \(eventCutoff) ORDER BY seq LIMIT 10000)
                    RETURNING may_cancel
                    """, logger: logger)
                var count = 0, exceptions = 0
                for try await mayCancel in rows.decode(Bool.self) {
                    count += 1
                    if mayCancel { exceptions += 1 }
                }
                return (count, exceptions)
            }
            report.events += deleted
            report.exceptionEvents += exceptions
            if deleted < 10_000 { break }
        }
        while true {
            let deleted = try await transaction { connection -> Int in
                let rows = try await connection.query("""
                    DELETE FROM trace WHERE seq IN (SELECT seq FROM trace WHERE time < \(traceCutoff) ORDER BY seq LIMIT 10000) RETURNING seq
                    """, logger: logger)
                var count = 0
                for try await _ in rows.decode(Int64.self) { count += 1 }
                return count
            }
            report.traceRecords += deleted
            if deleted < 10_000 { break }
        }
        return report
    }
}
