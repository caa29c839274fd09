import ArgumentParser
import ConnectorCore
import ConnectorStore
import Foundation

/// `connector import-users --database FILE [USERS.jsonl]`: users as JSON Lines (see
/// ``UserJSON``) into a store, in one transaction; a malformed line is reported with its
/// number and field, the others are imported, and the exit status is 1.
struct ImportUsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-users",
        abstract: "Import users (JSON Lines: id, attributes, time_zone, addresses, subscriptions) into a SQLite store."
    )

    @Option(help: "The SQLite database file (created if missing), or a postgres:// URL.")
    var database: String

    @Argument(help: "The JSON Lines file; standard input when missing or '-'.")
    var file: String?

    func run() async throws {
        var latest: [UserID: (line: Int, user: User)] = [:]
        var malformed = 0
        for line in try JSONLinesInput.lines(of: file) {
            do {
                let user = try UserJSON.user(json: line.text())
                // A user given twice is imported once, as the later line says.
                if let earlier = latest[user.id] {
                    FileHandle.standardError.write(Data("line \(line.number): user \(user.id) repeats line \(earlier.line); the later line wins\n".utf8))
                }
                latest[user.id] = (line.number, user)
            } catch {
                malformed += 1
                JSONLinesInput.reject(line.number, error)
            }
        }
        let users = latest.values.sorted { $0.line < $1.line }.map(\.user)
        try await openStore(database).save(users)
        print("\(users.count) users imported, \(malformed) malformed")
        if malformed > 0 { throw ExitCode(1) }
    }
}
