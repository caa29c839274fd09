import ConnectorCore
import Foundation
import GRDB

extension SQLiteStore {
    public func dueEntries(at now: Date, limit: Int) throws -> [WaitingEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(WaitingRow.columns) FROM waiting WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                             arguments: [now.timeIntervalSince1970, limit])
                .map(WaitingRow.entry)
        }
    }

    public func complete(_ completions: [Completion], now: Date) throws {
        guard !completions.isEmpty else { return }
        let encoder = JSONEncoder()
        try pool.write { db in
            for completion in completions {
                try Self.apply(completion, now: now, encoder: encoder, db)
            }
        }
    }

    private static func apply(_ completion: Completion, now: Date, encoder: JSONEncoder, _ db: Database) throws {
        let entry = completion.entry
        switch completion.outcome {
        case .hold(let until, let reason):
            try db.cachedStatement(sql: "UPDATE waiting SET due_at = ? WHERE user_id = ? AND follow_up = ? AND id = ?")
                .execute(arguments: [until.timeIntervalSince1970, entry.userID.rawValue, entry.followUp.rawValue, entry.id])
            try trace(db, entry.userID, now, entry.followUp, "held", reason)
            return
        case .send(let dispatches, let skipped):
            for dispatch in dispatches {
                // INSERT OR IGNORE on the idempotency key: a retry never queues a send twice (R25).
                try db.cachedStatement(sql: """
                    INSERT OR IGNORE INTO outbox (dispatch_id, idempotency_key, campaign_id, channel, created_at, json)
                    VALUES (?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [dispatch.id, dispatch.idempotencyKey, dispatch.followUp.rawValue, dispatch.channel.rawValue,
                                             now.timeIntervalSince1970, try encoder.encode(dispatch)])
            }
            let channels = dispatches.map(\.channel.rawValue).joined(separator: ", ")
            let note = skipped.isEmpty ? "" : " (not on " + skipped.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: "; ") + ")"
            try trace(db, entry.userID, now, entry.followUp, "sent", "dispatched \(entry.followUp) on \(channels)\(note)")
        case .control:
            try trace(db, entry.userID, now, entry.followUp, "control", "held back in the control group (R17)")
        case .skip(let reason):
            try trace(db, entry.userID, now, entry.followUp, "skipped", reason)
        }
        try db.cachedStatement(sql: "DELETE FROM waiting WHERE user_id = ? AND follow_up = ? AND id = ?")
            .execute(arguments: [entry.userID.rawValue, entry.followUp.rawValue, entry.id])
    }

    public func waitingEntries(for user: UserID) throws -> [WaitingEntry] {
        try pool.read { db in try waiting(user, db) }
    }

    public func outbox() throws -> [Dispatch] {
        try pool.read { db in
            try Data.fetchAll(db, sql: "SELECT json FROM outbox ORDER BY seq").map { try JSONDecoder().decode(Dispatch.self, from: $0) }
        }
    }

    public var indexesEveryReceipt: Bool { receiptIndex == .all }

    public func receipts(for user: UserID, since: Date) throws -> [(Date, Channel)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT at, channel FROM receipt WHERE user_id = ? AND at >= ? ORDER BY at",
                             arguments: [user.rawValue, since.timeIntervalSince1970])
                .compactMap { row in
                    Channel(rawValue: row["channel"]).map { (Date(timeIntervalSince1970: row["at"]), $0) }
                }
        }
    }

    public func dispatchCount(campaign: CampaignID, channel: Channel, since: Date) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE campaign_id = ? AND channel = ? AND created_at >= ?",
                             arguments: [campaign.rawValue, channel.rawValue, since.timeIntervalSince1970]) ?? 0
        }
    }

    func waiting(_ user: UserID, _ db: Database) throws -> [WaitingEntry] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(WaitingRow.columns) FROM waiting WHERE user_id = ?"), arguments: [user.rawValue])
            .map(WaitingRow.entry)
    }

    static func trace(_ db: Database, _ user: UserID, _ time: Date, _ campaign: CampaignID, _ action: String, _ reason: String) throws {
        try db.cachedStatement(sql: "INSERT INTO trace (user_id, time, campaign_id, action, reason) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [user.rawValue, time.timeIntervalSince1970, campaign.rawValue, action, reason])
    }
}
