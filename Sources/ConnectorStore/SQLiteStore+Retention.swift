import ConnectorCore
import Foundation
import GRDB

/// What ``Store/prune(eventsBefore:traceBefore:)`` removed.
public struct PruneReport: Sendable, Equatable {
    public var events = 0
    public var exceptionEvents = 0
    public var traceRecords = 0

    public init() {}
}

extension SQLiteStore {
    /// Deletes events that happened before `eventsBefore` (with their out-of-order
    /// exception index rows) and trace records written before `traceBefore`, oldest first,
    /// at most 10,000 rows per transaction so ingestion waits for one chunk at most.
    ///
    /// Rows are visited in arrival order and a walk stops at the first chunk with nothing
    /// to delete, so an event that arrived long after newer ones may outlive the cutoff
    /// until a later run. Waiting entries, receipts (R7 may need them for ever), users,
    /// campaigns and the outbox are kept. Remembered ids for deduplication are not
    /// affected (they follow ``dedupeWindow``). An exception can only cancel a wait that
    /// began before it, so events older than the longest delay are no longer needed by
    /// the engine (R14); how long to keep them beyond that is the operator's choice.
    @discardableResult
    public func prune(eventsBefore: Date, traceBefore: Date) throws -> PruneReport {
        var report = PruneReport()
        // Receipts and exceptions not indexed yet are rebuilt from the event rows after a
        // restart: index them before any of those rows can go.
        do {
            ingestLock.lock()
            defer { ingestLock.unlock() }
            try index.flush()
        }
        let eventCutoff = eventsBefore.timeIntervalSince1970
        // The newest row of each table stays: keys are MAX + 1, and a key handed out again
        // would fall below the index file's marks.
        try walkChunks(table: "event") { db, first, last in
            let old = try Row.fetchAll(db, sql: """
                SELECT seq, user_id, time FROM event WHERE seq BETWEEN ? AND ? AND time < ? AND seq < (SELECT MAX(seq) FROM event)
                """, arguments: [first, last, eventCutoff])
            try db.execute(sql: "DELETE FROM event WHERE seq BETWEEN ? AND ? AND time < ? AND seq < (SELECT MAX(seq) FROM event)",
                           arguments: [first, last, eventCutoff])
            report.events += db.changesCount
            // Their rows in the index file, after the store's commit (a crash in between
            // leaves index rows whose event has gone, which the reading join drops).
            return (old.count, {
                try self.index.write { index in
                    let delete = try index.cachedStatement(sql: "DELETE FROM exception_event WHERE user_id = ? AND time = ? AND seq = ?")
                    for row in old {
                        try delete.execute(arguments: [row["user_id"] as String, row["time"] as Double, row["seq"] as Int64])
                        report.exceptionEvents += index.changesCount
                    }
                }
            })
        }
        try index.write { db in
            // Whole days of the user index; entries of deleted rows within the cutoff's own
            // day are left and dropped by the join when the trace is read.
            try db.execute(sql: "DELETE FROM trace_by_user WHERE day < ?", arguments: [Int64((traceBefore.timeIntervalSince1970 / 86_400).rounded(.down))])
        }
        try walkChunks(table: "trace") { db, first, last in
            try db.execute(sql: "DELETE FROM trace WHERE seq BETWEEN ? AND ? AND time < ? AND seq < (SELECT MAX(seq) FROM trace)",
                           arguments: [first, last, traceBefore.timeIntervalSince1970])
            report.traceRecords += db.changesCount
            return (db.changesCount, {})
        }
        return report
    }

    /// Calls `delete` with successive ranges of 10,000 keys of `table` (by `seq`), each in
    /// its own transaction, until a range deletes nothing. `delete` returns how many rows
    /// it deleted and what to do once its transaction has committed.
    private func walkChunks(table: String, _ delete: (Database, Int64, Int64) throws -> (Int, () throws -> Void)) throws {
        var cursor = Int64.min
        while true {
            let (next, afterCommit) = try write { db -> (Int64?, () throws -> Void) in
                let keys = try Int64.fetchAll(db, sql: "SELECT seq FROM \(table) WHERE seq > ? ORDER BY seq LIMIT 10000", arguments: [cursor])
                guard let first = keys.first, let last = keys.last else { return (nil, {}) }
                let (deleted, afterCommit) = try delete(db, first, last)
                return (deleted > 0 ? last : nil, afterCommit)
            }
            try afterCommit()
            guard let next else { return }
            cursor = next
        }
    }
}
