import ArgumentParser
import ConnectorCore
import ConnectorStore
import Foundation

/// `connector ingest --database FILE [EVENTS.jsonl]`: events as JSON Lines (a file or
/// standard input) through the engine into a store. A malformed line is reported with its
/// number and field and the other lines are ingested; the exit status is 1 if any line or
/// event was rejected.
struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Ingest events (JSON Lines, see EventJSON) through the engine into a SQLite store."
    )

    @Option(help: "The SQLite database file (created if missing), or a postgres:// URL.")
    var database: String

    @Option(help: "A folder of campaign files to save into the store first.")
    var campaigns: String?

    @Option(help: "Events per transaction.")
    var batch = 1000

    @Option(help: "The processing time for delays (ISO 8601); default: now.")
    var now: String?

    @Argument(help: "The JSON Lines file; standard input when missing or '-'.")
    var file: String?

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    func run() async throws {
        let processingTime = try CommandLineTime.parse(now, option: "--now")
        let lines = try JSONLinesInput.lines(of: file)
        let store = try await openStore(database)
        if let campaigns {
            let (definitions, errors) = CampaignFileReader.campaigns(inFolder: URL(fileURLWithPath: campaigns))
            guard errors.isEmpty else { throw ValidationError("campaign files with errors:\n" + errors.map(\.description).joined(separator: "\n")) }
            let known = Dictionary(uniqueKeysWithValues: try await store.campaigns().map { ($0.id, $0) })
            for campaign in definitions {
                try await store.save(campaign)  // keeps a stored campaign's status history
                if let stored = known[campaign.id] {
                    if !campaign.history.changes.isEmpty, campaign.history.current != stored.history.current {
                        FileHandle.standardError.write(Data("\(campaign.id): the file says \(campaign.history.current.rawValue), the store has it \(stored.history.current.rawValue); the store's status stays (change it with `connector set-status`)\n".utf8))
                    }
                    continue
                }
                // A new campaign whose file gives its status: each change goes through the
                // lifecycle checks, as `set-status` would.
                for change in campaign.history.changes {
                    do {
                        _ = try await store.changeStatus(of: campaign.id, to: change.status, at: change.at)
                    } catch {
                        throw ValidationError("\(campaign.id): \(error)")
                    }
                }
            }
            let drafts = try await store.campaigns().filter { $0.history.current == .draft }.map(\.id.rawValue)
            if !drafts.isEmpty {
                FileHandle.standardError.write(Data("drafts (they trigger nothing until published with `connector set-status`): \(drafts.joined(separator: ", "))\n".utf8))
            }
        }
        var malformed = 0, total = IngestReport()
        var pending: [Event] = []
        func flush() async throws {
            guard !pending.isEmpty else { return }
            let report = try await store.ingest(pending, now: processingTime)
            for failure in report.failures { FileHandle.standardError.write(Data("\(failure)\n".utf8)) }
            total.accepted += report.accepted
            total.duplicates += report.duplicates
            total.failures += report.failures
            total.decisions += report.decisions
            pending = []
        }
        for line in lines {
            do {
                pending.append(try EventJSON.event(json: line.text()))
            } catch {
                malformed += 1
                JSONLinesInput.reject(line.number, error)
            }
            if pending.count >= batch { try await flush() }
        }
        try await flush()
        print("\(total.accepted) accepted, \(total.duplicates.count) duplicate, \(malformed) malformed, \(total.failures.count) failed; \(total.decisions.count) decisions")
        if malformed + total.failures.count > 0 { throw ExitCode(1) }
    }
}
