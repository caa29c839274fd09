import ConnectorCore
import ConnectorStore
import CurlTransport
import Delivery
import Foundation

/// The engine part of `connector demo`: campaigns as code from a folder, published into
/// the embedded SQLite store, a morning of events on a virtual clock, the scheduler run
/// as the clock moves, and each user's decision trace.
struct FollowUpDemo {
    var campaignFolder: URL
    /// The database file; nil for a temporary one, removed at the end.
    var databasePath: String?

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    func run() async throws {
        guard FileManager.default.fileExists(atPath: campaignFolder.path) else {
            throw Failure(description: "no campaign folder at \(campaignFolder.path): run the demo from the repository root or pass --campaigns DIR")
        }
        let (definitions, errors) = CampaignFileReader.campaigns(inFolder: campaignFolder)
        guard errors.isEmpty else {
            throw Failure(description: "campaign files with errors:\n" + errors.map { "  \($0)" }.joined(separator: "\n"))
        }
        let temporary = FileManager.default.temporaryDirectory.appendingPathComponent("connector-demo-\(UUID().uuidString)")
        let path = databasePath ?? temporary.appendingPathComponent("connector.sqlite").path
        if databasePath == nil { try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true) }
        defer { if databasePath == nil { try? FileManager.default.removeItem(at: temporary) } }

        let store = try SQLiteStore.forCommand(path: path)
        let monday = Date(timeIntervalSince1970: 1_772_442_000)  // 2026-03-02T09:00:00Z
        print("Follow-ups: \(definitions.count) campaigns from \(campaignFolder.path), store \(databasePath ?? "(temporary) " + path)")
        for campaign in definitions where try store.campaigns().first(where: { $0.id == campaign.id }) == nil {
            try store.save(campaign)
        }
        // The original first, to show the R26 warning; then the rest, follow-ups before originals.
        for id: CampaignID in ["cart-abandoned", "cart-reminder", "fifteen-off", "free-shipping"]
        where try store.campaigns().first(where: { $0.id == id })?.history.current == .draft {
            let change = try store.changeStatus(of: id, to: .active, at: monday.addingTimeInterval(-86_400))
            print("  published \(id)" + change.warnings.map { "\n    \($0)" }.joined())
        }

        let users = [User(id: "ada", timeZone: "Europe/Berlin", addresses: [.push: "fcm-token-ada"]),
                     User(id: "bob", timeZone: "America/New_York", addresses: [.push: "fcm-token-bob"]),
                     User(id: "cy", timeZone: "Asia/Tokyo", addresses: [.push: "apns-token-cy"]),
                     User(id: "dee", timeZone: "Europe/Paris")]
        for user in users { try store.save(user) }

        func event(_ id: String, _ user: UserID, minutes: Double, _ payload: Event.Payload) -> Event {
            Event(id: EventID(id), userID: user, time: monday.addingTimeInterval(minutes * 60), payload: payload)
        }
        func push(_ kind: InteractionKind, _ campaign: CampaignID) -> Event.Payload {
            .interaction(Interaction(kind: kind, campaign: campaign))
        }
        let opened = event("ev-4", "ada", minutes: 5, push(.pushOpened, "free-shipping"))
        let events = [
            event("ev-1", "ada", minutes: 0, push(.pushReceived, "free-shipping")),
            event("ev-2", "bob", minutes: 0, push(.pushReceived, "free-shipping")),
            event("ev-3", "cy", minutes: 0, push(.pushReceived, "cart-abandoned")),
            opened,
            event("ev-5", "bob", minutes: 6, push(.pushOpened, "free-shipping")),
            event("ev-6", "dee", minutes: 7, push(.pushOpened, "free-shipping")),
            event("ev-7", "bob", minutes: 20, .purchase(productID: "sku-42", price: 29.9, currency: "EUR", quantity: 1)),
            event("ev-8", "cy", minutes: 30, push(.pushReceived, "cart-abandoned")),
            opened,  // sent twice by a client retry: ingested once (R25)
        ]
        let report = try store.ingest(events, now: monday.addingTimeInterval(30 * 60))
        print("  ingested \(events.count) events: \(report.accepted) new, \(report.duplicates.count) duplicate (\(report.duplicates.map(\.rawValue).joined(separator: ", "))), \(report.decisions.count) decisions")

        let scheduler = Scheduler(store: store, worker: "demo-scheduler")
        for step in [monday.addingTimeInterval(3600 + 10 * 60), monday.addingTimeInterval(86_400)] {
            let settled = try await scheduler.runAllDue(at: step)
            print("  scheduler at \(step.ISO8601Format()): \(settled.count) due")
        }
        // The dispatcher renders each dispatch (R21) and hands it to the sandbox provider,
        // which keeps the message in the store; the receipt goes back into the engine (R22).
        let client = CurlClient()
        let dispatcher = Dispatcher(store: store, routes: .sandbox, client: client,
                                    configuration: Dispatcher.Configuration(worker: "demo-dispatcher"), now: { monday.addingTimeInterval(86_400) })
        let delivered: Dispatcher.Report
        do {
            delivered = try await dispatcher.drain()
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        print("  dispatcher: \(delivered.total) dispatches delivered\(delivered.total == 0 ? "" : " (\(delivered))")")

        print("\nDecision trace per user:")
        for user in users {
            for record in try store.trace(for: user.id) {
                print("  \(user.id.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0)) \(record.action.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(record.reason)")
            }
        }
        let outbox = try store.outbox(OutboxFilter())
        print("\nOutbox: \(outbox.count) dispatches, rendered and delivered to the sandbox (a provider configuration sends them for real: docs/PROVIDERS.md)")
        for item in outbox {
            let dispatch = item.dispatch
            print("  \(dispatch.id) \(dispatch.followUp) -> \(dispatch.userID) on \(dispatch.channel.rawValue): \(item.state.rawValue) (idempotency key \(dispatch.idempotencyKey))")
            if let kept = try store.keptMessages(KeptMessageFilter(dispatchID: dispatch.id, limit: 1)).first,
               case .push(let push)? = try? deliveryJSONDecoder().decode(ChannelMessage.self, from: kept.json) {
                print("    to \(push.token): \"\(push.title ?? "")\" / \"\(push.body)\"")
            }
        }
        print("")
    }
}
