import ConnectorCore
import ConnectorStore
import CurlTransport
import Delivery
import Foundation
import PeerSupport
import Synchronization
import Testing

let deliveryStart = ISO8601DateFormatter().date(from: "2026-03-02T10:00:00Z") ?? Date()

/// A virtual clock: tests move time by hand.
final class TestClock: Sendable {
    private let seconds: Mutex<TimeInterval>
    init(_ start: Date = deliveryStart) { seconds = Mutex(start.timeIntervalSince1970) }
    var now: Date { Date(timeIntervalSince1970: seconds.withLock { $0 }) }
    func advance(_ interval: TimeInterval) { seconds.withLock { $0 += interval } }
}

/// A SQLite store in a fresh folder with a follow-up `F` (of original `T`) on one
/// channel, and users whose interaction with `T` queued one dispatch each.
final class DeliveryBench: Sendable {
    let folder: URL
    let store: SQLiteStore
    /// When the dispatches were queued (the follow-up's delay after the trigger).
    let queuedAt: Date

    init(channel: Channel, content: ChannelContent, users: [User], name: String = "Spring sale") async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("delivery-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        store = try SQLiteStore(path: folder.appendingPathComponent("connector.sqlite").path)
        let live = StatusHistory([StatusChange(.active, at: deliveryStart.addingTimeInterval(-86_400))])
        let original = Campaign(id: "T", history: live, channels: [.push], messages: [.push: .push(PushContent(body: "original"))])
        var followUp = Campaign(id: "F", name: name, history: live, channels: [channel], messages: [channel: content])
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 60)
        for campaign in [original, followUp] {
            _ = try store.save(campaign)
            for change in campaign.history.changes { _ = try store.changeStatus(of: campaign.id, to: change.status, at: change.at) }
        }
        try store.save(users)
        let events = users.enumerated().map { index, user in
            Event(id: EventID("open-\(index)"), userID: user.id, time: deliveryStart,
                  payload: .interaction(Interaction(kind: .pushOpened, campaign: "T")))
        }
        _ = try store.ingest(events, now: deliveryStart)
        queuedAt = deliveryStart.addingTimeInterval(60)
        _ = try await Scheduler(store: store, worker: "scheduler").runAllDue(at: queuedAt, batch: 1000)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }

    /// The only dispatch's outbox item.
    func item(_ user: String) throws -> OutboxItem {
        try #require(try store.outbox(OutboxFilter(user: UserID(user))).first)
    }
}

/// A dispatcher over `bench`'s store with `routes`, on `clock`, with no jitter (the
/// full backoff ceiling) unless told.
func dispatcher(_ bench: DeliveryBench, _ routes: ProviderRoutes, clock: TestClock, client: CurlClient, tracking: Tracking? = nil,
                retry: RetryPolicy = RetryPolicy(base: 10, cap: 600, deadline: 3600), worker: WorkerID = "dispatcher",
                sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { _ in }) -> Dispatcher {
    Dispatcher(store: bench.store, routes: routes, client: client, tracking: tracking,
               configuration: Dispatcher.Configuration(worker: worker, lease: 60, batchSize: 64, concurrency: 8, retry: retry),
               now: { clock.now }, random: { 1 }, sleep: sleep)
}

/// Routes with `providers` on `channel` (the first is primary).
func routes(_ channel: Channel, _ providers: [ProviderRoute]) -> ProviderRoutes { ProviderRoutes([channel: providers]) }

let testTracking: Tracking? = try? Tracking(baseURL: "https://t.example.com/", key: Data(repeating: 7, count: 32))
