import ConnectorCore
import Foundation
import GRDB

extension SQLiteStore {
    /// The user's receipts since `since` (the receipts R7 reads), oldest first: those not
    /// indexed yet and the indexed ones.
    func receipts(for user: UserID, since: Date) throws -> [ChannelReceipt] {
        let from = since.timeIntervalSince1970
        return try pool.read { db in
            // Those not indexed yet first: a bulk in between then shows a receipt twice
            // (the set keeps one), never not at all.
            var receipts = Set(index.notes.mutex.withLock { $0.receipts(of: user.rawValue) }.filter { $0.at >= from })
            let rows = try Row.fetchCursor(db, sql: "SELECT campaign_id, channel, at FROM receipt WHERE user_id = ? AND at >= ?",
                                           arguments: [user.rawValue, from])
            while let row = try rows.next() {
                if let channel = Channel(rawValue: row["channel"]) {
                    receipts.insert(UnindexedState.Receipt(campaign: row["campaign_id"], channel: channel, at: row["at"]))
                }
            }
            return receipts.sorted { ($0.at, $0.channel.rawValue, $0.campaign) < ($1.at, $1.channel.rawValue, $1.campaign) }
                .map { ChannelReceipt(time: Date(timeIntervalSince1970: $0.at), channel: $0.channel) }
        }
    }
}
