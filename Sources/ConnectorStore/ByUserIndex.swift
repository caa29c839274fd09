import ConnectorCore
import Foundation
import GRDB
import Logging
import Synchronization

/// The by-user indexes and everything that keeps them, behind one interface: waiting
/// entries, follow-ups' receipts and possible exceptions by user (`waiting_by_user`,
/// `receipt`, `exception_event`), and the decision trace by day and user
/// (`trace_by_user`), in the index file (``StateIndexFile``), written in bulk by the index
/// thread while the writer goes on (``UnindexedState`` has why).
///
/// The rest of the store uses only this interface:
/// - inside a write transaction, ``WriteTransaction`` notes what it appends and reads a
///   user's state through ``notes`` (the indexed part comes from the tables);
/// - after a commit, under the write lock: ``afterCommit(newEvents:)``;
/// - after a rollback: ``reload(_:)``, or ``reload(_:user:)`` for one user's events;
/// - ``flush()`` indexes everything noted before it returns (``SQLiteStore/prune``, tests);
///   ``waitForIndexing()`` waits for the bulks queued so far;
/// - ``write(_:)`` for the rare writes to the index file from outside (a campaign that
///   becomes a follow-up has its past receipts indexed; prune deletes exception rows).
///
/// The rules its correctness rests on, each kept here: notes are only dropped by a later
/// writer, under the write lock and outside a transaction (``dropIndexedNotes()``), after
/// the bulk that indexed them has committed; readers read the notes before their first
/// statement. So every reader sees a row in the notes, in the file, or in both, never in
/// neither.
final class ByUserIndex: Sendable {
    /// What is not indexed yet, by user.
    let notes = UnindexedBox()
    /// The index file's own connection: every write to it.
    let database: DatabaseQueue
    /// The index thread: bulks run here, in order, beside the writer.
    let queue = DispatchQueue(label: "connector.store.index")
    /// How many notes (or events) gather before one bulk indexes them.
    let stateEvery: Int
    /// How many trace rows wait before they are indexed by user in one bulk.
    let traceEvery: Int64
    /// The store's connections, for the newest keys and for rebuilding the notes.
    let pool: DatabasePool
    let storePath: String
    /// Where the index thread reports a bulk that failed (it is retried; the notes stay).
    let logger: Logger
    /// A trace bulk is queued on ``queue``.
    private let traceBulkQueued = Mutex(false)

    /// Opens the index file beside the store at `storePath`, rebuilds it if it is not this
    /// store's (``StateIndexFile/verifyOrRebuild(_:)``), and reads back the notes.
    init(storePath: String, pool: DatabasePool, stateEvery: Int, traceEvery: Int, logger: Logger) throws {
        self.storePath = storePath
        self.pool = pool
        self.stateEvery = max(1, stateEvery)
        self.traceEvery = Int64(max(1, traceEvery))
        self.logger = logger
        // The index connection: the index file as main, the store attached, only read.
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "ATTACH DATABASE ? AS store", arguments: [storePath])
            try db.execute(sql: """
                PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA cache_size = -4096; PRAGMA mmap_size = 0;
                PRAGMA store.cache_size = -1024; PRAGMA store.mmap_size = 0
                """)
        }
        database = try DatabaseQueue(path: StateIndexFile.path(for: storePath), configuration: configuration)
        _ = try write { db in try StateIndexFile.verifyOrRebuild(db) }
        let notes = self.notes
        try pool.read { db in try Self.loadUnindexed(db, user: nil, into: notes) }
    }

    /// A write transaction on the index connection (DEFERRED: the attached store is only
    /// read, and must not be locked against the writer). Runs after a bulk in progress.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        try database.writeWithoutTransaction { db in try SQLiteStore.deferredTransaction(db, body) }
    }

    /// After a commit of `newEvents` events, under the write lock: counts them, and queues
    /// the bulks that are due. A failed bulk is queued again here (and logged by the index
    /// thread); the commit stands whatever happens.
    func afterCommit(newEvents: Int) {
        if newEvents > 0 { notes.mutex.withLock { $0.live.noteEvents(newEvents) } }
        try? indexTraceIfDue()
        try? indexStateIfDue()
    }

    /// After a transaction rolled back: its notes go; the tables are the truth.
    func reload(_ db: Database) throws {
        try reloadUnindexed(db)
    }

    /// After one user's event rolled back to its savepoint: that user's notes are rebuilt.
    func reload(_ db: Database, user: UserID) throws {
        try Self.loadUnindexed(db, user: user, into: notes)
    }

    /// Indexes everything noted so far before it returns; the caller holds the write lock
    /// (or nothing writes).
    func flush() throws {
        try indexStateIfDue(force: true)
        try indexTraceIfDue(force: true)
    }

    /// Rebuilds what is not indexed yet from the database: all of it (`user` nil: at open,
    /// and after a batch that rolled back) or one user's (after one of its events failed
    /// and its savepoint rolled back). The rows after the indexed-through keys are read;
    /// every event that is not an attribute update is taken as a possible exception (the
    /// engine that flagged them is not known here; the engine ignores those that are not).
    ///
    /// A full rebuild must not overlap a bulk (``reloadUnindexed(_:)`` waits for it): it
    /// starts from the index file's marks and drops the frozen notes. A user's rebuild
    /// replaces only its live notes, after the live keys.
    static func loadUnindexed(_ db: Database, user: UserID?, into box: UnindexedBox) throws {
        let (waitingThrough, eventsThrough) = user == nil
            ? (try StateIndexFile.mark(.waiting, db), try StateIndexFile.mark(.events, db))
            : box.mutex.withLock { ($0.live.waitingThrough, $0.live.eventsThrough) }
        let userFilter = user == nil ? "" : " AND user_id = ?"
        var arguments: [any DatabaseValueConvertible] = [waitingThrough]
        if let user { arguments.append(user.rawValue) }
        var waiting: [(String, Int64)] = []
        let waitingRows = try Row.fetchCursor(db, sql: "SELECT user_id, seq FROM waiting WHERE seq > ?" + userFilter + " ORDER BY seq",
                                              arguments: StatementArguments(arguments))
        while let row = try waitingRows.next() { waiting.append((row[0], row[1])) }

        arguments[0] = eventsThrough
        // Only follow-ups' receipts are indexed (R7 reads them).
        let followUps = Set(try SQLiteStore.readCampaigns(db).filter { $0.trigger != nil }.map(\.id.rawValue))
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
               let channel = SQLiteStore.receiptChannel(kind), let campaign = row[5] as String?, followUps.contains(campaign) {
                receipts.append((eventUser, UnindexedState.Receipt(campaign: campaign, channel: channel, at: time)))
            }
        }

        box.mutex.withLock { notes in
            if let user {
                notes.live.replace(user: user.rawValue, waiting: waiting.map(\.1), receipts: receipts.map(\.1), exceptions: exceptions.map(\.1))
                return
            }
            var state = UnindexedState(waitingThrough: waitingThrough, eventsThrough: eventsThrough)
            for (user, seq) in waiting { state.addWaiting(seq, user: user) }
            for (user, receipt) in receipts { state.addReceipt(receipt, user: user) }
            for (user, exception) in exceptions { state.addException(exception, user: user) }
            state.setEventCount(events)
            notes = UnindexedNotes(state)
        }
    }

    /// Rebuilds all the notes (after a rolled-back batch), once no bulk is running. The
    /// caller holds the write lock, so no new bulk starts.
    private func reloadUnindexed(_ db: Database) throws {
        waitForIndexing()
        try Self.loadUnindexed(db, user: nil, into: notes)
    }

    /// Waits until the bulks queued so far have finished.
    func waitForIndexing() {
        queue.sync {}
    }

    /// Drops frozen notes whose bulk has committed (their memory is freed on the index
    /// thread). Under the write lock and outside a transaction: the next transaction then
    /// reads the index file as the bulk left it.
    func dropIndexedNotes() {
        let indexed = notes.mutex.withLock { notes -> UnindexedState? in
            guard notes.frozenIndexed else { return nil }
            defer {
                (notes.frozen, notes.frozenIndexed) = (nil, false)
            }
            return notes.frozen
        }
        if let indexed { queue.async { withExtendedLifetime(indexed) {} } }
    }

    /// After a commit, under the write lock: once enough has gathered, freezes the live
    /// notes and queues their bulk on the index thread (or queues again a bulk that
    /// failed). With `force`, indexes everything noted before it returns (``SQLiteStore/prune(eventsBefore:traceBefore:)``,
    /// tests); the caller then holds the write lock too, or nothing writes.
    func indexStateIfDue(force: Bool = false) throws {
        if force { waitForIndexing() }
        dropIndexedNotes()
        let (due, pilingUp) = notes.mutex.withLock { notes in
            // Notes four bulks deep (at least 262,144): the index thread is behind (or failing) and memory grows.
            let pilingUp = notes.live.rowCount >= pileUpThreshold && !notes.pileUpReported
            if pilingUp { notes.pileUpReported = true }
            return (Self.isDue(notes, force: force, every: stateEvery), pilingUp)
        }
        if pilingUp {
            logger.warning("the index thread is behind: notes of unindexed state pile up in memory",
                           metadata: ["notes": "\(pileUpThreshold)+", "index": "\(StateIndexFile.path(for: storePath))"])
        }
        guard due else { return }

        // The newest committed keys: the live notes start after them.
        let (newestWaiting, newestEvent) = try pool.read { db in
            (try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM waiting") ?? 0, try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM event") ?? 0)
        }
        let bulk = notes.mutex.withLock { notes -> (state: UnindexedState, waitingThrough: Int64, eventsThrough: Int64)? in
            guard !notes.bulkRunning else { return nil }
            if notes.frozen == nil {
                guard !notes.live.isEmpty else { return nil }
                let live = notes.live
                notes.live = UnindexedState(waitingThrough: max(live.waitingThrough, newestWaiting), eventsThrough: max(live.eventsThrough, newestEvent))
                notes.frozen = live
                notes.pileUpReported = false
            }
            guard let frozen = notes.frozen else { return nil }
            notes.bulkRunning = true
            return (frozen, notes.live.waitingThrough, notes.live.eventsThrough)
        }
        guard let bulk else { return }
        let run: @Sendable () throws -> Void = { [self] in
            do {
                try write { db in
                    try writeBulk(bulk.state, waitingThrough: bulk.waitingThrough, eventsThrough: bulk.eventsThrough, db)
                }
                notes.mutex.withLock { ($0.frozenIndexed, $0.bulkRunning) = (true, false) }
            } catch {
                // Queued again after the next batch; readers still have the frozen notes.
                notes.mutex.withLock { $0.bulkRunning = false }
                throw error
            }
        }
        if force {
            try queue.sync(execute: run)
            dropIndexedNotes()
            // What was noted meanwhile (nothing, if the caller holds the write lock).
            if !notes.mutex.withLock({ $0.live.isEmpty }) { try indexStateIfDue(force: true) }
        } else {
            queue.async { [self] in
                do {
                    try run()
                } catch {
                    let waiting = notes.mutex.withLock { $0.live.rowCount }
                    logger.error("indexing waiting entries, receipts and exceptions by user failed; the notes stay in memory and the bulk is retried after the next batch",
                                 metadata: ["error": "\(error)", "index": "\(StateIndexFile.path(for: storePath))", "notes": "\(waiting)"])
                }
            }
        }
    }

    /// How many live notes mean the index thread is behind: four bulks' worth, and not
    /// less than four default bulks (small thresholds lag by design).
    private var pileUpThreshold: Int { max(4 * stateEvery, 4 * 65_536) }

    /// Whether a bulk is to be queued: none running, and a failed one to retry, or enough
    /// noted (anything, with `force`).
    private static func isDue(_ notes: UnindexedNotes, force: Bool, every: Int) -> Bool {
        if notes.bulkRunning { return false }
        if notes.frozen != nil { return true }  // a bulk that failed, again
        return force ? !notes.live.isEmpty : notes.live.isDue(every: every)
    }

    /// One bulk, on the index connection: the frozen notes' rows into the by-user tables,
    /// and the marks moved to the live notes' keys.
    private func writeBulk(_ state: UnindexedState, waitingThrough: Int64, eventsThrough: Int64, _ db: Database) throws {
        // From the table itself, so only committed entries that still wait are indexed.
        try db.execute(sql: """
            INSERT OR IGNORE INTO waiting_by_user (user_id, seq)
            SELECT user_id, seq FROM waiting WHERE seq > ? AND seq <= ? ORDER BY user_id, seq
            """, arguments: [state.waitingThrough, waitingThrough])
        let drop = try BoundStatement(db, """
            DELETE FROM waiting_by_user WHERE user_id = ?1 AND seq = ?2 AND NOT EXISTS (SELECT 1 FROM waiting WHERE seq = ?2 AND user_id = ?1)
            """)
        for key in state.goneWaiting.sorted() {
            drop.bind(1, key.user)
            drop.bind(2, key.seq)
            try drop.execute()
        }
        // Only the follow-ups' receipts: those noted at ingestion, which knew the follow-ups.
        let receipt = try BoundStatement(db, "INSERT OR IGNORE INTO receipt (user_id, campaign_id, channel, at) VALUES (?, ?, ?, ?)")
        for (user, receipts) in state.receipts.sorted(by: { $0.key < $1.key }) {
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
        try StateIndexFile.setMark(.waiting, waitingThrough, db)
        try StateIndexFile.setMark(.events, eventsThrough, db)
    }

    /// The key up to which trace rows are in `trace_by_user` (in the index file).
    static func traceIndexedThrough(_ db: Database) throws -> Int64 {
        try StateIndexFile.mark(.trace, db)
    }

    /// Indexes the trace rows appended since the last bulk when there are at least
    /// ``traceEvery`` of them, on the index thread (queued once at a time); with
    /// `force`, any there are, before it returns.
    func indexTraceIfDue(force: Bool = false) throws {
        let bulk: @Sendable () throws -> Void = { [self] in
            try write { db in
                let through = try Self.traceIndexedThrough(db)
                let newest = try Int64.fetchOne(db, sql: "SELECT MAX(seq) FROM trace") ?? 0
                guard newest > through, force || newest - through >= traceEvery else { return }
                try db.execute(sql: """
                    INSERT OR IGNORE INTO trace_by_user (day, user_id, seq)
                    SELECT CAST(time / 86400 AS INTEGER), user_id, seq FROM trace WHERE seq > ? AND seq <= ? ORDER BY 1, 2, 3
                    """, arguments: [through, newest])
                try StateIndexFile.setMark(.trace, newest, db)
            }
        }
        if force { return try queue.sync(execute: bulk) }
        let queued = traceBulkQueued.withLock { queued in
            defer { queued = true }
            return queued
        }
        guard !queued else { return }
        queue.async { [self] in
            traceBulkQueued.withLock { $0 = false }
            do {
                try bulk()
            } catch {
                logger.error("indexing the decision trace by user failed; it is retried after the next batch",
                             metadata: ["error": "\(error)", "index": "\(StateIndexFile.path(for: storePath))"])
            }
        }
    }
}
