import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Moves WAL checkpoints off the writing thread.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold: the
/// writer stops ingesting while pages are copied from the WAL into the database file and
/// both are synced. Here the writer's WAL hook (called after each commit with the WAL's
/// size in pages) only signals a second connection, on its own queue, to run a PASSIVE
/// checkpoint, which never blocks the writer. If the WAL still reaches ``hardLimit``
/// pages (the checkpointer is starved, or the writer never paused long enough for the
/// WAL to restart from its beginning), the commit checkpoints inline as SQLite would.
/// Commits no longer stall for a checkpoint (docs/PERFORMANCE.md has the figures). A
/// failed background checkpoint is harmless: the WAL keeps the data, the next commit
/// tries again, the hard limit bounds the WAL.
final class BackgroundCheckpointer: Sendable {
    /// WAL size (pages) at which a background checkpoint starts.
    let threshold: Int32
    /// WAL size (pages) at which the writer checkpoints itself.
    let hardLimit: Int32
    private let connection: DatabaseQueue
    private let queue = DispatchQueue(label: "connector.store.checkpoint")
    private let running = Atomic<Bool>(false)

    init(path: String, threshold: Int32, hardLimit: Int32) throws {
        connection = try DatabaseQueue(path: path)
        self.threshold = threshold
        self.hardLimit = hardLimit
    }

    /// Installs the hook on the writer connection (replacing automatic checkpoints there).
    /// The owner calls ``uninstall(from:)`` before releasing `self`: the hook holds an
    /// unretained pointer to it.
    func install(on db: Database) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sqlite3_wal_hook(db.sqliteConnection, { context, connection, _, frames in
            guard let context else { return SQLITE_OK }
            let checkpointer = Unmanaged<BackgroundCheckpointer>.fromOpaque(context).takeUnretainedValue()
            if frames >= checkpointer.hardLimit {
                sqlite3_wal_checkpoint_v2(connection, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
            } else if frames >= checkpointer.threshold {
                checkpointer.start()
            }
            return SQLITE_OK
        }, context)
    }

    func uninstall(from db: Database) {
        sqlite3_wal_hook(db.sqliteConnection, nil, nil)
    }

    private func start() {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return }
        queue.async { [self] in
            _ = try? connection.writeWithoutTransaction { try $0.checkpoint(.passive) }
            running.store(false, ordering: .releasing)
        }
    }

    /// Waits until no background checkpoint is running.
    func drain() { queue.sync {} }
}
