import ArgumentParser
import ConnectorCore
import ConnectorStore
import Foundation

/// `connector waiting --database FILE [--campaign C] [--user U] [--due-by T]`: waiting
/// entries across users, earliest due first.
struct WaitingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "waiting",
        abstract: "List waiting entries across users (earliest due first), by follow-up, user or due time."
    )

    @Option(help: "The SQLite database file, or a postgres:// URL.")
    var database: String

    @Option(help: "Only this follow-up's entries.")
    var campaign: String?

    @Option(help: "Only this user's entries.")
    var user: String?

    @Option(name: .customLong("due-by"), help: "Only entries due at or before this time (ISO 8601 or Unix seconds).")
    var dueBy: String?

    @Option(help: "At most this many.")
    var limit = 100

    func run() async throws {
        try requireDatabase(database)
        let due = try dueBy.map { try CommandLineTime.parse($0, option: "--due-by") }
        let store = try await openStore(database)
        let entries = try await store.waitingEntries(WaitingFilter(followUp: campaign.map { CampaignID($0) }, user: user.map { UserID($0) },
                                                              dueBy: due, limit: max(0, limit)))
        for entry in entries {
            let held = entry.firstDueAt != entry.dueAt ? " (first due \(entry.firstDueAt.ISO8601Format()))" : ""
            print("\(entry.dueAt.ISO8601Format())  \(entry.followUp.rawValue)  \(entry.userID.rawValue)  version \(entry.campaignVersion), triggered by \(entry.triggerEventID.rawValue) at \(entry.triggerTime.ISO8601Format())\(held)")
        }
        print("\(entries.count) waiting entr\(entries.count == 1 ? "y" : "ies")")
    }
}
