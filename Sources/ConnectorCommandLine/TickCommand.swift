import ArgumentParser
import ConnectorCore
import ConnectorStore
import Foundation

/// `connector tick --database FILE [--at T]`: runs the scheduler once over everything due,
/// as the service's scheduler loop does on each tick, and prints what each entry became.
struct TickCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tick",
        abstract: "Run the scheduler once: claim and settle the waiting entries due at a time (dispatches go to the outbox)."
    )

    @Option(help: "The SQLite database file, or a postgres:// URL.")
    var database: String

    @Option(help: "The scheduler's time (ISO 8601 or Unix seconds); default: now.")
    var at: String?

    @Option(help: "Entries per claim.")
    var batch = 1000

    @Option(help: "Seconds a claim lasts; entries of a scheduler that died are claimed again after it.")
    var lease: Double = 60

    /// A failover drill: claim what is due, print how many, and hold the claims without
    /// settling until killed, as a scheduler that dies mid-batch would.
    @Flag(help: .hidden)
    var claimAndHold = false

    func validate() throws {
        guard batch > 0 else { throw ValidationError("--batch must be positive") }
    }

    func run() async throws {
        try requireDatabase(database)
        let now = try CommandLineTime.parse(at, option: "--at")
        let store = try await openStore(database)
        if claimAndHold {
            let claimed = try await store.claimDue(at: now, worker: .unique("tick-hold"), lease: lease, limit: batch)
            FileHandle.standardOutput.write(Data("claimed \(claimed.count), holding\n".utf8))
            while true { try await Task.sleep(for: .seconds(3600)) }
        }
        let scheduler = Scheduler(store: store, worker: .unique("tick"), lease: lease)
        let settled = try await scheduler.runAllDue(at: now, batch: batch)
        var counts: [String: Int] = [:]
        for settlement in settled {
            let entry = settlement.entry
            let line: String
            switch settlement.result {
            case .notHeld: line = "not held (cancelled or settled elsewhere)"
            case .settled(.send(let dispatches, _)): line = "dispatched on " + dispatches.map(\.channel.rawValue).joined(separator: ", ")
            case .settled(.control): line = "control group"
            case .settled(.hold(let until, let reason)): line = "held until \(until.ISO8601Format()): \(reason.text)"
            case .settled(.skip(let reason)): line = "skipped: \(reason.text) [\(reason.code)]"
            }
            counts[line.prefix { $0 != " " && $0 != ":" }.description, default: 0] += 1
            print("\(entry.userID.rawValue)  \(entry.followUp.rawValue)  \(line)")
        }
        let summary = counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")
        print("\(settled.count) due at \(now.ISO8601Format())" + (summary.isEmpty ? "" : ": \(summary)"))
    }
}
