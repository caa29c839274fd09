import ConnectorCore
import ConnectorStore
import Foundation
import Testing

/// What the dispatcher needs of a store, through the protocol: receipts ingested with the
/// outcome (R22), the send mark (R25), kept messages and suppressions.
@Suite("Store: receipts, send marks, kept messages, suppressions")
struct DeliveryStoreTests {
    let due = scenarioStart.addingTimeInterval(3600)

    /// F (push, 1 h after a push_opened on T) queued for `u0`, and G, which follows F's receipt.
    func queued(_ kind: StoreKind) async throws -> StoreUnderTest {
        let temporary = try await StoreUnderTest.make(kind)
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        var afterReceipt = active("G")
        afterReceipt.trigger = Trigger(kind: .pushReceived, target: "F")
        afterReceipt.delay = .relative(seconds: 600)
        for campaign in [active("T"), followUp, afterReceipt] { _ = try await temporary.store.install(campaign) }
        try await temporary.store.save([User(id: "u0", addresses: [.push: "token-u0"])])
        _ = try await temporary.store.ingest([interact(.pushOpened, "T", user: "u0", at: scenarioStart)], now: scenarioStart)
        _ = try await Scheduler(store: temporary.store, worker: "scheduler").runDue(at: due)
        return temporary
    }

    @Test("R22: marking a dispatch sent ingests its receipt in the same step: a follow-up of the receipt starts waiting, once", arguments: StoreKind.allCases)
    func receipt(_ kind: StoreKind) async throws {
        let store = try await queued(kind).store
        let item = try #require(try await store.claimDispatches(at: due, worker: "w", lease: 60, limit: 1).first)
        #expect(try await store.waitingEntries(for: "u0").isEmpty)
        #expect(try await store.finish(item.dispatch.id, worker: "w", as: .sent(providerMessageID: "m1"), at: due))
        #expect(try await store.waitingEntries(for: "u0").map(\.followUp) == ["G"])
        let trace = try await store.trace(for: "u0")
        #expect(trace.last?.action == .scheduled && trace.contains { $0.action == .delivered && $0.reason.code == .accepted })
        // The receipt's event id is the dispatch's: ingesting it again changes nothing (R25).
        let again = try await store.ingest([Event(id: EventID("rcpt_" + item.dispatch.id), userID: "u0", time: due,
                                                  payload: .interaction(Interaction(kind: .pushReceived, campaign: "F")))], now: due)
        #expect(again.duplicates.count == 1)
    }

    @Test("R22: a dispatch that fails produces no receipt", arguments: StoreKind.allCases)
    func noReceiptOnFailure(_ kind: StoreKind) async throws {
        let store = try await queued(kind).store
        let item = try #require(try await store.claimDispatches(at: due, worker: "w", lease: 60, limit: 1).first)
        #expect(try await store.finish(item.dispatch.id, worker: "w", as: .dead(DecisionReason(.dispatched, "refused")), at: due))
        #expect(try await store.waitingEntries(for: "u0").isEmpty)
    }

    @Test("R25: the send mark survives a lapsed lease and shows on the reclaimed dispatch; an outcome clears it", arguments: StoreKind.allCases)
    func sendMark(_ kind: StoreKind) async throws {
        let store = try await queued(kind).store
        let item = try #require(try await store.claimDispatches(at: due, worker: "a", lease: 30, limit: 1).first)
        #expect(try await store.beginSend(item.dispatch.id, worker: "b", at: due) == false, "b holds nothing")
        #expect(try await store.beginSend(item.dispatch.id, worker: "a", at: due))
        let reclaimed = try #require(try await store.claimDispatches(at: due.addingTimeInterval(31), worker: "b", lease: 30, limit: 1).first)
        #expect(reclaimed.reclaimed && reclaimed.sendStartedAt == due)
        #expect(try await store.finish(item.dispatch.id, worker: "b", as: .retry(at: due.addingTimeInterval(60), reason: DecisionReason(.dispatched, "503")), at: due.addingTimeInterval(32)))
        let retried = try #require(try await store.claimDispatches(at: due.addingTimeInterval(60), worker: "c", lease: 30, limit: 1).first)
        #expect(!retried.reclaimed && retried.sendStartedAt == nil)
    }

    @Test("deleting a user removes them, their waiting entries (nothing pending is sent) and their feed; others stay; counts per follow-up follow",
          arguments: StoreKind.allCases)
    func deleteUser(_ kind: StoreKind) async throws {
        let temporary = try await StoreUnderTest.make(kind)
        let store = temporary.store
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        for campaign in [active("T"), followUp] { _ = try await store.install(campaign) }
        try await store.save([User(id: "u0", addresses: [.push: "token-u0"]), User(id: "u1", addresses: [.push: "token-u1"])])
        _ = try await store.ingest([interact(.pushOpened, "T", user: "u0", at: scenarioStart), interact(.pushOpened, "T", user: "u1", at: scenarioStart)],
                                   now: scenarioStart)
        _ = try await store.keep(KeptMessage(dispatchID: "d1", userID: "u0", campaign: "F", channel: .contentCard, provider: "feed", at: due,
                                             json: Data("{}".utf8)))
        #expect(try await store.waitingCounts() == ["F": 2])
        let deletion = try await store.deleteUser("u0")
        #expect(deletion == UserDeletion(existed: true, waitingRemoved: 1, messagesRemoved: 1))
        #expect(try await store.user("u0") == nil)
        #expect(try await store.user("u1") != nil)
        #expect(try await store.waitingEntries(for: "u0").isEmpty)
        #expect(try await store.waitingEntries(for: "u1").count == 1)
        #expect(try await store.keptMessages(KeptMessageFilter(user: "u0")).isEmpty)
        #expect(try await store.waitingCounts() == ["F": 1])
        // Nothing is sent to the deleted user when the wait would have ended.
        let settled = try await Scheduler(store: store, worker: "s").runAllDue(at: due)
        #expect(try await store.outbox(OutboxFilter()).map(\.dispatch.userID) == ["u1"], "\(settled)")
        #expect(try await store.deleteUser("u0") == UserDeletion(existed: false, waitingRemoved: 0, messagesRemoved: 0))
    }

    @Test("kept messages: kept once per dispatch, read by user and channel, live until dismissed or expired", arguments: StoreKind.allCases)
    func keptMessages(_ kind: StoreKind) async throws {
        let store = try await StoreUnderTest.make(kind).store
        let card = KeptMessage(dispatchID: "d1", userID: "u0", campaign: "F", channel: .contentCard, provider: "feed", at: due,
                               expiresAt: due.addingTimeInterval(60), json: Data(#"{"content_card":{}}"#.utf8))
        #expect(try await store.keep(card))
        #expect(try await store.keep(card) == false, "a second keep of the dispatch changes nothing")
        _ = try await store.keep(KeptMessage(dispatchID: "d2", userID: "u0", campaign: "F", channel: .push, provider: "sandbox",
                                             at: due.addingTimeInterval(1), json: Data("{}".utf8)))
        #expect(try await store.keptMessages(KeptMessageFilter(user: "u0")).map(\.dispatchID) == ["d2", "d1"], "newest first")
        #expect(try await store.keptMessages(KeptMessageFilter(channel: .contentCard)) == [card])
        #expect(try await store.keptMessages(KeptMessageFilter(user: "u0", channel: .contentCard, liveAt: due.addingTimeInterval(60))).isEmpty)
        #expect(try await store.dismiss(dispatch: "d1", at: due.addingTimeInterval(5)))
        #expect(try await store.keptMessages(KeptMessageFilter(channel: .contentCard, liveAt: due)).isEmpty)
        #expect(try await store.keptMessages(KeptMessageFilter(dispatchID: "d1")).first?.dismissedAt == due.addingTimeInterval(5))
        #expect(try await store.dismiss(dispatch: "nope", at: due) == false)
    }

    @Test("suppressions: one per address and channel, the first reason kept, recorded in the user's trace", arguments: StoreKind.allCases)
    func suppressions(_ kind: StoreKind) async throws {
        let store = try await StoreUnderTest.make(kind).store
        try await store.suppress(Suppression(channel: .email, address: "a@example.com", userID: "u0", at: due, reason: DecisionReason(.dispatched, "550 unknown user")))
        try await store.suppress(Suppression(channel: .email, address: "a@example.com", userID: "u1", at: due, reason: DecisionReason(.dispatched, "again")))
        #expect(try await store.suppression(of: "a@example.com", on: .email)?.reason.text == "550 unknown user")
        #expect(try await store.suppression(of: "a@example.com", on: .sms) == nil)
        #expect(try await store.suppressions(limit: 10).count == 1)
        #expect(try await store.trace(for: "u0").map(\.action) == [.suppressed])
        #expect(try await store.trace(for: "u1").isEmpty)
    }
}
