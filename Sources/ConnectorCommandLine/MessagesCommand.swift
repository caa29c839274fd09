import ArgumentParser
import ConnectorCore
import ConnectorStore
import Foundation

/// `connector messages --database FILE [--user U] [--channel C]`: the rendered messages
/// the store kept (the sandbox's captures, in-app messages and content cards).
struct MessagesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "messages",
        abstract: "Show rendered messages kept in the store (sandbox captures, in-app and content card feeds), newest first."
    )

    @Option(help: "The SQLite database file, or a postgres:// URL.")
    var database: String

    @Option(help: "Only this user's messages.")
    var user: String?

    @Option(help: "Only this channel (\(Channel.builtIn.map(\.rawValue).joined(separator: ", "))).")
    var channel: String?

    @Option(help: "At most this many.")
    var limit = 20

    func run() async throws {
        try requireDatabase(database)
        var only: Channel?
        if let channel {
            guard let parsed = Channel(rawValue: channel) else {
                throw ValidationError("--channel: '\(channel)' is not one of \(Channel.builtIn.map(\.rawValue).joined(separator: ", "))")
            }
            only = parsed
        }
        let store = try await openStore(database)
        let kept = try await store.keptMessages(KeptMessageFilter(user: user.map { UserID($0) }, channel: only, limit: max(0, limit)))
        for message in kept {
            print("\(message.at.ISO8601Format())  \(message.dispatchID)  \(message.campaign.rawValue) -> \(message.userID.rawValue) on \(message.channel.rawValue) via \(message.provider)")
            print("  " + String(decoding: message.json, as: UTF8.self))
        }
        print("\(kept.count) message\(kept.count == 1 ? "" : "s")")
    }
}
