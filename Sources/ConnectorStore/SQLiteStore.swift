import ConnectorCore
import Foundation
import GRDB
import Synchronization

/// The embedded default store: one SQLite file in WAL mode, through GRDB.
///
/// Internal keys are time-ordered (events get an increasing integer key) so inserts
/// append to the B-trees. Deduplication by the client's event id does not use an index:
/// an index on random ids (UUIDv4) turns every insert into a random B-tree write, which
/// dominated ingestion. Instead the store keeps the 64-bit FNV-1a hashes of the ids of
/// the events of the last ``dedupeWindow`` in memory (16 bytes an event), rebuilt from
/// the event rows when the store opens and updated only after a batch commits. Two ids
/// with the same 64-bit hash would be taken as one (about one chance in 10^13 per event
/// with a million ids remembered). One process writes a database at a time.
public final class SQLiteStore: Store {
    private let pool: DatabasePool
    /// How far back (by event time) ids are remembered for deduplication. Default 30 days.
    public let dedupeWindow: TimeInterval
    private let seen = Mutex(Set<UInt64>())
    /// The latest time of any possible-exception event written (committed or not: an
    /// over-estimate only costs a query): an event at or after it cannot have exceptions
    /// that arrived before it, so the out-of-order query is skipped (the common case:
    /// events arrive roughly in order).
    private let latestExceptionTime = Mutex(-Double.infinity)

    /// Opens (creating and migrating) the database at `path`.
    public init(path: String, dedupeWindow: TimeInterval = 30 * 86_400) throws {
        var configuration = Configuration()
        configuration.prepareDatabase { db in
            // WAL (set by DatabasePool) + NORMAL sync: durable at checkpoints, never corrupt.
            // A 32 MB page cache keeps the indexes hot. (Memory-mapped reads helped an
            // earlier schema but not this one, and count towards RSS: off.)
            // Checkpoints every 16,384 pages (64 MB of WAL) instead of 1,000: each one
            // syncs and rewrites pages; fewer of them gave +20% ingestion.
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768; PRAGMA mmap_size = 0; PRAGMA wal_autocheckpoint = 16384")
        }
        pool = try DatabasePool(path: path, configuration: configuration)
        self.dedupeWindow = dedupeWindow
        try Self.migrator.migrate(pool)
        try loadSeenIDs(since: nil)
        let latest = try pool.read { db in try Double.fetchOne(db, sql: "SELECT MAX(time) FROM exception_event") }
        latestExceptionTime.withLock { $0 = latest ?? -Double.infinity }
    }

    /// Loads the ids of events since `date`, or (nil) within ``dedupeWindow`` of the
    /// newest stored event (event time, so a virtual clock works too).
    private func loadSeenIDs(since date: Date?) throws {
        let hashes = try pool.read { db in
            var hashes = Set<UInt64>()
            let newest = try Double.fetchOne(db, sql: "SELECT MAX(time) FROM event") ?? 0
            let from = date?.timeIntervalSince1970 ?? (newest - dedupeWindow)
            let cursor = try String.fetchCursor(db, sql: "SELECT event_id FROM event WHERE time >= ?", arguments: [from])
            while let id = try cursor.next() { hashes.insert(StableHash.value(id)) }
            return hashes
        }
        seen.withLock { $0 = hashes }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("001 campaigns, users, events, waiting, outbox, trace") { db in
            try db.execute(sql: """
                CREATE TABLE campaign (id TEXT PRIMARY KEY, version INTEGER NOT NULL, json BLOB NOT NULL);
                CREATE TABLE user (id TEXT PRIMARY KEY, json BLOB NOT NULL);
                CREATE TABLE event (
                    seq INTEGER PRIMARY KEY, event_id TEXT NOT NULL, user_id TEXT NOT NULL, time REAL NOT NULL,
                    type TEXT NOT NULL, kind TEXT, campaign TEXT, detail TEXT, data TEXT);
                CREATE TABLE exception_event (user_id TEXT NOT NULL, time REAL NOT NULL, seq INTEGER NOT NULL);
                CREATE INDEX exception_event_user ON exception_event (user_id, time);
                CREATE TABLE waiting (
                    user_id TEXT NOT NULL, follow_up TEXT NOT NULL, id TEXT NOT NULL, version INTEGER NOT NULL,
                    trigger_event_id TEXT NOT NULL, trigger_time REAL NOT NULL, due_at REAL NOT NULL,
                    PRIMARY KEY (user_id, follow_up)) WITHOUT ROWID;  -- R6: one entry per user and follow-up
                CREATE INDEX waiting_due ON waiting (due_at);
                CREATE TABLE receipt (
                    user_id TEXT NOT NULL, campaign_id TEXT NOT NULL, channel TEXT NOT NULL, at REAL NOT NULL);
                CREATE INDEX receipt_user ON receipt (user_id, at);
                CREATE TABLE outbox (
                    seq INTEGER PRIMARY KEY, dispatch_id TEXT NOT NULL UNIQUE, idempotency_key TEXT NOT NULL UNIQUE,
                    campaign_id TEXT NOT NULL, channel TEXT NOT NULL, created_at REAL NOT NULL, json BLOB NOT NULL);
                CREATE INDEX outbox_rate ON outbox (campaign_id, channel, created_at);
                CREATE TABLE trace (
                    seq INTEGER PRIMARY KEY, user_id TEXT NOT NULL, time REAL NOT NULL,
                    campaign_id TEXT NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL);
                CREATE INDEX trace_user ON trace (user_id, seq);
                """)
        }
        return migrator
    }

    // MARK: Campaigns and users

    public func save(_ campaign: Campaign) throws {
        let json = try JSONEncoder().encode(campaign)
        try pool.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO campaign (id, version, json) VALUES (?, ?, ?)",
                           arguments: [campaign.id.rawValue, campaign.version, json])
        }
    }

    public func campaigns() throws -> [Campaign] {
        try pool.read { db in
            try Data.fetchAll(db, sql: "SELECT json FROM campaign ORDER BY id").map { try JSONDecoder().decode(Campaign.self, from: $0) }
        }
    }

    public func save(_ user: User) throws {
        try pool.write { db in try Self.write(user, db) }
    }

    public func user(_ id: UserID) throws -> User? {
        try pool.read { db in try Self.readUser(id, db) }
    }

    private static func write(_ user: User, _ db: Database) throws {
        try db.execute(sql: "INSERT OR REPLACE INTO user (id, json) VALUES (?, ?)",
                       arguments: [user.id.rawValue, try JSONEncoder().encode(user)])
    }

    private static func readUser(_ id: UserID, _ db: Database) throws -> User? {
        try Data.fetchOne(db, sql: "SELECT json FROM user WHERE id = ?", arguments: [id.rawValue])
            .map { try JSONDecoder().decode(User.self, from: $0) }
    }

    // MARK: Ingestion

    public func ingest(_ events: [Event], engine: ConnectorEngine, now: Date) throws -> IngestReport {
        // Fast path: the whole batch in one transaction. If an event fails, the batch is
        // rolled back and applied again with a savepoint per event, so the failing event
        // is reported and the others are kept.
        let known = seen.withLock { $0 }
        var accepted = Set<UInt64>()
        let report: IngestReport
        do {
            report = try pool.write { db in
                var report = IngestReport()
                accepted = []
                for event in events { try self.record(event, known, &accepted, engine: engine, now: now, db, &report) }
                return report
            }
        } catch {
            report = try pool.write { db in
                var report = IngestReport()
                accepted = []
                for event in events {
                    var acceptedHere = accepted
                    do {
                        try db.inSavepoint {
                            try self.record(event, known, &acceptedHere, engine: engine, now: now, db, &report)
                            return .commit
                        }
                        accepted = acceptedHere
                    } catch {
                        report.failures.append(EventFailure(eventID: event.id, reason: "\(error)"))
                    }
                }
                return report
            }
        }
        // Only ids of committed events are remembered.
        seen.withLock { $0.formUnion(accepted) }
        return report
    }

    // swiftlint:disable:next function_parameter_count
    private func record(
        _ event: Event, _ known: Set<UInt64>, _ accepted: inout Set<UInt64>,
        engine: ConnectorEngine, now: Date, _ db: Database, _ report: inout IngestReport
    ) throws {
        let hash = StableHash.value(event.id.rawValue)
        guard !known.contains(hash), accepted.insert(hash).inserted else {
            report.duplicates.append(event.id)
            return
        }
        try apply(event, engine: engine, now: now, db, &report)
        report.accepted += 1
    }

    /// Stores one (new) event and applies its decisions.
    private func apply(_ event: Event, engine: ConnectorEngine, now: Date, _ db: Database, _ report: inout IngestReport) throws {
        try db.cachedStatement(sql: "INSERT INTO event (\(EventRow.columns)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")
            .execute(arguments: EventRow.arguments(event))
        if engine.mayBeException(event) {
            // Indexed by user, for exceptions that arrive before their trigger (R14).
            try db.cachedStatement(sql: "INSERT INTO exception_event (user_id, time, seq) VALUES (?, ?, ?)")
                .execute(arguments: [event.userID.rawValue, event.time.timeIntervalSince1970, db.lastInsertedRowID])
            let time = event.time.timeIntervalSince1970
            latestExceptionTime.withLock { $0 = max($0, time) }
        }

        switch event.payload {
        case .attributeUpdate(let changes):
            var updated = try Self.readUser(event.userID, db) ?? User(id: event.userID)
            for (key, value) in changes { updated.attributes[key] = value }
            try Self.write(updated, db)
        case .interaction(let interaction):
            if let channel = Self.receiptChannel(interaction.kind) {
                try db.cachedStatement(sql: "INSERT INTO receipt (user_id, campaign_id, channel, at) VALUES (?, ?, ?, ?)")
                    .execute(arguments: [event.userID.rawValue, interaction.campaign.rawValue, channel.rawValue, event.time.timeIntervalSince1970])
            }
        default:
            break
        }

        guard engine.mayDecide(event) else { return }
        let mayHaveLaterExceptions = event.time.timeIntervalSince1970 < latestExceptionTime.withLock { $0 }
        let laterEvents = !mayHaveLaterExceptions ? [] : try Row.fetchAll(
            db.cachedStatement(sql: """
                SELECT \(EventRow.qualifiedColumns) FROM exception_event JOIN event ON event.seq = exception_event.seq
                WHERE exception_event.user_id = ? AND exception_event.time > ? ORDER BY exception_event.time LIMIT 1000
                """),
            arguments: [event.userID.rawValue, event.time.timeIntervalSince1970]
        ).map(EventRow.event)
        let state = UserState(user: try Self.readUser(event.userID, db), waiting: try waiting(event.userID, db),
                              lastReceipts: try lastReceipts(event.userID, db), laterEvents: laterEvents)
        let decisions = engine.decide(event, state: state, now: now)
        for decision in decisions {
            switch decision {
            case .schedule(let entry, let reason):
                try db.cachedStatement(sql: "INSERT OR REPLACE INTO waiting (\(WaitingRow.columns)) VALUES (?, ?, ?, ?, ?, ?, ?)")
                    .execute(arguments: WaitingRow.arguments(entry))
                try Self.trace(db, event.userID, now, entry.followUp, "scheduled", reason)
            case .cancel(let entryID, let followUp, let reason):
                try db.execute(sql: "DELETE FROM waiting WHERE user_id = ? AND follow_up = ? AND id = ?",
                               arguments: [event.userID.rawValue, followUp.rawValue, entryID])
                try Self.trace(db, event.userID, now, followUp, "cancelled", reason)
            case .skip(let followUp, let reason):
                try Self.trace(db, event.userID, now, followUp, "skipped", reason)
            }
        }
        report.decisions += decisions
    }

    /// R22: which interactions are receipts, and on which channel.
    static func receiptChannel(_ kind: InteractionKind) -> Channel? {
        switch kind {
        case .emailReceived: return .email
        case .smsReceived: return .sms
        case .pushReceived: return .push
        case .webhookReceived: return .webhook
        case .inAppMessageViewed: return .inAppMessage
        case .contentCardViewed: return .contentCard
        default: return nil
        }
    }

    private func waiting(_ user: UserID, _ db: Database) throws -> [WaitingEntry] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(WaitingRow.columns) FROM waiting WHERE user_id = ?"), arguments: [user.rawValue])
            .map(WaitingRow.entry)
    }

    private func lastReceipts(_ user: UserID, _ db: Database) throws -> [CampaignID: Date] {
        var result: [CampaignID: Date] = [:]
        let rows = try Row.fetchAll(db.cachedStatement(sql: "SELECT campaign_id, MAX(at) AS at FROM receipt WHERE user_id = ? GROUP BY campaign_id"),
                                    arguments: [user.rawValue])
        for row in rows {
            let campaign: String = row["campaign_id"]
            let at: Double = row["at"]
            result[CampaignID(campaign)] = Date(timeIntervalSince1970: at)
        }
        return result
    }

    private static func trace(_ db: Database, _ user: UserID, _ time: Date, _ campaign: CampaignID, _ action: String, _ reason: String) throws {
        try db.cachedStatement(sql: "INSERT INTO trace (user_id, time, campaign_id, action, reason) VALUES (?, ?, ?, ?, ?)")
            .execute(arguments: [user.rawValue, time.timeIntervalSince1970, campaign.rawValue, action, reason])
    }

    /// Forgets the ids of events that happened before `date` (they can then be ingested again).
    public func pruneDedupe(before date: Date) throws {
        try loadSeenIDs(since: date)
    }

    // MARK: Scheduling

    public func dueEntries(at now: Date, limit: Int) throws -> [WaitingEntry] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT \(WaitingRow.columns) FROM waiting WHERE due_at <= ? ORDER BY due_at LIMIT ?",
                             arguments: [now.timeIntervalSince1970, limit])
                .map(WaitingRow.entry)
        }
    }

    public func complete(_ entry: WaitingEntry, outcome: SendOutcome, now: Date) throws {
        try pool.write { db in
            switch outcome {
            case .hold(let until, let reason):
                try db.execute(sql: "UPDATE waiting SET due_at = ? WHERE user_id = ? AND follow_up = ? AND id = ?",
                               arguments: [until.timeIntervalSince1970, entry.userID.rawValue, entry.followUp.rawValue, entry.id])
                try Self.trace(db, entry.userID, now, entry.followUp, "held", reason)
                return
            case .send(let dispatches, let skipped):
                for dispatch in dispatches {
                    // INSERT OR IGNORE on the idempotency key: a retry never queues a send twice (R25).
                    try db.execute(sql: """
                        INSERT OR IGNORE INTO outbox (dispatch_id, idempotency_key, campaign_id, channel, created_at, json)
                        VALUES (?, ?, ?, ?, ?, ?)
                        """, arguments: [dispatch.id, dispatch.idempotencyKey, dispatch.followUp.rawValue, dispatch.channel.rawValue,
                                         now.timeIntervalSince1970, try JSONEncoder().encode(dispatch)])
                }
                let channels = dispatches.map(\.channel.rawValue).joined(separator: ", ")
                let note = skipped.isEmpty ? "" : " (not on " + skipped.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: "; ") + ")"
                try Self.trace(db, entry.userID, now, entry.followUp, "sent", "dispatched \(entry.followUp) on \(channels)\(note)")
            case .control:
                try Self.trace(db, entry.userID, now, entry.followUp, "control", "held back in the control group (R17)")
            case .skip(let reason):
                try Self.trace(db, entry.userID, now, entry.followUp, "skipped", reason)
            }
            try db.execute(sql: "DELETE FROM waiting WHERE user_id = ? AND follow_up = ? AND id = ?",
                           arguments: [entry.userID.rawValue, entry.followUp.rawValue, entry.id])
        }
    }

    public func waitingEntries(for user: UserID) throws -> [WaitingEntry] {
        try pool.read { db in try waiting(user, db) }
    }

    public func trace(for user: UserID) throws -> [TraceRecord] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT time, campaign_id, action, reason FROM trace WHERE user_id = ? ORDER BY seq", arguments: [user.rawValue])
                .map { row in
                    TraceRecord(time: Date(timeIntervalSince1970: row["time"]), userID: user,
                                campaign: CampaignID(row["campaign_id"] as String), action: row["action"], reason: row["reason"])
                }
        }
    }

    public func outbox() throws -> [Dispatch] {
        try pool.read { db in
            try Data.fetchAll(db, sql: "SELECT json FROM outbox ORDER BY seq").map { try JSONDecoder().decode(Dispatch.self, from: $0) }
        }
    }

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
}
