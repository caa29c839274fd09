import ConnectorCore
import ConnectorStore
import Foundation
import Testing

/// The outbox through the store's API: claims with leases, attempts and outcomes, each a
/// compare-and-set on the worker's claim (the dispatcher of the delivery issue builds on it).
@Suite("Outbox: claims, attempts and outcomes")
struct OutboxTests {
    let due = scenarioStart.addingTimeInterval(3600)

    /// A store with `count` dispatches queued at `due` (F on push, one per user).
    func queued(_ kind: StoreKind, _ count: Int) async throws -> StoreUnderTest {
        let temporary = try await StoreUnderTest.make(kind)
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        try await temporary.store.install(active("T"))
        try await temporary.store.install(followUp)
        let users = (0..<count).map { UserID("u\($0)") }
        try await temporary.store.save(users.map { User(id: $0, addresses: [.push: "token-\($0)"]) })
        _ = try await temporary.store.ingest(users.map { interact(.pushOpened, "T", user: $0, at: scenarioStart) }, now: scenarioStart)
        _ = try await Scheduler(store: temporary.store, worker: "scheduler").runDue(at: due)
        #expect(try await temporary.store.outbox(OutboxFilter(states: [.queued])).count == count)
        return temporary
    }

    func attempt(_ at: Date, status: Int?, error: String? = nil) -> DeliveryAttempt {
        DeliveryAttempt(at: at, provider: "sandbox", statusCode: status, latency: 0.012, providerMessageID: status == 202 ? "msg-1" : nil,
                        errorClass: error == nil ? nil : "server_error", error: error)
    }

    @Test("a dispatch is claimed by one worker; attempts and the outcome count only from the holder", arguments: StoreKind.allCases)
    func claimAttemptFinish(_ kind: StoreKind) async throws {
        let store = try await queued(kind, 3).store
        let mine = try await store.claimDispatches(at: due, worker: "a", lease: 30, limit: 2)
        #expect(mine.count == 2 && mine.allSatisfy { $0.state == .sending && $0.claimedBy == "a" && !$0.reclaimed })
        let theirs = try await store.claimDispatches(at: due, worker: "b", lease: 30, limit: 10)
        #expect(theirs.count == 1 && !mine.map(\.dispatch.id).contains(theirs[0].dispatch.id))
        let id = mine[0].dispatch.id
        #expect(try await store.recordAttempt(attempt(due, status: 202), dispatch: id, worker: "b") == false, "b does not hold it")
        #expect(try await store.recordAttempt(attempt(due, status: 202), dispatch: id, worker: "a"))
        #expect(try await store.finish(id, worker: "b", as: .sent(providerMessageID: "msg-1"), at: due) == false)
        #expect(try await store.finish(id, worker: "a", as: .sent(providerMessageID: "msg-1"), at: due.addingTimeInterval(1)))
        let sent = try #require(try await store.outbox(OutboxFilter(states: [.sent])).first)
        #expect(sent.dispatch.id == id && sent.providerMessageID == "msg-1" && sent.attempts == 1 && sent.claimedBy == nil)
        #expect(sent.updatedAt == due.addingTimeInterval(1))
        #expect(try await store.attempts(of: id).map(\.statusCode) == [202])
        #expect(try await store.finish(id, worker: "a", as: .dead(DecisionReason(.dispatched, "again")), at: due) == false, "a final state is final")
    }

    @Test("a retry is claimable again at its time, with its reason and attempts kept", arguments: StoreKind.allCases)
    func retryLater(_ kind: StoreKind) async throws {
        let store = try await queued(kind, 1).store
        let item = try #require(try await store.claimDispatches(at: due, worker: "a", lease: 30, limit: 1).first)
        try await store.recordAttempt(attempt(due, status: 503, error: "Service Unavailable"), dispatch: item.dispatch.id, worker: "a")
        let later = due.addingTimeInterval(120)
        #expect(try await store.finish(item.dispatch.id, worker: "a", as: .retry(at: later, reason: DecisionReason(DecisionReason.Code(rawValue: "provider_unavailable"), "HTTP 503")), at: due))
        let waiting = try #require(try await store.outbox(OutboxFilter(states: [.retrying])).first)
        #expect(waiting.nextAttemptAt == later && waiting.reason?.code.rawValue == "provider_unavailable" && waiting.attempts == 1)
        #expect(try await store.claimDispatches(at: later.addingTimeInterval(-1), worker: "b", lease: 30, limit: 1).isEmpty, "not before its time")
        let again = try await store.claimDispatches(at: later, worker: "b", lease: 30, limit: 1)
        #expect(again.map(\.dispatch.id) == [item.dispatch.id] && again.first?.attempts == 1 && again.first?.reclaimed == false)
        #expect(try await store.attempts(of: item.dispatch.id).map(\.errorClass) == ["server_error"])
    }

    @Test("a worker that dies mid-send loses its claim when the lease runs out; the next claim is marked reclaimed", arguments: StoreKind.allCases)
    func expiredLease(_ kind: StoreKind) async throws {
        let store = try await queued(kind, 1).store
        let item = try #require(try await store.claimDispatches(at: due, worker: "dead", lease: 30, limit: 1).first)
        #expect(try await store.claimDispatches(at: due.addingTimeInterval(29), worker: "b", lease: 30, limit: 1).isEmpty)
        let taken = try #require(try await store.claimDispatches(at: due.addingTimeInterval(30), worker: "b", lease: 30, limit: 1).first)
        #expect(taken.dispatch.id == item.dispatch.id && taken.reclaimed && taken.claimedBy == "b")
        #expect(try await store.finish(item.dispatch.id, worker: "dead", as: .sent(providerMessageID: nil), at: due.addingTimeInterval(31)) == false)
        #expect(try await store.finish(item.dispatch.id, worker: "b",
                                       as: .possiblySent(DecisionReason(DecisionReason.Code(rawValue: "lease_expired"), "the first send may have arrived")),
                                       at: due.addingTimeInterval(31)))
        #expect(try await store.outbox(OutboxFilter(states: [.possiblySent])).count == 1)
    }

    @Test("every outcome is a state; the list filters by state, follow-up and user", arguments: StoreKind.allCases)
    func outcomesAndFilters(_ kind: StoreKind) async throws {
        let store = try await queued(kind, 4).store
        let claimed = try await store.claimDispatches(at: due, worker: "a", lease: 30, limit: 4)
        let outcomes: [DeliveryOutcome] = [
            .sent(providerMessageID: "m"), .dead(DecisionReason(DecisionReason.Code(rawValue: "rejected"), "HTTP 400")),
            .badAddress(DecisionReason(DecisionReason.Code(rawValue: "bad_address"), "unknown token")),
            .aborted(DecisionReason(DecisionReason.Code(rawValue: "aborted"), "abort_message")),
        ]
        for (item, outcome) in zip(claimed, outcomes) {
            #expect(try await store.finish(item.dispatch.id, worker: "a", as: outcome, at: due))
        }
        let states = try await store.outbox(OutboxFilter()).map(\.state)
        #expect(Set(states) == [.sent, .dead, .badAddress, .aborted])
        #expect(try await store.outbox(OutboxFilter(states: [.dead, .badAddress])).count == 2)
        #expect(try await store.outbox(OutboxFilter(user: claimed[0].dispatch.userID)).map(\.dispatch.id) == [claimed[0].dispatch.id])
        #expect(try await store.outbox(OutboxFilter(followUp: "nope")).isEmpty)
        #expect(try await store.claimDispatches(at: due.addingTimeInterval(3600), worker: "b", lease: 30, limit: 10).isEmpty, "nothing final is claimed again")
    }
}
