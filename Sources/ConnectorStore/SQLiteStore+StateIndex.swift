import ConnectorCore
import Foundation
import GRDB

/// Waiting entries, receipts and possible exceptions are indexed by user in bulk
/// (see ``UnindexedState``): ingestion only appends, and once ``stateIndexEvery`` rows
/// (or events) have gathered, one transaction sorts them into `waiting_by_user`,
/// `receipt` and `exception_event`.
extension SQLiteStore {
    static func indexedThrough(_ name: String, _ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT CAST(value AS INTEGER) FROM setting WHERE name = ?", arguments: [name]) ?? 0
    }

    /// Rebuilds what is not indexed yet from the database: all of it (`user` nil: at open,
    /// and after a batch that rolled back) or one user's (after one of its events failed
    /// and its savepoint rolled back). The rows after the indexed-through keys are read;
    /// every event that is not an attribute update is taken as a possible exception (the
    /// engine that flagged them is not known here; the engine ignores those that are not).
    static func loadUnindexed(_ db: Database, user: UserID?, into box: UnindexedBox) throws {
        let waitingThrough = try indexedThrough("waiting_indexed_through", db)
        let eventsThrough = try indexedThrough("events_indexed_through", db)
        let userFilter = user == nil ? "" : " AND user_id = ?"
        var arguments: [any DatabaseValueConvertible] = [waitingThrough]
        if let user { arguments.append(user.rawValue) }
        var waiting: [(String, Int64)] = []
        let waitingRows = try Row.fetchCursor(db, sql: "SELECT user_id, seq FROM waiting WHERE seq > ?" + userFilter + " ORDER BY seq",
                                              arguments: StatementArguments(arguments))
        while let row = try waitingRows.next() { waiting.append((row[0], row[1])) }

        arguments[0] = eventsThrough
        var receipts: [(String, UnindexedState.Receipt)] = []
        var exceptions: [(String, UnindexedState.Exception)] = []
        var events = 0
        let eventRows = try Row.fetchCursor(db, sql: "SELECT seq, user_id, time, type, kind, campaign FROM event WHERE seq > ?" + userFilter
                                            + " ORDER BY seq", arguments: StatementArguments(arguments))
        while let row = try eventRows.next() {
            events += 1
            let eventUser: String = row[1], time: Double = row[2], type: String = row[3]
            guard type != "attributes" else { continue }
            exceptions.append((eventUser, UnindexedState.Exception(time: time, seq: row[0])))
            if type == "interaction", let kind = (row[4] as String?).flatMap(InteractionKind.init(rawValue:)),
               let channel = receiptChannel(kind), let campaign = row[5] as String? {
                receipts.append((eventUser, UnindexedState.Receipt(campaign: campaign, channel: channel, at: time)))
            }
        }

        box.mutex.withLock { state in
            if let user {
                state.replace(user: user.rawValue, waiting: waiting.map(\.1), receipts: receipts.map(\.1), exceptions: exceptions.map(\.1))
                return
            }
            state = UnindexedState(waitingThrough: waitingThrough, eventsThrough: eventsThrough)
            for (user, seq) in waiting { state.addWaiting(seq, user: user) }
            for (user, receipt) in receipts { state.addReceipt(receipt, user: user) }
            for (user, exception) in exceptions { state.addException(exception, user: user) }
            state.setEventCount(events)
        }
    }

    /// Sorts what is not indexed yet into the by-user tables when enough has gathered (or
    /// whatever there is, with `force`), in one transaction. The caller holds the write lock.
    func indexStateIfDue(force: Bool = false) throws {
        let state = unindexed.mutex.withLock { $0 }
        guard !state.isEmpty, force || state.isDue(every: stateIndexEvery) else { return }
        let (waitingThrough, eventsThrough) = try pool.write { db -> (Int64, Int64) in
            let newestWaiting = max(state.waitingThrough, try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM waiting") ?? 0)
            let newestEvent = max(state.eventsThrough, try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM event") ?? 0)
            // From the table itself, so only committed entries that still wait are indexed.
            try db.execute(sql: """
                INSERT OR IGNORE INTO waiting_by_user (user_id, seq)
                SELECT user_id, seq FROM waiting WHERE seq > ? AND seq <= ? ORDER BY user_id, seq
                """, arguments: [state.waitingThrough, newestWaiting])
            let drop = try BoundStatement(db, """
                DELETE FROM waiting_by_user WHERE user_id = ?1 AND seq = ?2 AND NOT EXISTS (SELECT 1 FROM waiting WHERE seq = ?2 AND user_id = ?1)
                """)
            for key in state.goneWaiting.sorted() {
                drop.bind(1, key.user)
                drop.bind(2, key.seq)
                try drop.execute()
            }
            if receiptIndex == .all {
                // Every receipt of the new events: straight from the event rows, sorted by SQLite.
                try db.execute(sql: ReceiptSQL.reindex(where: "seq > ? AND seq <= ?", sorted: true),
                               arguments: [state.eventsThrough, newestEvent])
            }
            // Only the follow-ups' receipts: those noted at ingestion, which knew the follow-ups.
            let receipt = try BoundStatement(db, "INSERT OR IGNORE INTO receipt (user_id, campaign_id, channel, at) VALUES (?, ?, ?, ?)")
            for (user, receipts) in (receiptIndex == .all ? [:] : state.receipts).sorted(by: { $0.key < $1.key }) {
                receipt.bind(1, user)
                for item in receipts.sorted(by: { ($0.campaign, $0.at) < ($1.campaign, $1.at) }) {
                    receipt.bind(2, item.campaign)
                    receipt.bind(3, item.channel.rawValue)
                    receipt.bind(4, item.at)
                    try receipt.execute()
                }
            }
            let exception = try BoundStatement(db, "INSERT OR IGNORE INTO exception_event (user_id, time, seq) VALUES (?, ?, ?)")
            for (user, exceptions) in state.exceptions.sorted(by: { $0.key < $1.key }) {
                exception.bind(1, user)
                for item in exceptions.sorted(by: { ($0.time, $0.seq) < ($1.time, $1.seq) }) {
                    exception.bind(2, item.time)
                    exception.bind(3, item.seq)
                    try exception.execute()
                }
            }
            let setting = try db.cachedStatement(sql: "INSERT OR REPLACE INTO setting (name, value) VALUES (?, ?)")
            try setting.execute(arguments: ["waiting_indexed_through", String(newestWaiting)])
            try setting.execute(arguments: ["events_indexed_through", String(newestEvent)])
            return (newestWaiting, newestEvent)
        }
        unindexed.mutex.withLock { $0 = UnindexedState(waitingThrough: waitingThrough, eventsThrough: eventsThrough) }
    }
}
