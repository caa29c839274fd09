import ConnectorCore
import ConnectorStore
import Foundation
import PeerSupport
import Testing

@testable import ConnectorPostgres

/// The PostgreSQL store's batched ingestion (a constant number of multi-row statements
/// per batch, decisions made in memory) against its event-by-event path, on the same
/// events: the same decisions, waiting entries, traces and users, whatever mix of
/// triggers, exceptions, receipts, attribute updates, duplicates and out-of-order times a
/// batch holds.
@Suite("PostgreSQL: batched ingestion")
struct PostgresBatchTests {
    static var campaigns: [Campaign] {
        // F: an hour after the push was opened, pro users only, unless they buy; again
        // 30 minutes after its last receipt (R7 reads the last receipt).
        var f = active("F")
        f.trigger = Trigger(kind: .pushOpened, target: "T")
        f.delay = .relative(seconds: 3600)
        f.exceptions = [.purchase(productID: nil)]
        f.reEligibility = .after(seconds: 1800)
        f.audience = .attribute("plan", .equals(.string("pro")))
        // G: ten minutes after an email click, unless a `cancel` event; every time.
        var g = active("G")
        g.trigger = Trigger(kind: .emailClicked, target: "T")
        g.delay = .relative(seconds: 600)
        g.exceptions = [.customEvent(name: "cancel", properties: [:])]
        g.reEligibility = .after(seconds: 0)
        return [active("T"), f, g]
    }

    static func events(seed: UInt64, count: Int) -> [Event] {
        var random = SeededGenerator(state: seed)
        var events: [Event] = []
        for index in 0..<count {
            let user = UserID("u\(Int.random(in: 0..<12, using: &random))")
            // Mostly in order, some arriving up to 20 minutes late (R14).
            let time = scenarioStart.addingTimeInterval(Double(index * 30) - (Bool.random(using: &random) ? Double.random(in: 0..<1200, using: &random) : 0))
            let id = "b\(seed)-\(index)"
            let payload: Event.Payload
            switch Int.random(in: 0..<100, using: &random) {
            case 0..<30: payload = .interaction(Interaction(kind: .pushOpened, campaign: "T"))
            case 30..<40: payload = .interaction(Interaction(kind: .emailClicked, campaign: "T"))
            case 40..<50: payload = .purchase(productID: "sku", price: 5, currency: "EUR", quantity: 1)
            case 50..<56: payload = .custom(name: "cancel", properties: [:])
            case 56..<66: payload = .interaction(Interaction(kind: .pushReceived, campaign: "F"))
            case 66..<81: payload = .attributeUpdate(["plan": .string(Bool.random(using: &random) ? "pro" : "basic")])
            case 81..<92: payload = .custom(name: "page_view", properties: [:])
            default:
                // A retry of an earlier event (R25), or of one in this very batch.
                if let earlier = events.randomElement(using: &random) {
                    events.append(earlier)
                    continue
                }
                payload = .sessionStart
            }
            events.append(Event(id: EventID(id), userID: user, time: time, payload: payload))
        }
        return events
    }

    @Test("the same decisions, waiting entries, traces and users as event by event", arguments: [(UInt64(1), 60), (2, 250), (3, 400)])
    func sameAsEventByEvent(seed: UInt64, batchSize: Int) async throws {
        let batched = try await StoreUnderTest.make(.postgres), reference = try await StoreUnderTest.make(.postgres)
        let a = try #require(batched.store as? PostgresStore), b = try #require(reference.store as? PostgresStore)
        for store in [a, b] {
            for campaign in Self.campaigns { try await store.install(campaign) }
        }
        let events = Self.events(seed: seed, count: 800)
        var decided = 0, cancelled = 0, duplicates = 0
        for (offset, start) in stride(from: 0, to: events.count, by: batchSize).enumerated() {
            let batch = Array(events[start..<min(events.count, start + batchSize)])
            let now = scenarioStart.addingTimeInterval(Double(offset) * 600)
            let fast = try await a.ingest(batch, now: now)
            let slow = try await b.ingestEventByEvent(batch, now: now)
            #expect(fast.failures.isEmpty && slow.failures.isEmpty)
            #expect(fast.accepted == slow.accepted && fast.duplicates == slow.duplicates, "batch \(offset)")
            #expect(fast.decisions == slow.decisions, "batch \(offset)")
            decided += fast.decisions.count
            cancelled += fast.decisions.filter { if case .cancel = $0 { true } else { false } }.count
            duplicates += fast.duplicates.count
        }
        // The mix exercised what it should.
        #expect(decided > 50 && cancelled > 5 && duplicates > 10, "decisions \(decided), cancels \(cancelled), duplicates \(duplicates)")
        for index in 0..<12 {
            let user = UserID("u\(index)")
            let waitingA = try await a.waitingEntries(for: user), waitingB = try await b.waitingEntries(for: user)
            #expect(waitingA == waitingB, "\(user)")
            let traceA = try await a.trace(for: user).map { "\($0.campaign.rawValue) \($0.action) \($0.reason.code.rawValue) \($0.reason.text)" }
            let traceB = try await b.trace(for: user).map { "\($0.campaign.rawValue) \($0.action) \($0.reason.code.rawValue) \($0.reason.text)" }
            #expect(traceA == traceB, "\(user)")
            let userA = try await a.user(user), userB = try await b.user(user)
            #expect(userA == userB, "\(user)")
        }
    }

    @Test("a batch whose statement fails is applied again event by event: the failing event is reported, the others kept")
    func failingEventIsolated() async throws {
        let under = try await StoreUnderTest.make(.postgres)
        let store = try #require(under.store as? PostgresStore)
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        for campaign in [active("T"), followUp] { try await store.install(campaign) }
        // A user row damaged outside the store: updating its attributes cannot work.
        for try await _ in try await store.client.query(#"INSERT INTO app_user (id, json) VALUES ('broken', '{"id":')"#) {}
        let before = interact(.pushOpened, "T", user: "u1", at: scenarioStart)
        let update = makeEvent(.attributeUpdate(["plan": .string("pro")]), user: "broken", at: scenarioStart.addingTimeInterval(1))
        let after = interact(.pushOpened, "T", user: "u2", at: scenarioStart.addingTimeInterval(2))
        let report = try await store.ingest([before, update, after], now: scenarioStart.addingTimeInterval(2))
        #expect(report.accepted == 2, "\(report)")
        #expect(report.failures.map(\.eventID) == [update.id], "\(report.failures)")
        #expect(report.decisions.compactMap(\.entry).map(\.userID) == ["u1", "u2"])
        let waiting1 = try await store.waitingEntries(for: "u1"), waiting2 = try await store.waitingEntries(for: "u2")
        #expect(waiting1.count == 1 && waiting2.count == 1)
        // Its id was not kept: once the row is repaired, the same event is accepted.
        let repaired = try PostgresStore.json(User(id: "broken"))
        for try await _ in try await store.client.query("UPDATE app_user SET json = \(repaired) WHERE id = 'broken'") {}
        let retry = try await store.ingest([update], now: scenarioStart.addingTimeInterval(3))
        #expect(retry.accepted == 1 && retry.failures.isEmpty)
        let updated = try await store.user("broken")
        #expect(updated?.attributes["plan"] == .string("pro"))
    }

    @Test("R25: a large batch is stored in its order and finds a duplicate thousands of events apart")
    func largeBatch() async throws {
        let under = try await StoreUnderTest.make(.postgres)
        let store = try #require(under.store as? PostgresStore)
        try await store.install(active("T"))
        var events = (0..<3001).map { index -> Event in
            makeEvent(index.isMultiple(of: 2) ? .custom(name: "viewed", properties: ["n": .number(Double(index))]) : .sessionStart,
                      user: UserID("u\(index % 7)"), at: scenarioStart.addingTimeInterval(Double(index)), id: "e-\(index)")
        }
        events.append(makeEvent(.sessionStart, user: "u1", at: scenarioStart, id: "e-3"))  // an early id, again at the end
        let report = try await store.ingest(events, now: scenarioStart)
        #expect(report.accepted == 3001 && report.duplicates == ["e-3"] && report.failures.isEmpty)
        var stored: [String] = []
        for try await id in try await store.client.query("SELECT event_id FROM event ORDER BY seq").decode(String.self) { stored.append(id) }
        #expect(stored == (0..<3001).map { "e-\($0)" }, "stored in the batch's order")
    }

    @Test("R25: the same event id sent by several requests at once is stored once")
    func sameIDFromConcurrentRequests() async throws {
        let under = try await StoreUnderTest.make(.postgres)
        let store = under.store
        try await store.install(active("T"))
        for round in 0..<20 {
            let event = makeEvent(.sessionStart, user: "u1", at: scenarioStart.addingTimeInterval(Double(round)), id: "retry-\(round)")
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for request in 0..<4 {
                    group.addTask {
                        let filler = (0..<100).map { n in
                            makeEvent(.sessionStart, user: UserID("f\(request)"), at: scenarioStart, id: "filler-\(round)-\(request)-\(n)")
                        }
                        return try await store.ingest(filler + [event], now: scenarioStart).accepted
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(accepted == 4 * 100 + 1, "round \(round): the retried event was accepted \(accepted - 4 * 100) times")
        }
    }
}
