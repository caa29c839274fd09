import ConnectorPostgres
import ConnectorStore
import ArgumentParser
import Foundation
import Logging

extension SQLiteStore {
    /// The store a command opens, logging to standard error.
    static func forCommand(path: String, stateIndexEvery: Int = 65_536) throws -> SQLiteStore {
        try SQLiteStore(path: path, stateIndexEvery: stateIndexEvery, logger: Logger(label: "connector.store"))
    }
}

/// The store `--database` names: a `postgres://` URL (several instances can share it) or
/// a SQLite file (the embedded default).
func openStore(_ database: String) async throws -> any Store {
    if isPostgresURL(database) {
        return try await PostgresStore.open(url: database, logger: Logger(label: "connector.store"))
    }
    return try SQLiteStore.forCommand(path: database)
}

func isPostgresURL(_ database: String) -> Bool { database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") }

/// Commands that read a store refuse a SQLite file that does not exist (a typo would
/// otherwise create an empty one).
func requireDatabase(_ database: String) throws {
    if !isPostgresURL(database), !FileManager.default.fileExists(atPath: database) {
        throw ValidationError("no database at \(database)")
    }
}
