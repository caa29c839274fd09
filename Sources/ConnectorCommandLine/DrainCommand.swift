import ArgumentParser
import ConnectorCore
import ConnectorStore
import CurlTransport
import Delivery
import Foundation

/// `connector drain --database FILE [--providers FILE]`: delivers every dispatch ready in
/// the outbox once (render, send, record), as the service's dispatcher does continuously.
struct DrainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drain",
        abstract: "Deliver every dispatch ready in the outbox once: render, send through the configured providers, record.",
        discussion: """
            Without --providers every channel goes to the sandbox, which keeps the rendered \
            message in the store (`connector messages` shows them). A provider configuration \
            names providers per channel (smtp, webhook, sandbox, feed, or a declarative provider \
            file's name); see docs/PROVIDERS.md. Retries due later stay in the outbox for a \
            later drain.
            """
    )

    @Option(help: "The SQLite database file, or a postgres:// URL.")
    var database: String

    @Option(help: "The provider configuration (YAML); default: everything to the sandbox.")
    var providers: String?

    @Option(help: "A folder of declarative provider files (repeatable); Templates/providers is read when it exists.")
    var providerFiles: [String] = []

    @Option(help: "The dispatcher's time (ISO 8601 or Unix seconds); default: now.")
    var at: String?

    @Option(help: "Seconds a claim lasts; a dispatch whose worker died is claimed again after it.")
    var lease: Double = 60

    @Option(help: "Sends in flight at once.")
    var concurrency = 16

    func validate() throws {
        guard lease > 0, concurrency > 0 else { throw ValidationError("--lease and --concurrency must be positive") }
    }

    func run() async throws {
        try requireDatabase(database)
        let fixed = try at.map { try CommandLineTime.parse($0, option: "--at") }
        var folders = providerFiles.map { URL(fileURLWithPath: $0) }
        let shipped = URL(fileURLWithPath: "Templates/providers")
        if FileManager.default.fileExists(atPath: shipped.path) { folders.append(shipped) }
        var delivery = DeliveryConfiguration()
        if let providers {
            do {
                delivery = try DeliveryConfiguration.load(contentsOf: URL(fileURLWithPath: providers), providerFiles: folders,
                                                          providerKinds: ConnectorExtensions.current.providerKinds)
            } catch {
                throw ValidationError("\(error)")
            }
        }
        let store = try await openStore(database)
        let client = CurlClient()
        let dispatcher = Dispatcher(
            store: store, routes: delivery.routes, adapters: ConnectorExtensions.current.adapters, client: client, tracking: delivery.tracking,
            configuration: Dispatcher.Configuration(worker: .unique("drain"), lease: lease, concurrency: concurrency, retry: delivery.retry),
            now: { fixed ?? Date() })
        let report: Dispatcher.Report
        do {
            report = try await dispatcher.drain()
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        for item in report.delivered {
            let dispatch = item.dispatch
            var line = "\(dispatch.id)  \(dispatch.followUp.rawValue) -> \(dispatch.userID.rawValue) on \(dispatch.channel.rawValue): \(item.outcome.state.rawValue)"
            switch item.outcome {
            case .sent(let id): if let id { line += " (provider id \(id))" }
            case .retry(let at, let reason): line += " at \(at.ISO8601Format()): \(reason.text)"
            case .dead(let reason), .badAddress(let reason), .aborted(let reason), .possiblySent(let reason): line += ": \(reason.text) [\(reason.code)]"
            }
            print(line)
        }
        let summary = report.counts.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
        print("\(report.total) dispatch\(report.total == 1 ? "" : "es") delivered" + (summary.isEmpty ? "" : ": \(summary)"))
    }
}
