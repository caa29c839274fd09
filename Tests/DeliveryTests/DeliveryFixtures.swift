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

/// The scripted HTTP sink (Tests/Peers/sink_peer.py): records requests, answers as told.
final class Sink: Sendable {
    struct Recorded: Decodable {
        let method: String
        let path: String
        let query: String
        let headers: [[String]]
        let body_b64: String
        let time: Double

        var body: Data { Data(base64Encoded: body_b64) ?? Data() }
        var text: String { String(decoding: body, as: UTF8.self) }
        func header(_ name: String) -> String? { headers.first { $0.first?.lowercased() == name.lowercased() }?.last }
        var json: [String: Any] { ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any]) ?? [:] }
    }

    let peer: Peer
    let client = CurlClient()

    private init(peer: Peer) { self.peer = peer }

    static func start() async throws -> Sink { Sink(peer: try await Peer.start("sink_peer.py", needs: "(standard library only)")) }

    func url(_ path: String) -> String { peer.url(path) }

    /// Answers the next requests to `path` with `responses` (JSON objects), then `fallback`.
    func script(_ path: String, _ responses: [[String: Any]], fallback: [String: Any]? = nil) async throws {
        var spec: [String: Any] = ["path": path, "responses": responses]
        if let fallback { spec["default"] = fallback }
        var request = HTTPRequest(method: .post, url: peer.url("/_control/script"))
        request.body = Array(try JSONSerialization.data(withJSONObject: spec))
        let response = try await client.execute(request)
        #expect(response.status == 200)
    }

    func requests(_ path: String) async throws -> [Recorded] {
        let response = try await client.execute(HTTPRequest(method: .get, url: peer.url("/_control/requests?path=\(path)")))
        return try JSONDecoder().decode([Recorded].self, from: Data(response.body))
    }

    /// Returns once `count` requests have reached `path` (the readiness signal).
    func arrived(_ path: String, count: Int = 1) async throws {
        let response = try await client.execute(HTTPRequest(method: .get, url: peer.url("/_control/arrived?path=\(path)&n=\(count)"),
                                                             timeouts: Timeouts(connect: .seconds(5), total: .seconds(70))))
        #expect(response.status == 200, "\(count) request(s) never reached \(path)")
    }

    func release(_ key: String) async throws {
        _ = try await client.execute(HTTPRequest(method: .get, url: peer.url("/_control/release?key=\(key)")))
    }

    deinit {
        peer.stop()
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
