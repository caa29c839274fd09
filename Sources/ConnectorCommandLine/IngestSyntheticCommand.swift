import ArgumentParser
import ConnectorCore
import ConnectorStore
import Foundation

/// `connector ingest-synthetic`: feeds generated events through the engine into a store.
/// For load tests and the crash-safety test (which kills it mid-batch).
struct IngestSyntheticCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest-synthetic",
        abstract: "Ingest generated events (push opens that trigger a follow-up) into a SQLite store.",
        shouldDisplay: false
    )

    @Option(help: "The SQLite database file.")
    var database: String

    @Option(help: "How many events.")
    var events = 100_000

    @Option(help: "Events per transaction.")
    var batch = 1000

    @Option(help: "Notes gathered before a bulk index by user (the store's default: 65,536).")
    var stateIndexEvery = 65_536

    func run() throws {
        let store = try SQLiteStore.forCommand(path: database, stateIndexEvery: stateIndexEvery)
        let start = Date(timeIntervalSince1970: 1_772_445_600)
        let history = StatusHistory([StatusChange(.active, at: start.addingTimeInterval(-86_400))])
        let campaigns = [
            Campaign(id: "T", history: history),
            Campaign(id: "F", history: history, trigger: Trigger(kind: .pushOpened, target: "T"),
                     delay: .relative(seconds: 86_400), reEligibility: .after(seconds: 0)),
        ]
        for campaign in campaigns { try store.save(campaign) }
        let engine = ConnectorEngine(campaigns: campaigns, workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        var committed = 0
        while committed < events {
            let count = min(batch, events - committed)
            let batchEvents = (0..<count).map { offset in
                let index = committed + offset
                return Event(id: EventID("synthetic-\(index)"), userID: UserID("user-\(index)"), time: start.addingTimeInterval(Double(index)),
                             payload: .interaction(Interaction(kind: .pushOpened, campaign: "T")))
            }
            print("writing \(committed + count)")  // the crash test kills the process on this line
            fflush(nil)
            let report = try store.ingest(batchEvents, engine: engine, now: start.addingTimeInterval(Double(committed + count)))
            guard report.failures.isEmpty else { throw ValidationError("ingestion failed: \(report.failures[0])") }
            committed += count
            print("committed \(committed)")
            fflush(nil)
        }
    }
}
