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
        // The writer's lock: completions change the unindexed waiting state too.
        ingestLock.lock()
        defer { ingestLock.unlock() }
        do {
            try write { db in
                let writer = WriteTransaction(db, unindexed: unindexed)
                for completion in completions {
                    try Self.apply(completion, now: now, encoder: encoder, writer)
                }
            }
        } catch {
            // Rolled back: what it noted about the waiting rows goes too.
            try? pool.read { db in try reloadUnindexed(db) }
            throw error
        }
        try? indexStateIfDue()
    }

    private static func apply(_ completion: Completion, now: Date, encoder: JSONEncoder, _ writer: WriteTransaction) throws {
        let entry = completion.entry
        // The entry's key, found through the user's entries (a row that has gone, say
        // completed by an earlier run, is left alone).
        let seq = try writer.waitingRows(entry.userID).first { $0.entry.id == entry.id }?.seq
        switch completion.outcome {
        case .hold(let until, let reason):
            if let seq { try writer.reschedule(seq, due: until) }
            try writer.trace(entry.userID, now, entry.followUp, .held, reason)
            return
        case .send(let dispatches, let skipped):
            for dispatch in dispatches {
                try writer.queue(dispatch, at: now, document: try encoder.encode(dispatch))
            }
            let channels = dispatches.map(\.channel.rawValue).joined(separator: ", ")
            let note = skipped.isEmpty ? "" : " (not on " + skipped.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: "; ") + ")"
            try writer.trace(entry.userID, now, entry.followUp, .sent, DecisionReason(.dispatched, "dispatched \(entry.followUp) on \(channels)\(note)"))
        case .control:
            try writer.trace(entry.userID, now, entry.followUp, .control, DecisionReason(.controlGroup, "held back in the control group (R17)"))
        case .skip(let reason):
            try writer.trace(entry.userID, now, entry.followUp, .skipped, reason)
        }
        if let seq { try writer.deleteWaiting(seq, user: entry.userID) }
    }

    public func waitingEntries(for user: UserID) throws -> [WaitingEntry] {
        try pool.read { db in try WriteTransaction(db, unindexed: unindexed).waitingRows(user).map(\.entry) }
    }

    public func outbox() throws -> [Dispatch] {
        try pool.read { db in
            try Data.fetchAll(db, sql: "SELECT json FROM outbox ORDER BY seq").map { try JSONDecoder().decode(Dispatch.self, from: $0) }
        }
    }

    public var indexesEveryReceipt: Bool { receiptIndex == .all }

    public func receipts(for user: UserID, since: Date) throws -> [ChannelReceipt] {
        let from = since.timeIntervalSince1970
        return try pool.read { db in
            // Those not indexed yet first: a bulk in between then shows a receipt twice
            // (the set keeps one), never not at all.
            var receipts = Set(unindexed.mutex.withLock { $0.receipts(of: user.rawValue) }.filter { $0.at >= from })
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

    public func dispatchCount(campaign: CampaignID, channel: Channel, since: Date) throws -> Int {
        try pool.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM outbox WHERE campaign_id = ? AND channel = ? AND created_at >= ?",
                             arguments: [campaign.rawValue, channel.rawValue, since.timeIntervalSince1970]) ?? 0
        }
    }

}
