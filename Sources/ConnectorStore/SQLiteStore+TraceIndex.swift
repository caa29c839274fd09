import ConnectorCore
import Foundation
import GRDB

/// The decision trace is appended without a per-user index; the user index is built in
/// bulk, a day partition at a time.
///
/// A per-user index maintained on every insert would be a random B-tree write per
/// decision, a dirty page each (docs/PERFORMANCE.md has the figures). Instead `trace_by_user` (day, user, seq) is filled from the
/// appended rows once ``traceIndexEvery`` rows are waiting, sorted, in one transaction,
/// so each index page is written about once per bulk, and a day's entries sit together
/// so a bulk touches only the current day's part. A user's trace is the indexed part (one
/// seek per day) plus a scan of the rows not indexed yet (fewer than ``traceIndexEvery``).
extension SQLiteStore {
    /// The key up to which trace rows are in `trace_by_user` (in the index file).
    static func traceIndexedThrough(_ db: Database) throws -> Int64 {
        try StateIndexFile.mark(.trace, db)
    }

    /// Indexes the trace rows appended since the last bulk when there are at least
    /// ``traceIndexEvery`` of them, on the index thread (queued once at a time); with
    /// `force`, any there are, before it returns.
    func indexTraceIfDue(force: Bool = false) throws {
        let bulk: @Sendable () throws -> Void = { [self] in
            try indexWrite { db in
                let through = try Self.traceIndexedThrough(db)
                let newest = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM trace") ?? 0
                guard newest > through, force || newest - through >= traceIndexEvery else { return }
                try db.execute(sql: """
                    INSERT OR IGNORE INTO trace_by_user (day, user_id, seq)
                    SELECT CAST(time / 86400 AS INTEGER), user_id, seq FROM trace WHERE seq > ? AND seq <= ? ORDER BY 1, 2, 3
                    """, arguments: [through, newest])
                try StateIndexFile.setMark(.trace, newest, db)
            }
        }
        if force { return try indexQueue.sync(execute: bulk) }
        let queued = traceBulkQueued.withLock { queued in
            defer { queued = true }
            return queued
        }
        guard !queued else { return }
        indexQueue.async { [self] in
            traceBulkQueued.withLock { $0 = false }
            do {
                try bulk()
            } catch {
                logger.error("indexing the decision trace by user failed; it is retried after the next batch",
                             metadata: ["error": "\(error)", "index": "\(StateIndexFile.path(for: pool.path))"])
            }
        }
    }

    public func trace(for user: UserID) throws -> [TraceRecord] {
        try pool.read { db in
            var rows: [Row] = []
            // The indexed part: one seek per day partition.
            var day = try Int64.fetchOne(db, sql: "SELECT MIN(day) FROM trace_by_user")
            while let current = day {
                rows += try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT t.seq, t.time, t.campaign_id, t.action, t.code, t.reason
                    FROM trace_by_user u JOIN trace t ON t.seq = u.seq
                    WHERE u.day = ? AND u.user_id = ? ORDER BY u.seq
                    """), arguments: [current, user.rawValue])
                day = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MIN(day) FROM trace_by_user WHERE day > ?"), arguments: [current])
            }
            // The rows not indexed yet.
            rows += try Row.fetchAll(db, sql: """
                SELECT seq, time, campaign_id, action, code, reason FROM trace WHERE seq > ? AND user_id = ? ORDER BY seq
                """, arguments: [try Self.traceIndexedThrough(db), user.rawValue])
            return try rows.sorted { ($0["seq"] as Int64) < ($1["seq"] as Int64) }.map { row in
                TraceRecord(time: Date(timeIntervalSince1970: row["time"]), userID: user,
                            campaign: CampaignID(row["campaign_id"] as String),
                            action: try Self.traceAction(row["action"]),
                            reason: DecisionReason(DecisionReason.Code(rawValue: row["code"]), row["reason"]))
            }
        }
    }

    private static func traceAction(_ text: String) throws -> TraceAction {
        guard let action = TraceAction(rawValue: text) else {
            throw StoreCorruption("trace action '\(text)' is none of \(TraceAction.allCases.map(\.rawValue))")
        }
        return action
    }
}
