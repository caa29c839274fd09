import ConnectorCore
import Foundation
import GRDB
import Logging
import Synchronization

/// The embedded default store: one SQLite file in WAL mode, through GRDB, and beside it
/// the index file (`<path>-index`, ``StateIndexFile``) with the by-user indexes, which an
/// index thread fills in bulk while the writer goes on.
///
/// Internal keys are time-ordered (events get an increasing integer key) so inserts
/// append to the B-trees. Deduplication by the client's event id does not use an index:
/// an index on random ids (UUIDv4) turns every insert into a random B-tree write, which
/// dominated ingestion. Instead the store keeps the 64-bit FNV-1a hashes of the ids of
/// the events of the last ``dedupeWindow`` in memory (about 24 bytes an event, grouped
/// by day and forgotten a day at a time as event time moves on), rebuilt from the event
/// rows when the store opens and updated only after a batch commits. Two ids
/// with the same 64-bit hash would be taken as one (about one chance in 10^13 per event
/// with a million ids remembered). One process writes a database at a time.
public final class SQLiteStore: Store {
    let pool: DatabasePool
    /// The stored campaigns and workspace settings as the engine and planner decide with
    /// them: replaced (under ``ingestLock``) by every save and status change, so a batch
    /// never decides with half of a change.
    let decider: Mutex<Decider>
    /// How far back (by event time) ids are remembered for deduplication. Default 30 days.
    public let dedupeWindow: TimeInterval
    let seen: Mutex<RememberedIDs>
    /// Held for a whole `ingest`: checking ids, the transaction and remembering the ids
    /// must not interleave with another batch's (two requests carrying the same retried
    /// event would both be accepted). SQLite runs one write transaction at a time anyway.
    let ingestLock = NSLock()
    /// The by-user indexes (waiting entries, follow-ups' receipts, possible exceptions,
    /// the trace) in their own file, kept in bulk: everything about them is there.
    let index: ByUserIndex

    /// Opens (creating and migrating) the database at `path`.
    ///
    /// - Parameters:
    ///   - dedupeWindow: how far back (event time) event ids are remembered (R25).
    ///   - checkpointPages: the WAL size in 4 KB pages at which the writer copies it into
    ///     the database file after a commit (SQLite's automatic checkpoint); the WAL file
    ///     is cut back to four times that.
    ///   - traceIndexEvery: how many decision-trace rows are indexed by user at once
    ///     (see ByUserIndex.swift); a user's trace scans at most this many
    ///     rows that are not indexed yet.
    ///   - stateIndexEvery: how many waiting entries, receipts and possible exceptions
    ///     (or events) gather in memory before they are indexed by user in one bulk (see
    ///     ``UnindexedState``); opening the store reads back at most about this many rows.
    ///   - logger: where the index thread reports a bulk that failed (it keeps its notes
    ///     and is retried after the next batch) and notes that pile up behind it. By
    ///     default nothing is logged, as with `CurlClient`: pass the application's logger.
    public init(path: String, dedupeWindow: TimeInterval = 30 * 86_400, checkpointPages: Int32 = 4096,
                traceIndexEvery: Int = 65_536, stateIndexEvery: Int = 65_536,
                logger: Logger = Logger(label: "connector.store", factory: { _ in SwiftLogNoOpLogHandler() })) throws {
        let indexPath = StateIndexFile.path(for: path)
        var configuration = Configuration()
        // Another process on the same file (`connector trace` beside the service) waits for
        // the current batch instead of failing with "database is locked".
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            // WAL (set by DatabasePool) + NORMAL sync: durable at checkpoints, never corrupt.
            // Page caches: 24 MB for the store's tables, 8 MB for the attached index file.
            // (Memory-mapped reads helped an earlier schema but not this one, and count
            // towards RSS: off.) The writer checkpoints after a commit that leaves the WAL
            // past `checkpointPages` (a checkpoint on a thread of its own gained 5%, under
            // the 10% an optimisation must gain). The index file is only read here
            // (StateIndexFile).
            try db.execute(sql: "ATTACH DATABASE ? AS idx", arguments: [indexPath])
            if !db.configuration.readonly { try db.execute(sql: "PRAGMA idx.journal_mode = WAL") }
            try db.execute(sql: """
                PRAGMA synchronous = NORMAL; PRAGMA cache_size = -24576; PRAGMA mmap_size = 0;
                PRAGMA idx.synchronous = NORMAL; PRAGMA idx.cache_size = -8192; PRAGMA idx.mmap_size = 0
                """)
            let pages = max(1, checkpointPages)
            try db.execute(sql: "PRAGMA wal_autocheckpoint = \(pages); PRAGMA journal_size_limit = \(Int64(pages) * 4 * 4096)")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        self.dedupeWindow = dedupeWindow
        seen = Mutex(RememberedIDs(window: dedupeWindow))
        try Self.migrator.migrate(pool)
        decider = Mutex(try pool.read { db in try Self.readDecider(db) })
        index = try ByUserIndex(storePath: path, pool: pool, stateEvery: stateIndexEvery, traceEvery: traceIndexEvery, logger: logger)
        try loadSeenIDs(since: nil)
    }

    /// A write transaction on the store's writer connection. DEFERRED, unlike GRDB's
    /// IMMEDIATE default: IMMEDIATE takes the write lock of every attached file, and the
    /// index file's is the index thread's. Only this connection writes the store, so
    /// taking the store's lock at the first write loses nothing.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in try Self.deferredTransaction(db, body) }
    }

    /// What is not indexed by user yet (tests look at it).
    var unindexed: UnindexedBox { index.notes }
    /// Waits for the by-user bulks queued so far (tests).
    func waitForIndexing() { index.waitForIndexing() }
    /// Indexes by user what is due, or everything with `force` (tests).
    func indexStateIfDue(force: Bool = false) throws { try index.indexStateIfDue(force: force) }
    /// Indexes the trace by user when due, or everything with `force` (tests).
    func indexTraceIfDue(force: Bool = false) throws { try index.indexTraceIfDue(force: force) }

    static func deferredTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        var result: T?
        try db.inTransaction(.deferred) {
            result = try body(db)
            return .commit
        }
        guard let result else { throw StoreCorruption("a write transaction ended without a result") }
        return result
    }

    /// The index file that belongs to a store at `path` (``StateIndexFile``): derived
    /// data, rebuilt from the store when it is missing; copy both, or only the store.
    public static func indexPath(for path: String) -> String { StateIndexFile.path(for: path) }


    /// Loads the ids of events since `date`, or (nil) within ``dedupeWindow`` of the
    /// newest stored event (event time, so a virtual clock works too) that is not dated
    /// more than a day after the latest ingestion: a far-future event must not push every
    /// other one out of the window.
    func loadSeenIDs(since date: Date?) throws {
        let window = dedupeWindow
        let remembered = try pool.read { db in
            var remembered = RememberedIDs(window: window)
            // The latest ingestion time, plus the day an event may be ahead of it (a store
            // from before the anchor was kept: no bound).
            let anchor = try Double.fetchOne(db, sql: "SELECT CAST(value AS REAL) FROM setting WHERE name = 'dedupe_anchor'")
            let latest = (anchor ?? .infinity) + 86_400
            let newest = try Double.fetchOne(db, sql: "SELECT MAX(time) FROM event WHERE time <= ?", arguments: [latest]) ?? 0
            let from = date?.timeIntervalSince1970 ?? (newest - window)
            let cursor = try Row.fetchCursor(db, sql: "SELECT event_id, time FROM event WHERE time >= ?", arguments: [from])
            while let row = try cursor.next() {
                remembered.insert(StableHash.value(row[0] as String), time: row[1], now: latest)
            }
            return remembered
        }
        seen.withLock { $0 = remembered }
    }

    /// How many event ids are remembered for deduplication.
    var rememberedIDCount: Int { seen.withLock { $0.count } }

    // MARK: Campaigns and users

    @discardableResult
    public func save(_ campaign: Campaign) throws -> Campaign {
        if campaign.trigger != nil, try pool.read({ try Self.readCampaign(campaign.id, $0) })?.trigger == nil {
            // It becomes a follow-up: R7 needs its receipts, which were not indexed.
            try index.write { db in try db.execute(sql: ReceiptSQL.reindex(where: "campaign = ?"), arguments: [campaign.id.rawValue]) }
        }
        return try changingDecisions { db in
            var saved = campaign
            let current = try Self.readCampaign(campaign.id, db)
            // The status history is the store's: only changeStatus (with its checks) moves it.
            saved.history = current?.history ?? StatusHistory()
            if let current {
                var sameSettings = saved
                sameSettings.version = current.version
                saved.version = sameSettings == current ? current.version : max(current.version + 1, campaign.version)
            } else {
                saved.version = max(1, campaign.version)
            }
            let json = try JSONEncoder().encode(saved)
            try db.execute(sql: "INSERT OR REPLACE INTO campaign (id, version, json) VALUES (?, ?, ?)",
                           arguments: [saved.id.rawValue, saved.version, json])
            try db.execute(sql: "INSERT OR REPLACE INTO campaign_version (id, version, json) VALUES (?, ?, ?)",
                           arguments: [saved.id.rawValue, saved.version, json])
            return saved
        }
    }

    /// A write that changes what the engine decides with (campaigns, settings): under the
    /// ingestion lock, with the decider replaced from the committed state before the lock
    /// is let go.
    func changingDecisions<T>(_ body: (Database) throws -> T) throws -> T {
        ingestLock.lock()
        defer { ingestLock.unlock() }
        do {
            let (result, fresh) = try write { db in (try body(db), try Self.readDecider(db)) }
            decider.withLock { $0 = fresh }
            return result
        } catch {
            // Rolled back: what it noted about waiting rows it removed goes too.
            try? pool.read { db in try index.reload(db) }
            throw error
        }
    }

    /// The engine and planner for the stored campaigns and settings.
    static func readDecider(_ db: Database) throws -> Decider {
        let settings = try readSettings(db)
        let zone = settings.zone
        return Decider(engine: ConnectorEngine(campaigns: try readCampaigns(db), workspaceTimeZone: zone),
                       planner: SendPlanner(workspaceTimeZone: zone, frequencyCaps: settings.frequencyCaps), settings: settings)
    }

    static func readSettings(_ db: Database) throws -> WorkspaceSettings {
        guard let json = try Data.fetchOne(db, sql: "SELECT CAST(value AS BLOB) FROM setting WHERE name = 'workspace'") else {
            return WorkspaceSettings()
        }
        return try JSONDecoder().decode(WorkspaceSettings.self, from: json)
    }

    public func workspaceSettings() throws -> WorkspaceSettings {
        decider.withLock { $0.settings }
    }

    public func save(_ settings: WorkspaceSettings) throws {
        try settings.validate()
        let json = String(decoding: try JSONEncoder().encode(settings), as: UTF8.self)
        try changingDecisions { db in
            try db.execute(sql: "INSERT OR REPLACE INTO setting (name, value) VALUES ('workspace', ?)", arguments: [json])
        }
    }

    public func campaignVersions(of id: CampaignID) throws -> [Campaign] {
        try pool.read { db in
            try Data.fetchAll(db, sql: "SELECT json FROM campaign_version WHERE id = ? ORDER BY version", arguments: [id.rawValue])
                .map { try JSONDecoder().decode(Campaign.self, from: $0) }
        }
    }

    static func readCampaign(_ id: CampaignID, _ db: Database) throws -> Campaign? {
        try Data.fetchOne(db, sql: "SELECT json FROM campaign WHERE id = ?", arguments: [id.rawValue])
            .map { try JSONDecoder().decode(Campaign.self, from: $0) }
    }

    public func campaigns() throws -> [Campaign] {
        try pool.read { db in try Self.readCampaigns(db) }
    }

    /// Every campaign's current version, by id.
    static func readCampaigns(_ db: Database) throws -> [Campaign] {
        let decoder = JSONDecoder()
        return try Data.fetchAll(db, sql: "SELECT json FROM campaign ORDER BY id").map { try decoder.decode(Campaign.self, from: $0) }
    }

    public func changeStatus(of id: CampaignID, to status: CampaignStatus, at time: Date) throws -> CampaignLifecycle.Change {
        try changingDecisions { db in
                let change = try CampaignLifecycle.change(id, to: status, at: time, among: try Self.readCampaigns(db))
                let json = try JSONEncoder().encode(change.campaign)
                // The current version's stored document follows too (a status change is not a new version).
                try db.execute(sql: "UPDATE campaign SET json = ? WHERE id = ?", arguments: [json, id.rawValue])
                try db.execute(sql: "UPDATE campaign_version SET json = ? WHERE id = ? AND version = ?",
                               arguments: [json, id.rawValue, change.campaign.version])
                if status == .stopped || status == .archived {
                    try cancelWaiting(of: id, at: time, status: status, db)
                }
                return change
        }
    }

    /// R16: a stop cancels the follow-up's waiting entries for good (resuming starts
    /// clean), in the stop's transaction; claimed ones too (a cancel wins over a claim).
    private func cancelWaiting(of id: CampaignID, at time: Date, status: CampaignStatus, _ db: Database) throws {
        let writer = WriteTransaction(db, unindexed: index.notes)
        let rows = try Row.fetchAll(db, sql: "SELECT seq, user_id FROM waiting WHERE follow_up = ?", arguments: [id.rawValue])
        let reason = DecisionReason(.campaignStopped, "cancelled: \(id) was \(status.rawValue) at \(Self.iso(time)); resuming does not replay entries")
        for row in rows {
            let user = UserID(row["user_id"] as String)
            try writer.deleteWaiting(row["seq"], user: user)
            try writer.trace(user, time, id, .cancelled, reason)
        }
    }

    static func iso(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    public func save(_ user: User) throws {
        try write { db in try Self.write(user, db) }
    }

    public func save(_ users: [User]) throws {
        try write { db in
            for user in users { try Self.write(user, db) }
        }
    }

    public func user(_ id: UserID) throws -> User? {
        try pool.read { db in try Self.readUser(id, db) }
    }

    public func users(_ ids: Set<UserID>) throws -> [UserID: User] {
        try pool.read { db in
            var users: [UserID: User] = [:]
            for id in ids {
                if let user = try Self.readUser(id, db) { users[id] = user }
            }
            return users
        }
    }

    public func deleteUser(_ id: UserID) throws -> UserDeletion {
        try write { db in
            // Through the writer, so the entries not indexed by user yet are forgotten too.
            let writer = WriteTransaction(db, unindexed: index.notes)
            let seqs = try Int64.fetchAll(db, sql: "SELECT seq FROM waiting WHERE user_id = ?", arguments: [id.rawValue])
            for seq in seqs { try writer.deleteWaiting(seq, user: id) }
            try db.execute(sql: "DELETE FROM user WHERE id = ?", arguments: [id.rawValue])
            let existed = db.changesCount > 0
            try db.execute(sql: "DELETE FROM kept_message WHERE user_id = ?", arguments: [id.rawValue])
            return UserDeletion(existed: existed, waitingRemoved: seqs.count, messagesRemoved: db.changesCount)
        }
    }

    static func write(_ user: User, _ db: Database) throws {
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO user (id, json) VALUES (?, ?)")
            .execute(arguments: [user.id.rawValue, Data(UserRow.json(user).utf8)])
    }

    static func readUser(_ id: UserID, _ db: Database) throws -> User? {
        try Data.fetchOne(db.cachedStatement(sql: "SELECT json FROM user WHERE id = ?"), arguments: [id.rawValue])
            .map { data in try data.withUnsafeBytes { try UserRow.user(json: $0.bindMemory(to: UInt8.self)) } }
    }
}

/// The engine and send planner for the stored campaigns and workspace settings.
struct Decider: Sendable {
    var engine: ConnectorEngine
    var planner: SendPlanner
    var settings: WorkspaceSettings
}
