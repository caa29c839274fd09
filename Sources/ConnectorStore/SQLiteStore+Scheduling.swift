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
            let writer = WriteTransaction(db)
            for completion in completions {
                try Self.apply(completion, now: now, encoder: encoder, writer)
            }
        }
    }

    private static func apply(_ completion: Completion, now: Date, encoder: JSONEncoder, _ writer: WriteTransaction) throws {
        let entry = completion.entry
        switch completion.outcome {
        case .hold(let until, let reason):
            try writer.reschedule(user: entry.userID, followUp: entry.followUp, entryID: entry.id, due: until)
            try writer.trace(entry.userID, now, entry.followUp, "held", reason)
            return
        case .send(let dispatches, let skipped):
            for dispatch in dispatches {
                try writer.queue(dispatch, at: now, document: try encoder.encode(dispatch))
            }
            let channels = dispatches.map(\.channel.rawValue).joined(separator: ", ")
            let note = skipped.isEmpty ? "" : " (not on " + skipped.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: "; ") + ")"
            try writer.trace(entry.userID, now, entry.followUp, "sent", "dispatched \(entry.followUp) on \(channels)\(note)")
        case .control:
            try writer.trace(entry.userID, now, entry.followUp, "control", "held back in the control group (R17)")
        case .skip(let reason):
            try writer.trace(entry.userID, now, entry.followUp, "skipped", reason)
        }
        try writer.deleteWaiting(user: entry.userID, followUp: entry.followUp, entryID: entry.id)
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
}
