import Synchronization

/// The store's notes of unindexed state: the live ones, which the writer adds to, and
/// the frozen ones, which the index thread is indexing (or has indexed).
///
/// A bulk runs beside the writer (``StateIndexFile``): the writer freezes the live notes
/// and starts new ones, the index thread writes the frozen ones to the index file, and
/// they are dropped only when the next writer starts its transaction, under the store's
/// write lock. So a transaction whose view of the index file predates the bulk's commit
/// still has the frozen notes, and one that starts after the drop sees the commit.
/// Readers outside the writer read the notes before their first statement, for the same
/// reason.
struct UnindexedNotes: Sendable {
    /// What the writer notes now: rows after its `...Through` keys.
    var live: UnindexedState
    /// Handed to the index thread: rows after its own keys, up to the live ones'.
    var frozen: UnindexedState?
    /// The frozen notes' bulk has committed: the next writer drops them.
    var frozenIndexed = false
    /// A bulk of the frozen notes is queued or running.
    var bulkRunning = false
    /// The live notes' pile-up has been logged (once until the next freeze).
    var pileUpReported = false

    init(_ live: UnindexedState = UnindexedState()) {
        self.live = live
    }

    /// A user's unindexed waiting keys, frozen and live.
    func waiting(of user: String) -> [Int64] {
        guard let frozen = frozen?.waiting[user] else { return live.waiting[user] ?? [] }
        return frozen + (live.waiting[user] ?? [])
    }

    /// A user's unindexed receipts, frozen and live.
    func receipts(of user: String) -> [UnindexedState.Receipt] {
        guard let frozen = frozen?.receipts[user] else { return live.receipts[user] ?? [] }
        return frozen + (live.receipts[user] ?? [])
    }

    /// A user's unindexed possible exceptions, frozen and live.
    func exceptions(of user: String) -> [UnindexedState.Exception] {
        guard let frozen = frozen?.exceptions[user] else { return live.exceptions[user] ?? [] }
        return frozen + (live.exceptions[user] ?? [])
    }
}

/// The store's ``UnindexedNotes``, shared by the writer (which changes them), the index
/// thread and readers.
final class UnindexedBox: Sendable {
    let mutex: Mutex<UnindexedNotes>

    init(_ notes: UnindexedNotes = UnindexedNotes()) {
        mutex = Mutex(notes)
    }
}
