import ConnectorCore
import Foundation
import GRDB

/// The decision trace is appended without a per-user index; the user index is built in
/// bulk, a day partition at a time.
///
/// A per-user index maintained on every insert would be a random B-tree write per
/// decision, a dirty page each (docs/PERFORMANCE.md has the figures). Instead `trace_by_user` (day, user, seq) is filled from the
/// appended rows once `traceIndexEvery` rows are waiting, sorted, in one transaction,
/// so each index page is written about once per bulk, and a day's entries sit together
/// so a bulk touches only the current day's part. A user's trace is the indexed part (one
/// seek per day) plus a scan of the rows not indexed yet (fewer than `traceIndexEvery`; ``ByUserIndex``).
extension SQLiteStore {
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
                """, arguments: [try ByUserIndex.traceIndexedThrough(db), user.rawValue])
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
