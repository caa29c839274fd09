import ConnectorCore
import Foundation
import GRDB

/// Kept messages (sandbox captures, in-app and content card feeds) and suppressed addresses.
extension SQLiteStore {
    public func keep(_ message: KeptMessage) throws -> Bool {
        try write { db in
            try db.execute(sql: """
                INSERT INTO kept_message (dispatch_id, user_id, campaign_id, channel, provider, at, expires_at, dismissed_at, json)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dispatch_id) DO NOTHING
                """, arguments: [message.dispatchID, message.userID.rawValue, message.campaign.rawValue, message.channel.rawValue,
                                 message.provider, message.at.timeIntervalSince1970, message.expiresAt?.timeIntervalSince1970,
                                 message.dismissedAt?.timeIntervalSince1970, message.json])
            return db.changesCount > 0
        }
    }

    public func keptMessages(_ filter: KeptMessageFilter) throws -> [KeptMessage] {
        let live = filter.liveAt?.timeIntervalSince1970
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT dispatch_id, user_id, campaign_id, channel, provider, at, expires_at, dismissed_at, json FROM kept_message
                WHERE (?1 IS NULL OR user_id = ?1) AND (?2 IS NULL OR channel = ?2) AND (?3 IS NULL OR dispatch_id = ?3)
                  AND (?4 IS NULL OR (dismissed_at IS NULL AND (expires_at IS NULL OR expires_at > ?4)))
                ORDER BY at DESC, rowid DESC LIMIT ?5
                """, arguments: [filter.user?.rawValue, filter.channel?.rawValue, filter.dispatchID, live, max(0, filter.limit)])
                .map { row throws in
                    guard let channel = Channel(rawValue: row["channel"]) else {
                        throw StoreCorruption("kept message \(row["dispatch_id"] as String) has an unknown channel")
                    }
                    return KeptMessage(dispatchID: row["dispatch_id"], userID: UserID(row["user_id"] as String),
                                       campaign: CampaignID(row["campaign_id"] as String), channel: channel, provider: row["provider"],
                                       at: Date(timeIntervalSince1970: row["at"]),
                                       expiresAt: (row["expires_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                                       dismissedAt: (row["dismissed_at"] as Double?).map(Date.init(timeIntervalSince1970:)),
                                       json: row["json"])
                }
        }
    }

    public func dismiss(dispatch: String, at time: Date) throws -> Bool {
        try write { db in
            try db.execute(sql: "UPDATE kept_message SET dismissed_at = COALESCE(dismissed_at, ?) WHERE dispatch_id = ?",
                           arguments: [time.timeIntervalSince1970, dispatch])
            return db.changesCount > 0
        }
    }

    public func suppress(_ suppression: Suppression) throws {
        // The trace row is noted for the by-user index: under the write lock, as ingestion.
        ingestLock.lock()
        defer { ingestLock.unlock() }
        try write { db in
            try db.execute(sql: """
                INSERT INTO suppression (channel, address, user_id, at, reason_code, reason) VALUES (?, ?, ?, ?, ?, ?)
                ON CONFLICT (channel, address) DO NOTHING
                """, arguments: [suppression.channel.rawValue, suppression.address, suppression.userID.rawValue,
                                 suppression.at.timeIntervalSince1970, suppression.reason.code.rawValue, suppression.reason.text])
            guard db.changesCount > 0 else { return }
            try WriteTransaction(db, unindexed: index.notes).trace(
                suppression.userID, suppression.at, CampaignID("-"), .suppressed,
                DecisionReason(suppression.reason.code, "\(suppression.channel.rawValue) address suppressed: \(suppression.reason.text)"))
        }
        index.afterCommit(newEvents: 0)
    }

    public func suppression(of address: String, on channel: Channel) throws -> Suppression? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT channel, address, user_id, at, reason_code, reason FROM suppression WHERE channel = ? AND address = ?",
                             arguments: [channel.rawValue, address]).map(Self.suppression)
        }
    }

    public func suppressions(limit: Int) throws -> [Suppression] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT channel, address, user_id, at, reason_code, reason FROM suppression ORDER BY at DESC LIMIT ?",
                             arguments: [max(0, limit)]).map(Self.suppression)
        }
    }

    private static func suppression(_ row: Row) throws -> Suppression {
        guard let channel = Channel(rawValue: row["channel"]) else { throw StoreCorruption("a suppression has an unknown channel") }
        return Suppression(channel: channel, address: row["address"], userID: UserID(row["user_id"] as String),
                           at: Date(timeIntervalSince1970: row["at"]),
                           reason: DecisionReason(DecisionReason.Code(rawValue: row["reason_code"]), row["reason"]))
    }
}
