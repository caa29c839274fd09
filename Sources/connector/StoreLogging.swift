import ConnectorStore
import Logging

extension SQLiteStore {
    /// Opens the store at `path` for a command, with the store's warnings (a failed
    /// background bulk, notes piling up) on standard error through swift-log.
    static func forCommand(path: String, stateIndexEvery: Int = 65_536) throws -> SQLiteStore {
        try SQLiteStore(path: path, stateIndexEvery: stateIndexEvery, logger: Logger(label: "connector.store"))
    }
}
