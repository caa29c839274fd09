import ConnectorCore
import Foundation
import GRDB

/// The decision trace is appended without a per-user index; the user index is built in
/// bulk, a day partition at a time.
///
/// A per-user index maintained on every insert was a random B-tree write per decision:
/// one dirty 4 KB page each, about 0.7 KB of WAL an event and 12-18% of ingestion
/// (docs/PERFORMANCE.md). Instead `trace_by_user` (day, user, seq) is filled from the
/// appended rows once ``traceIndexEvery`` rows are waiting, sorted, in one transaction,
/// so each index page is written about once per bulk, and a day's entries sit together
/// so a bulk touches only the current day's part. A user's trace is the indexed part (one
/// seek per day) plus a scan of the rows not indexed yet (fewer than ``traceIndexEvery``).
extension SQLiteStore {
    /// The key up to which trace rows are in `trace_by_user` (kept in `setting`).
    static func traceIndexedThrough(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM setting WHERE name = 'trace_indexed_through'") ?? 0
    }

    /// Indexes the trace rows appended since the last bulk when there are at least
    /// ``traceIndexEvery`` of them (or any, with `force`), in one transaction.
    func indexTraceIfDue(force: Bool = false) throws {
        let every = traceIndexEvery
        try pool.write { db in
            let through = try Self.traceIndexedThrough(db)
            let newest = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM trace") ?? 0
            guard newest > through, force || newest - through >= every else { return }
            try db.execute(sql: """
                INSERT OR IGNORE INTO trace_by_user (day, user_id, seq)
                SELECT CAST(time / 86400 AS INTEGER), user_id, seq FROM trace WHERE seq > ? AND seq <= ? ORDER BY 1, 2, 3
                """, arguments: [through, newest])
            try db.execute(sql: "INSERT OR REPLACE INTO setting (name, value) VALUES ('trace_indexed_through', ?)", arguments: [String(newest)])
        }
    }

    public func trace(for user: UserID) throws -> [TraceRecord] {
        try pool.read { db in
            var rows: [Row] = []
            // The indexed part: one seek per day partition.
            var day = try Int64.fetchOne(db, sql: "SELECT MIN(day) FROM trace_by_user")
            while let current = day {
                rows += try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT t.seq, t.time, t.campaign_id, t.action, t.reason
                    FROM trace_by_user u JOIN trace t ON t.seq = u.seq
                    WHERE u.day = ? AND u.user_id = ? ORDER BY u.seq
                    """), arguments: [current, user.rawValue])
                day = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(day) FROM trace_by_user WHERE day > ?"), arguments: [current])
            }
            // The rows not indexed yet.
            rows += try Row.fetchAll(db, sql: """
                SELECT seq, time, campaign_id, action, reason FROM trace WHERE seq > ? AND user_id = ? ORDER BY seq
                """, arguments: [try Self.traceIndexedThrough(db), user.rawValue])
            return rows.sorted { ($0["seq"] as Int64) < ($1["seq"] as Int64) }.map { row in
                TraceRecord(time: Date(timeIntervalSince1970: row["time"]), userID: user,
                            campaign: CampaignID(row["campaign_id"] as String), action: row["action"], reason: row["reason"])
            }
        }
    }
}
