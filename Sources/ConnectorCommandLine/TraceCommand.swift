import ArgumentParser
import ConnectorCore
import ConnectorStore
import Foundation

/// `connector trace --database FILE USER`: a user's decision trace, waiting entries and
/// dispatches, from a store's database (for "why did / didn't they get it?").
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace",
        abstract: "Show a user's decision trace and waiting entries from a store's database."
    )

    @Option(help: "The SQLite database file, or a postgres:// URL.")
    var database: String

    @Argument(help: "The user id.")
    var user: String

    func run() async throws {
        try requireDatabase(database)
        let store = try await openStore(database)
        let id = UserID(user)
        let trace = try await store.trace(for: id)
        let waiting = try await store.waitingEntries(for: id)
        if trace.isEmpty && waiting.isEmpty { print("no decisions recorded for user \(user)") }
        for record in trace {
            print("\(record.time.ISO8601Format())  \(record.campaign.rawValue)  \(record.action.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0))  \(record.reason.text) [\(record.reason.code)]")
        }
        for entry in waiting {
            print("waiting for \(entry.followUp.rawValue) (version \(entry.campaignVersion)) until \(entry.dueAt.ISO8601Format()), triggered by event \(entry.triggerEventID.rawValue)")
        }
    }
}
