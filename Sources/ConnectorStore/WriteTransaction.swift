import ConnectorCore
import Foundation
import GRDB

/// The reads and writes of one write transaction (a batch of events, a scheduler run), on
/// ``BoundStatement``s prepared on first use and finalized with it at the end of the
/// transaction. Each statement of the write path is written here once; its reads of a
/// user's state also serve read transactions.
///
/// Per-user state that is not indexed by user yet lives in the store's ``UnindexedState``:
/// the writes here note what they append, and the reads combine it with the indexed part.
final class WriteTransaction {
    /// The transaction's connection, for the rare statements that go through GRDB.
    let database: Database
    let unindexed: UnindexedBox
    /// Prepared statements by call site (`#line`: each call site has one SQL text), so a
    /// lookup hashes an integer, not the SQL text.
    private var statements: [UInt: BoundStatement] = [:]

    init(_ db: Database, unindexed: UnindexedBox) {
        database = db
        self.unindexed = unindexed
    }

    private func statement(_ sql: @autoclosure () -> String, site: UInt = #line) throws -> BoundStatement {
        if let statement = statements[site] { return statement }
        let statement = try BoundStatement(database, sql())
        statements[site] = statement
        return statement
    }

    /// Appends the event row (its columns prepared from the event); returns its
    /// time-ordered key.
    func insert(_ event: Event, _ row: EventRow) throws -> Int64 {
        let insert = try statement("INSERT INTO event (\(EventRow.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        insert.bind(1, event.id.rawValue)
        insert.bind(2, event.userID.rawValue)
        insert.bind(3, event.time.timeIntervalSince1970)
        insert.bind(4, row.type)
        insert.bind(5, row.kind)
        insert.bind(6, row.campaign)
        insert.bind(7, row.detail)
        insert.bind(8, row.data)
        try insert.execute()
        return database.lastInsertedRowID
    }

    /// Notes a possible exception (R14) for the out-of-order check; it is indexed by user
    /// in the next bulk (``UnindexedState``).
    func noteException(user: UserID, time: Date, seq: Int64) {
        unindexed.mutex.withLock {
            $0.live.addException(UnindexedState.Exception(time: time.timeIntervalSince1970, seq: seq), user: user.rawValue)
        }
    }

    /// Notes a receipt (R22) for R7 and R19; it is indexed by user in the next bulk.
    func noteReceipt(user: UserID, campaign: CampaignID, channel: Channel, at time: Date) {
        unindexed.mutex.withLock {
            $0.live.addReceipt(UnindexedState.Receipt(campaign: campaign.rawValue, channel: channel, at: time.timeIntervalSince1970), user: user.rawValue)
        }
    }

    /// A user's waiting entries with their keys: the part indexed by user and the rows
    /// appended since (read first, so a bulk in between shows a row twice, never not at all).
    func waitingRows(_ user: UserID) throws -> [(seq: Int64, entry: WaitingEntry)] {
        try userAndWaitingRows(user, readingUser: false).rows
    }

    /// The stored user (when `readingUser`; a trigger needs both) and its waiting entries
    /// with their keys, the user and the indexed entries in one statement.
    func userAndWaitingRows(_ user: UserID, readingUser: Bool) throws -> (user: User?, rows: [(seq: Int64, entry: WaitingEntry)]) {
        let unindexedSeqs = unindexed.mutex.withLock { $0.waiting(of: user.rawValue) }
        var rows: [(seq: Int64, entry: WaitingEntry)] = []
        var stored: User?
        var stale: [Int64] = []
        func entry(_ row: BoundStatement.RowReader, from column: Int32) -> WaitingEntry {
            let due = Date(timeIntervalSince1970: row.double(column + 4))
            return WaitingEntry(followUp: CampaignID(row.text(column) ?? ""), campaignVersion: Int(row.int(column + 1)), userID: user,
                                triggerEventID: EventID(row.text(column + 2) ?? ""),
                                triggerTime: Date(timeIntervalSince1970: row.double(column + 3)), dueAt: due,
                                firstDueAt: row.isNull(column + 5) ? due : Date(timeIntervalSince1970: row.double(column + 5)))
        }
        // Columns: by-user key, entry gone?, the entry (2-7), and with the user its document (8).
        let indexed = readingUser
            ? try statement("""
                SELECT b.seq, w.seq IS NULL, w.follow_up, w.version, w.trigger_event_id, w.trigger_time, w.due_at, w.first_due_at, u.json
                FROM (SELECT ?1 AS id) AS q LEFT JOIN user u ON u.id = q.id
                LEFT JOIN waiting_by_user b ON b.user_id = q.id LEFT JOIN waiting w ON w.seq = b.seq AND w.user_id = b.user_id
                """)
            : try statement("""
                SELECT b.seq, w.seq IS NULL, w.follow_up, w.version, w.trigger_event_id, w.trigger_time, w.due_at, w.first_due_at
                FROM waiting_by_user b LEFT JOIN waiting w ON w.seq = b.seq AND w.user_id = b.user_id WHERE b.user_id = ?1
                """)
        indexed.bind(1, user.rawValue)
        try indexed.forEachRow { row in
            if readingUser, stored == nil, !row.isNull(8) { stored = try UserRow.user(json: row.bytes(8)) }
            guard !row.isNull(0) else { return }  // the user's row alone: nothing indexed
            if row.int(1) != 0 { stale.append(row.int(0)) } else { rows.append((row.int(0), entry(row, from: 2))) }
        }
        if !stale.isEmpty {
            unindexed.mutex.withLock { state in for seq in stale { state.live.noteStaleWaiting(seq, user: user.rawValue) } }
        }
        if !unindexedSeqs.isEmpty {
            let one = try statement("SELECT follow_up, version, trigger_event_id, trigger_time, due_at, first_due_at FROM waiting WHERE seq = ? AND user_id = ?")
            for seq in unindexedSeqs where !rows.contains(where: { $0.seq == seq }) {
                one.bind(1, seq)
                one.bind(2, user.rawValue)
                try one.forEachRow { row in rows.append((seq, entry(row, from: 0))) }
            }
        }
        return (stored, rows)
    }

    /// The user's events that may be exceptions and happened after `time` (R14, for
    /// events that arrive out of order): the indexed part and the events noted since.
    func laterPossibleExceptions(_ user: UserID, after time: Date, limit: Int = 1000) throws -> [Event] {
        let after = time.timeIntervalSince1970
        let unindexedSeqs = unindexed.mutex.withLock { state in
            state.exceptions(of: user.rawValue).filter { $0.time > after }.map(\.seq)
        }
        var events: [(seq: Int64, event: Event)] = try Row.fetchAll(database.cachedStatement(sql: """
            SELECT event.seq AS seq, \(EventRow.qualifiedColumns) FROM exception_event JOIN event ON event.seq = exception_event.seq
            WHERE exception_event.user_id = ? AND exception_event.time > ? ORDER BY exception_event.time LIMIT ?
            """), arguments: [user.rawValue, after, limit]).map { row in (row["seq"], try EventRow.event(row)) }
        if !unindexedSeqs.isEmpty {
            let one = try database.cachedStatement(sql: "SELECT seq, \(EventRow.columns) FROM event WHERE seq = ? AND user_id = ?")
            for seq in unindexedSeqs where !events.contains(where: { $0.seq == seq }) {
                if let row = try Row.fetchOne(one, arguments: [seq, user.rawValue]) { events.append((seq, try EventRow.event(row))) }
            }
        }
        return events.sorted { ($0.event.time, $0.seq) < ($1.event.time, $1.seq) }.prefix(limit).map(\.event)
    }

    /// When the user last received follow-up `campaign` (R7), if ever: the indexed
    /// receipts and those noted since.
    func lastReceipt(_ user: UserID, of campaign: CampaignID) throws -> Date? {
        let noted = unindexed.mutex.withLock { notes in
            notes.receipts(of: user.rawValue).filter { $0.campaign == campaign.rawValue }.map(\.at).max()
        }
        let query = try statement("SELECT MAX(at) FROM receipt WHERE user_id = ? AND campaign_id = ?")
        var last = noted
        query.bind(1, user.rawValue)
        query.bind(2, campaign.rawValue)
        try query.forEachRow { row in
            if !row.isNull(0) { last = max(last ?? -.infinity, row.double(0)) }
        }
        return last.map(Date.init(timeIntervalSince1970:))
    }

    /// Appends a waiting entry; returns its key. R6 (one entry per user and follow-up) is
    /// the caller's: it deletes the entry it replaces.
    @discardableResult
    func insertWaiting(_ entry: WaitingEntry) throws -> Int64 {
        let insert = try statement("INSERT INTO waiting (\(WaitingRow.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        insert.bind(1, entry.id)
        insert.bind(2, entry.followUp.rawValue)
        insert.bind(3, Int64(entry.campaignVersion))
        insert.bind(4, entry.userID.rawValue)
        insert.bind(5, entry.triggerEventID.rawValue)
        insert.bind(6, entry.triggerTime.timeIntervalSince1970)
        insert.bind(7, entry.dueAt.timeIntervalSince1970)
        insert.bind(8, entry.firstDueAt.timeIntervalSince1970)
        try insert.execute()
        let seq = database.lastInsertedRowID
        unindexed.mutex.withLock { $0.live.addWaiting(seq, user: entry.userID.rawValue) }
        return seq
    }

    /// A held entry waits until `due` (R18, R20), unclaimed; its first due time stays.
    func reschedule(_ seq: Int64, due: Date) throws {
        let update = try statement("UPDATE waiting SET due_at = ?, claimed_by = NULL, lease_until = NULL WHERE seq = ?")
        update.bind(1, due.timeIntervalSince1970)
        update.bind(2, seq)
        try update.execute()
    }

    /// Queues a dispatch, ready at once; INSERT OR IGNORE on the idempotency key, so a
    /// retry never queues a send twice (R25).
    func queue(_ dispatch: Dispatch, document: Data) throws {
        let insert = try statement("""
            INSERT OR IGNORE INTO outbox (dispatch_id, idempotency_key, campaign_id, channel, created_at, json, user_id, state, ready_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'queued', ?5, ?5)
            """)
        insert.bind(1, dispatch.id)
        insert.bind(2, dispatch.idempotencyKey)
        insert.bind(3, dispatch.followUp.rawValue)
        insert.bind(4, dispatch.channel.rawValue)
        insert.bind(5, dispatch.createdAt.timeIntervalSince1970)
        insert.bind(6, document)
        insert.bind(7, dispatch.userID.rawValue)
        try insert.execute()
    }

    /// What `user` was dispatched since `since` (time, channel), for frequency caps (R19):
    /// including what this transaction queued.
    func sends(to user: UserID, since: Date) throws -> [ChannelReceipt] {
        let select = try statement("SELECT created_at, channel FROM outbox WHERE user_id = ? AND created_at >= ? ORDER BY created_at")
        select.bind(1, user.rawValue)
        select.bind(2, since.timeIntervalSince1970)
        var sends: [ChannelReceipt] = []
        try select.forEachRow { row in
            if let channel = row.text(1).flatMap(Channel.init(rawValue:)) {
                sends.append(ChannelReceipt(time: Date(timeIntervalSince1970: row.double(0)), channel: channel))
            }
        }
        return sends
    }

    /// Dispatches of `campaign` on `channel` created at or after `since` (R18), including
    /// what this transaction queued.
    func dispatchCount(campaign: CampaignID, channel: Channel, since: Date) throws -> Int {
        let select = try statement("SELECT COUNT(*) FROM outbox WHERE campaign_id = ? AND channel = ? AND created_at >= ?")
        select.bind(1, campaign.rawValue)
        select.bind(2, channel.rawValue)
        select.bind(3, since.timeIntervalSince1970)
        var count = 0
        try select.forEachRow { row in count = Int(row.int(0)) }
        return count
    }

    /// The entry leaves the wait (sent, skipped, cancelled or replaced).
    func deleteWaiting(_ seq: Int64, user: UserID) throws {
        let delete = try statement("DELETE FROM waiting WHERE seq = ?")
        delete.bind(1, seq)
        try delete.execute()
        unindexed.mutex.withLock { $0.live.removeWaiting(seq, user: user.rawValue) }
    }

    /// Keeps the latest ingestion time: the deduplication window is anchored to it when
    /// the store opens again (not to the machine's clock, not to a far-future event).
    func noteIngestionTime(_ now: Date) throws {
        let upsert = try statement("""
            INSERT INTO setting (name, value) VALUES ('dedupe_anchor', ?1)
            ON CONFLICT (name) DO UPDATE SET value = MAX(CAST(value AS REAL), CAST(excluded.value AS REAL))
            """)
        upsert.bind(1, String(now.timeIntervalSince1970))
        try upsert.execute()
    }

    func trace(_ user: UserID, _ time: Date, _ campaign: CampaignID, _ action: TraceAction, _ reason: DecisionReason) throws {
        let insert = try statement("INSERT INTO trace (user_id, time, campaign_id, action, code, reason) VALUES (?, ?, ?, ?, ?, ?)")
        insert.bind(1, user.rawValue)
        insert.bind(2, time.timeIntervalSince1970)
        insert.bind(3, campaign.rawValue)
        insert.bind(4, action.rawValue)
        insert.bind(5, reason.code.rawValue)
        insert.bind(6, reason.text)
        try insert.execute()
    }

    /// The key of `entry` if `worker` still holds it (claimed, lease not expired), else nil.
    func heldWaiting(_ entry: WaitingEntry, by worker: WorkerID, at now: Date) throws -> Int64? {
        guard let seq = try waitingRows(entry.userID).first(where: { $0.entry.id == entry.id })?.seq else { return nil }
        let claim = try statement("SELECT claimed_by = ?2 AND lease_until > ?3 FROM waiting WHERE seq = ?1")
        claim.bind(1, seq)
        claim.bind(2, worker.rawValue)
        claim.bind(3, now.timeIntervalSince1970)
        var held = false
        try claim.forEachRow { row in held = !row.isNull(0) && row.int(0) != 0 }
        return held ? seq : nil
    }
}
