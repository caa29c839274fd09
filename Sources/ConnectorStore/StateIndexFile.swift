import ConnectorCore
import Foundation
import GRDB
import JSONCore

/// The second SQLite file beside the store (`<path>-index`) that holds the by-user
/// indexes: `waiting_by_user`, `receipt`, `exception_event` and `trace_by_user`, and in
/// `index_state` the keys up to which each is complete. `receipt` holds the receipts of
/// follow-ups (R7 reads when a user last received one; frequency caps count dispatches).
///
/// The indexes are filled in bulk (``UnindexedState``, ByUserIndex.swift). In
/// the store's own file a bulk would need SQLite's one write lock, so ingestion would stop
/// for it. In their own file a bulk runs on the store's index
/// thread, through its own connection, while the writer goes on: SQLite locks files, not
/// connections. The store's connections attach the file as `idx` and only read it; every
/// write to it goes through the index connection (which attaches the store as `store`
/// and only reads that), one at a time.
///
/// Everything here is derived from the store's tables. The file carries the store's id
/// (`store_id`, kept in both files); an index file that is missing, belongs to another
/// store, or claims rows the store does not have is rebuilt from the tables when the
/// store opens. The two files are not committed atomically together; what a crash between
/// them can leave is harmless: an index row whose entry or event has gone is dropped by
/// the join that reads it, and rows after the marks are read from the store's tables.
enum StateIndexFile {
    /// The index file's path for a store at `storePath`.
    static func path(for storePath: String) -> String { storePath + "-index" }

    /// The index tables, in `schema` (`idx` on the store's connections, `main` on the
    /// index connection). Names are unique across the two files, so statements need not
    /// qualify them.
    static func createSchema(_ db: Database, schema: String) throws {
        try db.execute(sql: """
            CREATE TABLE IF NOT EXISTS \(schema).waiting_by_user (
                user_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (user_id, seq)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS \(schema).receipt (
                user_id TEXT NOT NULL, campaign_id TEXT NOT NULL, at REAL NOT NULL, channel TEXT NOT NULL,
                PRIMARY KEY (user_id, campaign_id, at, channel)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS \(schema).exception_event (
                user_id TEXT NOT NULL, time REAL NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (user_id, time, seq)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS \(schema).trace_by_user (
                day INTEGER NOT NULL, user_id TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (day, user_id, seq)) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS \(schema).index_state (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
            """)
    }

    /// Campaign ids as a JSON array, for `IN (SELECT value FROM json_each(?))`: one
    /// statement (one pass over a table) for any number of them.
    static func jsonList(_ ids: some Sequence<String>) -> String {
        "[" + ids.sorted().map(JSONQuoting.quoted).joined(separator: ",") + "]"
    }

    /// The marks in `index_state`: the key up to which each index is complete.
    enum Mark: String, CaseIterable {
        case waiting = "waiting_indexed_through"
        case events = "events_indexed_through"
        case trace = "trace_indexed_through"
    }

    static func mark(_ mark: Mark, _ db: Database) throws -> Int64 {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT CAST(value AS INTEGER) FROM index_state WHERE name = ?"),
                           arguments: [mark.rawValue]) ?? 0
    }

    static func setMark(_ mark: Mark, _ value: Int64, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO index_state (name, value) VALUES (?, ?)")
            .execute(arguments: [mark.rawValue, String(value)])
    }

    /// On the index connection at open: rebuilds the indexes from the store's tables
    /// unless the file is this store's and claims nothing the store does not have.
    /// Returns whether it rebuilt.
    @discardableResult
    static func verifyOrRebuild(_ db: Database) throws -> Bool {
        try createSchema(db, schema: "main")
        // Index files from before follow-up receipts were the only receipts kept had a
        // copy of some of them for R7 (gained 8%, under the 10% an optimisation must gain).
        try db.execute(sql: "DROP TABLE IF EXISTS main.followup_receipt; DROP TABLE IF EXISTS main.followup_covered")
        let storeID = try String.fetchOne(db, sql: "SELECT value FROM store.setting WHERE name = 'store_id'")
        let indexID = try String.fetchOne(db, sql: "SELECT value FROM index_state WHERE name = 'store_id'")
        // Keys the store has handed out: the waiting table's never come back (AUTOINCREMENT);
        // the event and trace tables always keep their newest row (prune), so theirs do not either.
        let waitingKeys = try Int64.fetchOne(db, sql: "SELECT seq FROM store.sqlite_sequence WHERE name = 'waiting'") ?? 0
        let eventKeys = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM store.event") ?? 0
        let traceKeys = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM store.trace") ?? 0
        if let storeID, storeID == indexID, try mark(.waiting, db) <= waitingKeys, try mark(.events, db) <= eventKeys,
           try mark(.trace, db) <= traceKeys {
            return false
        }
        try db.execute(sql: """
            DELETE FROM main.waiting_by_user; DELETE FROM main.receipt; DELETE FROM main.exception_event;
            DELETE FROM main.trace_by_user; DELETE FROM main.index_state;
            INSERT INTO main.waiting_by_user (user_id, seq) SELECT user_id, seq FROM store.waiting ORDER BY 1, 2;
            INSERT INTO main.trace_by_user (day, user_id, seq)
                SELECT CAST(time / 86400 AS INTEGER), user_id, seq FROM store.trace ORDER BY 1, 2, 3;
            """)
        // Which events were possible exceptions depended on the campaigns when they came
        // in: every event but an attribute update is taken (the engine ignores the others).
        try db.execute(sql: """
            INSERT INTO main.exception_event (user_id, time, seq)
            SELECT user_id, time, seq FROM store.event WHERE type != 'attributes' ORDER BY 1, 2, 3
            """)
        let followUps = try SQLiteStore.readCampaigns(db).filter { $0.trigger != nil }.map(\.id.rawValue)
        try db.execute(sql: ReceiptSQL.reindex(where: "campaign IN (SELECT value FROM json_each(?))"), arguments: [jsonList(followUps)])
        try setMark(.waiting, try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM store.waiting") ?? 0, db)
        try setMark(.events, eventKeys, db)
        try setMark(.trace, traceKeys, db)
        guard let storeID else { throw StoreCorruption("the store has no store_id (migration 009 writes it)") }
        try db.execute(sql: "INSERT OR REPLACE INTO index_state (name, value) VALUES ('store_id', ?)", arguments: [storeID])
        return true
    }
}
