import ConnectorCore
import ConnectorPostgres
import ConnectorStore
import PeerSupport
import Testing
import Foundation
import GRDB
import Synchronization

/// A store in a fresh SQLite file, removed when the test ends.
final class TemporaryStore {
    let folder: URL
    let store: SQLiteStore
    /// The store's file (its index file is beside it).
    var path: String { folder.appendingPathComponent("connector.sqlite").path }

    init(traceIndexEvery: Int = 65_536) throws {
        folder = try makeTemporaryFolder("store")
        store = try SQLiteStore(path: folder.appendingPathComponent("connector.sqlite").path, traceIndexEvery: traceIndexEvery)
    }

    deinit { try? FileManager.default.removeItem(at: folder) }
}

/// A new empty folder in the temporary directory, named `prefix-UUID`; the caller removes it.
func makeTemporaryFolder(_ prefix: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}

/// A virtual clock: tests move time by hand.
final class VirtualClock: Sendable {
    private let seconds: Mutex<TimeInterval>
    init(_ start: Date) { seconds = Mutex(start.timeIntervalSince1970) }
    var now: Date { Date(timeIntervalSince1970: seconds.withLock { $0 }) }
    func advance(_ interval: TimeInterval) { seconds.withLock { $0 += interval } }
}

let scenarioStart = ISO8601DateFormatter().date(from: "2026-03-02T10:00:00Z") ?? Date()
let eventNumber = Atomic<Int>(0)

func makeEvent(_ payload: Event.Payload, user: UserID, at time: Date, id: String? = nil) -> Event {
    let n = eventNumber.wrappingAdd(1, ordering: .relaxed).newValue
    return Event(id: EventID(id ?? "evt-\(n)"), userID: user, time: time, payload: payload)
}

func interact(_ kind: InteractionKind, _ campaign: CampaignID, user: UserID, at time: Date, detail: String? = nil) -> Event {
    makeEvent(.interaction(Interaction(kind: kind, campaign: campaign, detail: detail)), user: user, at: time)
}

func active(_ id: CampaignID, channels: [Channel] = [.push]) -> Campaign {
    Campaign(id: id, history: StatusHistory([StatusChange(.active, at: scenarioStart.addingTimeInterval(-7 * 86_400))]), channels: channels,
             messages: messages(for: channels))
}

/// A message on each channel, so campaigns have content (R21).
func messages(for channels: [Channel]) -> [Channel: ChannelContent] {
    Dictionary(uniqueKeysWithValues: channels.map { ($0, content($0, "Hello {{ ${first_name} }}")) })
}

/// The smallest content on `channel` with `text` as its main template.
func content(_ channel: Channel, _ text: String) -> ChannelContent {
    switch channel {
    case .email: return .email(EmailContent(fromAddress: "shop@example.com", subject: text, text: text))
    case .sms: return .sms(SMSContent(body: text))
    case .push: return .push(PushContent(body: text))
    case .webhook: return .webhook(WebhookContent(url: "http://127.0.0.1:9/hook", body: text))
    case .inAppMessage: return .inAppMessage(InAppMessageContent(body: text))
    case .contentCard: return .contentCard(ContentCardContent(title: text))
    default: return .custom(CustomContent(channel: channel, fields: [.init(path: "text", template: text)]))
    }
}


/// A connection to a store's file with its index file attached (as the store's own
/// connections have it), for tests that look at the tables.
func openWithIndex(_ path: String) throws -> DatabaseQueue {
    var configuration = Configuration()
    configuration.prepareDatabase { db in
        try db.execute(sql: "ATTACH DATABASE ? AS idx", arguments: [SQLiteStore.indexPath(for: path)])
    }
    return try DatabaseQueue(path: path, configuration: configuration)
}

extension SQLiteStore {
    /// Saves `campaign` and replays its status history through the lifecycle checks (a
    /// save alone keeps the stored history: new campaigns are drafts).
    @discardableResult
    func install(_ campaign: Campaign) throws -> Campaign {
        var saved = try save(campaign)
        for change in campaign.history.changes {
            saved = try changeStatus(of: campaign.id, to: change.status, at: change.at).campaign
        }
        return saved
    }

    /// The entries due at `now` (a read: nothing is claimed).
    func dueEntries(at now: Date, limit: Int) throws -> [WaitingEntry] {
        try waitingEntries(WaitingFilter(dueBy: now, limit: limit))
    }

    /// Every dispatch, oldest first.
    func dispatches() throws -> [Dispatch] {
        try outbox(OutboxFilter(limit: .max)).map(\.dispatch)
    }
}


/// The store backends the protocol tests run against.
enum StoreKind: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres
    var testDescription: String { rawValue }
}

/// The PostgreSQL server of this test process (Tests/Peers/pg_peer.py), started on first
/// use; it ends with the process. Each store under test gets a database of its own.
let sharedPostgres = Task { try await Peer.start("pg_peer.py", ["WORKDIR"], needs: "(Debian's postgresql package)") }

/// A fresh store of one kind, through the protocol only, removed when the test ends.
final class StoreUnderTest: Sendable {
    let store: any Store
    private let folder: URL?

    private init(store: any Store, folder: URL?) {
        self.store = store
        self.folder = folder
    }

    static func make(_ kind: StoreKind) async throws -> StoreUnderTest {
        switch kind {
        case .sqlite:
            let folder = try makeTemporaryFolder("conformance")
            return StoreUnderTest(store: try SQLiteStore(path: folder.appendingPathComponent("connector.sqlite").path), folder: folder)
        case .postgres:
            let server = try await sharedPostgres.value
            let database = "test_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
            let admin = "postgres://postgres@127.0.0.1:\(server.port)/postgres"
            try await PostgresStore.createDatabase(database, serverURL: admin)
            return StoreUnderTest(store: try await PostgresStore.open(url: "postgres://postgres@127.0.0.1:\(server.port)/\(database)", maximumConnections: 4),
                                  folder: nil)
        }
    }

    deinit {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }
}

extension CampaignRepository {
    /// Saves `campaign` and replays its status history through the lifecycle checks (a
    /// save alone keeps the stored history: new campaigns are drafts).
    @discardableResult
    func install(_ campaign: Campaign) async throws -> Campaign {
        var saved = try await save(campaign)
        for change in campaign.history.changes {
            saved = try await changeStatus(of: campaign.id, to: change.status, at: change.at).campaign
        }
        return saved
    }
}

extension DispatchOutbox {
    /// Every dispatch, oldest first.
    func dispatches() async throws -> [Dispatch] {
        try await outbox(OutboxFilter(limit: .max)).map(\.dispatch)
    }
}
