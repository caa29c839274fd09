import ConnectorCore
import Foundation
import GRDB

/// The reads and writes of one write transaction (a batch of events, a scheduler run), on
/// ``BoundStatement``s prepared on first use and finalized with it at the end of the
/// transaction. Each statement of the write path is written here once.
final class WriteTransaction {
    /// The transaction's connection, for the rare statements that go through GRDB.
    let database: Database
    private var statements: [String: BoundStatement] = [:]

    init(_ db: Database) {
        database = db
    }

    private func statement(_ sql: String) throws -> BoundStatement {
        if let statement = statements[sql] { return statement }
        let statement = try BoundStatement(database, sql)
        statements[sql] = statement
        return statement
    }

    /// Appends the event row; returns its time-ordered key.
    func insert(_ event: Event) throws -> Int64 {
        let insert = try statement("INSERT INTO event (\(EventRow.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
        let row = EventRow(event)
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

    /// Indexes a possible exception by user, for exceptions that arrive before their trigger (R14).
    func insertException(user: UserID, time: Date, seq: Int64) throws {
        let insert = try statement("INSERT INTO exception_event (user_id, time, seq) VALUES (?, ?, ?)")
        insert.bind(1, user.rawValue)
        insert.bind(2, time.timeIntervalSince1970)
        insert.bind(3, seq)
        try insert.execute()
    }

    func insertReceipt(user: UserID, campaign: CampaignID, channel: Channel, at time: Date) throws {
        let insert = try statement("INSERT OR IGNORE INTO receipt (user_id, campaign_id, channel, at) VALUES (?, ?, ?, ?)")
        insert.bind(1, user.rawValue)
        insert.bind(2, campaign.rawValue)
        insert.bind(3, channel.rawValue)
        insert.bind(4, time.timeIntervalSince1970)
        try insert.execute()
    }

    func waiting(_ user: UserID) throws -> [WaitingEntry] {
        let query = try statement("SELECT follow_up, version, trigger_event_id, trigger_time, due_at FROM waiting WHERE user_id = ?")
        query.bind(1, user.rawValue)
        var entries: [WaitingEntry] = []
        try query.forEachRow { row in
            entries.append(WaitingEntry(followUp: CampaignID(row.text(0) ?? ""), campaignVersion: Int(row.int(1)), userID: user,
                                        triggerEventID: EventID(row.text(2) ?? ""),
                                        triggerTime: Date(timeIntervalSince1970: row.double(3)), dueAt: Date(timeIntervalSince1970: row.double(4))))
        }
        return entries
    }

    /// The stored user, if any.
    func user(_ id: UserID) throws -> User? {
        let query = try statement("SELECT json FROM user WHERE id = ?")
        query.bind(1, id.rawValue)
        var user: User?
        try query.forEachRow { row in user = try UserRow.user(json: row.bytes(0)) }
        return user
    }

    /// When the user last received `campaign` (R7), if ever.
    func lastReceipt(_ user: UserID, of campaign: CampaignID) throws -> Date? {
        let query = try statement("SELECT MAX(at) FROM receipt WHERE user_id = ? AND campaign_id = ?")
        query.bind(1, user.rawValue)
        query.bind(2, campaign.rawValue)
        var last: Date?
        try query.forEachRow { row in
            if !row.isNull(0) { last = Date(timeIntervalSince1970: row.double(0)) }
        }
        return last
    }

    /// R6 in the schema: one entry per (user, follow-up); a restart replaces it.
    func upsert(_ entry: WaitingEntry) throws {
        let upsert = try statement("INSERT OR REPLACE INTO waiting (\(WaitingRow.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)")
        upsert.bind(1, entry.id)
        upsert.bind(2, entry.followUp.rawValue)
        upsert.bind(3, Int64(entry.campaignVersion))
        upsert.bind(4, entry.userID.rawValue)
        upsert.bind(5, entry.triggerEventID.rawValue)
        upsert.bind(6, entry.triggerTime.timeIntervalSince1970)
        upsert.bind(7, entry.dueAt.timeIntervalSince1970)
        try upsert.execute()
    }

    /// A held entry waits until `due` (R18, R20).
    func reschedule(user: UserID, followUp: CampaignID, entryID: String, due: Date) throws {
        let update = try statement("UPDATE waiting SET due_at = ? WHERE user_id = ? AND follow_up = ? AND id = ?")
        update.bind(1, due.timeIntervalSince1970)
        update.bind(2, user.rawValue)
        update.bind(3, followUp.rawValue)
        update.bind(4, entryID)
        try update.execute()
    }

    /// Queues a dispatch; INSERT OR IGNORE on the idempotency key, so a retry never queues
    /// a send twice (R25).
    func queue(_ dispatch: Dispatch, at time: Date, document: Data) throws {
        let insert = try statement("""
            INSERT OR IGNORE INTO outbox (dispatch_id, idempotency_key, campaign_id, channel, created_at, json) VALUES (?, ?, ?, ?, ?, ?)
            """)
        insert.bind(1, dispatch.id)
        insert.bind(2, dispatch.idempotencyKey)
        insert.bind(3, dispatch.followUp.rawValue)
        insert.bind(4, dispatch.channel.rawValue)
        insert.bind(5, time.timeIntervalSince1970)
        insert.bind(6, document)
        try insert.execute()
    }

    func deleteWaiting(user: UserID, followUp: CampaignID, entryID: String) throws {
        let delete = try statement("DELETE FROM waiting WHERE user_id = ? AND follow_up = ? AND id = ?")
        delete.bind(1, user.rawValue)
        delete.bind(2, followUp.rawValue)
        delete.bind(3, entryID)
        try delete.execute()
    }

    func trace(_ user: UserID, _ time: Date, _ campaign: CampaignID, _ action: String, _ reason: String) throws {
        let insert = try statement("INSERT INTO trace (user_id, time, campaign_id, action, reason) VALUES (?, ?, ?, ?, ?)")
        insert.bind(1, user.rawValue)
        insert.bind(2, time.timeIntervalSince1970)
        insert.bind(3, campaign.rawValue)
        insert.bind(4, action)
        insert.bind(5, reason)
        try insert.execute()
    }
}
