import ArgumentParser
import ConnectorCore
import ConnectorStore
import Foundation

/// `connector outbox --database FILE [--state S] [--campaign C] [--user U]`: dispatches
/// and where each is on its way to the provider.
struct OutboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "List dispatches in the outbox (oldest first), by state, follow-up or user."
    )

    @Option(help: "The SQLite database file, or a postgres:// URL.")
    var database: String

    @Option(help: "Only dispatches in these states (comma-separated: \(DispatchState.allCases.map(\.rawValue).joined(separator: ", "))).")
    var state: String?

    @Option(help: "Only this follow-up's dispatches.")
    var campaign: String?

    @Option(help: "Only this user's dispatches.")
    var user: String?

    @Option(help: "At most this many.")
    var limit = 100

    func run() async throws {
        try requireDatabase(database)
        var states: Set<DispatchState>?
        if let state {
            states = []
            for name in state.split(separator: ",") {
                guard let parsed = DispatchState(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                    throw ValidationError("--state: '\(name)' is not one of \(DispatchState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                states?.insert(parsed)
            }
        }
        let store = try await openStore(database)
        let items = try await store.outbox(OutboxFilter(states: states, followUp: campaign.map { CampaignID($0) }, user: user.map { UserID($0) },
                                                  limit: max(0, limit)))
        for item in items {
            let dispatch = item.dispatch
            var line = "\(dispatch.createdAt.ISO8601Format())  \(dispatch.id)  \(item.state.rawValue)  \(dispatch.followUp.rawValue) v\(dispatch.campaignVersion) -> \(dispatch.userID.rawValue) on \(dispatch.channel.rawValue)"
            if item.attempts > 0 { line += ", \(item.attempts) attempt(s)" }
            if let next = item.nextAttemptAt { line += ", next at \(next.ISO8601Format())" }
            if let id = item.providerMessageID { line += ", provider id \(id)" }
            if let reason = item.reason { line += ": \(reason.text) [\(reason.code)]" }
            print(line)
        }
        print("\(items.count) dispatch\(items.count == 1 ? "" : "es")")
    }
}
