import ConnectorCore
import Synchronization

/// The per-user state written since the last bulk index, which the by-user tables
/// (`waiting_by_user`, `receipt`, `exception_event`) do not hold yet.
///
/// Indexing a user's waiting entry, receipt or exception event when it is written is a
/// random B-tree insert: one dirty 4 KB page per row, written to the WAL at commit and
/// again at checkpoint, which was most of what ingestion wrote (docs/PERFORMANCE.md).
/// Instead ingestion appends (waiting rows by a time-ordered key; receipts and exceptions
/// are the event rows themselves) and notes here, by user, what it appended; once enough
/// has gathered, one transaction sorts it into the by-user tables
/// (ByUserIndex.swift), so each index page is written about once per bulk.
/// A reader of a user's state combines the indexed part with what is held here.
///
/// Everything here can be rebuilt from the database (the rows after the `...Through`
/// keys): at open, after a batch that rolled back, and for the user of an event that
/// failed. Only the writer (holding the store's write lock) changes it (see
/// ``UnindexedNotes`` for the notes a bulk is indexing). A reader outside
/// the writer's transaction can see notes of a batch that has not committed yet: waiting
/// rows are then not found in its snapshot and skipped; a receipt would count towards a
/// frequency cap (R19) a moment early, or, if the batch rolls back, once too often.
struct UnindexedState: Sendable {
    /// A receipt (R22) not indexed yet, for R7 and R19.
    struct Receipt: Sendable, Hashable {
        var campaign: String
        var channel: Channel
        var at: Double
    }

    /// An event that may be an exception (R14), not indexed yet.
    struct Exception: Sendable, Hashable {
        var time: Double
        var seq: Int64
    }

    /// A waiting row's by-user key.
    struct WaitingKey: Sendable, Hashable, Comparable {
        var user: String
        var seq: Int64

        static func < (lhs: Self, rhs: Self) -> Bool { (lhs.user, lhs.seq) < (rhs.user, rhs.seq) }
    }

    /// Waiting rows after ``waitingThrough``, by user (their keys).
    private(set) var waiting: [String: [Int64]] = [:]
    /// Rows of `waiting_by_user` whose waiting entry has been deleted since: dropped at
    /// the next bulk. (Lost in a crash, they only cost a failed join until a reader of
    /// that user notices them and queues them again.)
    private(set) var goneWaiting: Set<WaitingKey> = []
    /// Receipts of events after ``eventsThrough``, by user.
    private(set) var receipts: [String: [Receipt]] = [:]
    /// Possible exceptions among the events after ``eventsThrough``, by user.
    private(set) var exceptions: [String: [Exception]] = [:]
    /// The waiting key up to which `waiting_by_user` is complete.
    var waitingThrough: Int64 = 0
    /// The event key up to which receipts and exception events are indexed.
    var eventsThrough: Int64 = 0
    /// Rows held here, and events ingested since ``eventsThrough``: a bulk is due when
    /// either reaches its threshold (the second bounds what a rebuild has to scan).
    private(set) var rowCount = 0
    private(set) var eventCount = 0

    init(waitingThrough: Int64 = 0, eventsThrough: Int64 = 0) {
        self.waitingThrough = waitingThrough
        self.eventsThrough = eventsThrough
    }

    var isEmpty: Bool { rowCount == 0 && eventCount == 0 && goneWaiting.isEmpty }

    func isDue(every threshold: Int) -> Bool {
        rowCount + goneWaiting.count >= threshold || eventCount >= threshold
    }

    mutating func noteEvents(_ count: Int) { eventCount += count }

    mutating func addWaiting(_ seq: Int64, user: String) {
        waiting[user, default: []].append(seq)
        rowCount += 1
    }

    /// A waiting row was deleted; if it was indexed, its by-user row goes at the next bulk.
    mutating func removeWaiting(_ seq: Int64, user: String) {
        if seq <= waitingThrough {
            goneWaiting.insert(WaitingKey(user: user, seq: seq))
        } else if let index = waiting[user]?.firstIndex(of: seq) {
            waiting[user]?.remove(at: index)
            rowCount -= 1
        }
    }

    /// A by-user row found without its waiting entry (a crash lost the note).
    mutating func noteStaleWaiting(_ seq: Int64, user: String) {
        goneWaiting.insert(WaitingKey(user: user, seq: seq))
    }

    mutating func addReceipt(_ receipt: Receipt, user: String) {
        receipts[user, default: []].append(receipt)
        rowCount += 1
    }

    mutating func addException(_ exception: Exception, user: String) {
        exceptions[user, default: []].append(exception)
        rowCount += 1
    }

    /// Replaces what is held for `user` (rebuilt from the database after one of the
    /// user's events failed and was rolled back).
    mutating func replace(user: String, waiting seqs: [Int64], receipts userReceipts: [Receipt], exceptions userExceptions: [Exception]) {
        rowCount -= (waiting[user]?.count ?? 0) + (receipts[user]?.count ?? 0) + (exceptions[user]?.count ?? 0)
        waiting[user] = seqs.isEmpty ? nil : seqs
        receipts[user] = userReceipts.isEmpty ? nil : userReceipts
        exceptions[user] = userExceptions.isEmpty ? nil : userExceptions
        rowCount += seqs.count + userReceipts.count + userExceptions.count
    }

    /// Sets the number of events since ``eventsThrough`` (after a full rebuild).
    mutating func setEventCount(_ count: Int) { eventCount = count }
}
