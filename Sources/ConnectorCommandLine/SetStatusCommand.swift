import ArgumentParser
import ConnectorCore
import ConnectorStore
import Foundation

/// `connector set-status --database FILE ID STATUS`: publish, stop, resume or archive a
/// stored campaign, checked against the others (``CampaignLifecycle``).
struct SetStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set-status",
        abstract: "Publish (active), stop, resume (active) or archive a campaign in a store; errors refuse, warnings are printed."
    )

    @Option(help: "The SQLite database file, or a postgres:// URL.")
    var database: String

    @Option(help: "When the change takes effect (ISO 8601); default: now.")
    var at: String?

    @Argument(help: "The campaign id.")
    var campaign: String

    @Argument(help: "active, stopped or archived.")
    var status: String

    func run() async throws {
        guard let target = CampaignStatus(rawValue: status), target != .draft else {
            throw ValidationError("'\(status)' is not a status to change to: use active, stopped or archived")
        }
        let time = try CommandLineTime.parse(at, option: "--at")
        try requireDatabase(database)
        let store = try await openStore(database)
        do {
            let change = try await store.changeStatus(of: CampaignID(campaign), to: target, at: time)
            for warning in change.warnings { print(warning) }
            print("\(campaign) is \(target.rawValue) from \(time.ISO8601Format()) (version \(change.campaign.version))")
        } catch let refusal as CampaignLifecycle.Refusal {
            FileHandle.standardError.write(Data("\(refusal)\n".utf8))
            throw ExitCode(1)
        }
    }
}
