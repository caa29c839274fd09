import ConnectorCore
import ConnectorStore
import Foundation
import Logging
import PostgresNIO
import Synchronization

/// The store on PostgreSQL, for several `connector` instances on one database.
///
/// Uniqueness lives in constraints (event ids, one waiting entry per user and follow-up,
/// dispatch ids), never in process memory; work on one user is serialised with a
/// transaction-scoped advisory lock keyed by the user, so R6, R7, R14 and the caps of R19
/// hold when two instances handle the same user at once; due entries and dispatches are
/// claimed with `FOR UPDATE SKIP LOCKED` and a lease, so an instance that dies leaves its
/// work to the others once the lease lapses.
///
/// ```swift
/// let store = try await PostgresStore.open(url: "postgres://connector@db.internal:5432/connector")
/// defer { Task { await store.close() } }
/// ```
public final class PostgresStore: Store, Sendable {
    /// A `postgres://` URL that cannot be used.
    public struct InvalidURL: Error, CustomStringConvertible {
        public let description: String
    }

    /// What the database held that this store cannot read.
    public struct Corruption: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    let client: PostgresClient
    let logger: Logger
    private let runner: Task<Void, Never>
    /// The engine and planner of the stored campaigns and settings, with the generation
    /// they were read at; reloaded when another instance (or this one) moved it.
    let decider = Mutex<(generation: Int64, value: Decider)?>(nil)

    /// The engine, planner and settings decisions are made with.
    struct Decider: Sendable {
        var engine: ConnectorEngine
        var planner: SendPlanner
        var settings: WorkspaceSettings
    }

    private init(client: PostgresClient, logger: Logger) {
        self.client = client
        // The driver's per-query log: errors only, unless the caller asked for debugging
        // (it warns when the first lease comes before run() is scheduled, which it waits out).
        var queries = logger
        if queries.logLevel > .debug { queries.logLevel = .error }
        self.logger = queries
        runner = Task { await client.run() }
    }

    /// Connects to `url` (`postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]`)
    /// with a pool of at most `maximumConnections`, and applies the migrations.
    public static func open(url: String, maximumConnections: Int = 10, logger: Logger = Logger(label: "store.postgres")) async throws -> PostgresStore {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty else {
            throw InvalidURL(description: "expected postgres://user@host:port/database")
        }
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? (["127.0.0.1", "localhost", "::1"].contains(host) ? "disable" : "prefer")
        let tls: PostgresClient.Configuration.TLS
        switch mode {
        case "disable": tls = .disable
        case "prefer": tls = .prefer(.makeClientConfiguration())
        case "require": tls = .require(.makeClientConfiguration())
        default: throw InvalidURL(description: "sslmode '\(mode)' is not one of disable, prefer, require")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        var configuration = PostgresClient.Configuration(
            host: host, port: components.port ?? 5432, username: components.user ?? "postgres", password: components.password,
            database: database.isEmpty ? nil : database, tls: tls)
        configuration.options.maximumConnections = max(1, maximumConnections)
        // The pool's own log: errors only (it warns when a lease comes before run() is
        // scheduled, which it waits out).
        var background = logger
        background.logLevel = .error
        let store = PostgresStore(client: PostgresClient(configuration: configuration, backgroundLogger: background), logger: logger)
        do {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    deinit { runner.cancel() }

    /// Creates database `name` on the server of `serverURL` (a database there to connect
    /// to, such as `postgres`), for a new installation or a test.
    public static func createDatabase(_ name: String, serverURL: String, logger: Logger = Logger(label: "store.postgres")) async throws {
        guard name.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 95 }), !name.isEmpty else {
            throw InvalidURL(description: "database names here are lowercase letters, digits and _")
        }
        guard let components = URLComponents(string: serverURL), let host = components.host else {
            throw InvalidURL(description: "expected postgres://user@host:port/database")
        }
        let database = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        let configuration = PostgresClient.Configuration(host: host, port: components.port ?? 5432, username: components.user ?? "postgres",
                                                         password: components.password, database: database.isEmpty ? nil : database, tls: .disable)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
    }

    /// Closes the pool's connections.
    public func close() async {
        runner.cancel()
        _ = await runner.value
    }

    /// Applies the migrations not applied yet, under an advisory lock.
    func migrate() async throws {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(PostgresSchema.migrationLock))", logger: logger)
            do {
                try await connection.query("CREATE TABLE IF NOT EXISTS schema_migration (name TEXT PRIMARY KEY)", logger: logger)
                var applied: Set<String> = []
                for try await name in try await connection.query("SELECT name FROM schema_migration", logger: logger).decode(String.self) {
                    applied.insert(name)
                }
                for (name, sql) in PostgresSchema.migrations where !applied.contains(name) {
                    try await connection.withTransaction(logger: logger) { transaction in
                        for statement in sql.split(separator: ";").map({ $0.trimmingCharacters(in: .whitespacesAndNewlines) }) where !statement.isEmpty {
                            try await transaction.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await transaction.query("INSERT INTO schema_migration (name) VALUES (\(name))", logger: logger)
                    }
                }
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLock))", logger: logger)
                throw error
            }
            try await connection.query("SELECT pg_advisory_unlock(\(PostgresSchema.migrationLock))", logger: logger)
        }
    }

    /// Runs `body` in a transaction.
    /// Runs `body` in a transaction; what `body` threw is what the caller sees (the
    /// driver's wrapper, which also reports the rollback, is taken off).
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch let error as PostgresTransactionError {
            throw error.closureError ?? error.commitError ?? error.beginError ?? error
        }
    }

    /// The decider for the stored campaigns and settings, reloaded if their generation moved.
    func currentDecider(_ connection: PostgresConnection) async throws -> Decider {
        var generation: Int64 = 0
        for try await value in try await connection.query("SELECT value FROM decisions_generation WHERE id = 1", logger: logger).decode(Int64.self) {
            generation = value
        }
        if let cached = decider.withLock({ $0 }), cached.generation == generation { return cached.value }
        let settings = try await readSettings(connection)
        let zone = settings.zone
        let fresh = Decider(engine: ConnectorEngine(campaigns: try await readCampaigns(connection), workspaceTimeZone: zone),
                            planner: SendPlanner(workspaceTimeZone: zone, frequencyCaps: settings.frequencyCaps), settings: settings)
        decider.withLock { $0 = (generation, fresh) }
        return fresh
    }

    /// Locks `users` for the rest of the transaction, in a fixed order (no deadlock between
    /// two transactions locking overlapping sets).
    func lock(users: some Sequence<UserID>, _ connection: PostgresConnection) async throws {
        let sorted = Set(users).map(\.rawValue).sorted()
        guard !sorted.isEmpty else { return }
        // One statement: the locks are taken in the array's (sorted) order.
        try await connection.query("""
            SELECT pg_advisory_xact_lock(hashtextextended(user_id, 7)) FROM unnest(\(sorted)::text[]) WITH ORDINALITY AS locked(user_id, position)
            ORDER BY position
            """, logger: logger)
    }

    static func json<T: Encodable>(_ value: T) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
    static func decode<T: Decodable>(_ type: T.Type, _ text: String) throws -> T { try JSONDecoder().decode(type, from: Data(text.utf8)) }
}

/// The connector's channel (NIO has a `Channel` too).
typealias Channel = ConnectorCore.Channel
