import ConnectorCore
import ConnectorStore
import Foundation
import Testing

/// The four use cases of R27: events in, dispatches out, on a virtual clock, through each
/// store (through the `Store` protocol only; the SQLite one in a temporary file).
@Suite("R27 use cases end to end, through the store protocol")
struct UseCaseTests {
    let utc = TimeZone(identifier: "UTC") ?? .current

    /// A store of `kind` with the campaigns installed (published through the lifecycle) and
    /// the users saved, and a scheduler on it.
    func world(_ kind: StoreKind, _ campaigns: [Campaign], users: [User]) async throws -> (StoreUnderTest, Scheduler) {
        let temporary = try await StoreUnderTest.make(kind)
        for campaign in campaigns { try await temporary.store.install(campaign) }
        try await temporary.store.save(users)
        return (temporary, Scheduler(store: temporary.store, worker: "use-case"))
    }

    func pushUser(_ id: UserID) -> User { User(id: id, addresses: [.push: "token-\(id)", .email: "\(id)@example.com"]) }

    @Test("R27_1: users who clicked the free-shipping push get a push with 15% off", arguments: StoreKind.allCases)
    func R27_1_freeShippingClickers(_ kind: StoreKind) async throws {
        var followUp = active("fifteen-off")
        followUp.trigger = Trigger(kind: .pushOpened, target: "free-shipping")
        let (temporary, scheduler) = try await world(kind, [active("free-shipping"), followUp], users: ["ada", "bob"].map(pushUser))
        let clock = VirtualClock(scenarioStart)
        let report = try await temporary.store.ingest([
            interact(.pushReceived, "free-shipping", user: "ada", at: clock.now),
            interact(.pushReceived, "free-shipping", user: "bob", at: clock.now),
            interact(.pushOpened, "free-shipping", user: "ada", at: clock.now.addingTimeInterval(60)),
        ], now: clock.now.addingTimeInterval(60))
        #expect(report.accepted == 3)
        clock.advance(61)
        try await scheduler.runDue(at: clock.now)
        let outbox = try await temporary.store.dispatches()
        #expect(outbox.map(\.userID) == ["ada"])
        #expect(outbox.first?.followUp == "fifteen-off" && outbox.first?.channel == .push)
        #expect(try await temporary.store.trace(for: "ada").map(\.action) == [.scheduled, .sent])
        #expect(try await temporary.store.trace(for: "ada").map(\.reason.code) == [.scheduled, .dispatched])
    }

    @Test("R27_2: users who clicked the onboarding deep link get another in-app message", arguments: StoreKind.allCases)
    func R27_2_onboardingDeepLink(_ kind: StoreKind) async throws {
        var more = active("more-features", channels: [.inAppMessage])
        more.trigger = Trigger(kind: .inAppMessageButtonClicked, target: "onboarding", detail: "deep-link")
        let (temporary, scheduler) = try await world(kind, [active("onboarding", channels: [.inAppMessage]), more], users: [User(id: "cy"), User(id: "di")])
        let now = scenarioStart
        _ = try await temporary.store.ingest([
            interact(.inAppMessageButtonClicked, "onboarding", user: "cy", at: now, detail: "deep-link"),
            interact(.inAppMessageButtonClicked, "onboarding", user: "di", at: now, detail: "close"),
        ], now: now)
        try await scheduler.runDue(at: now)
        let outbox = try await temporary.store.dispatches()
        #expect(outbox.map(\.userID) == ["cy"])
        #expect(outbox.first?.channel == .inAppMessage)
    }

    @Test("R27_3: the abandoned-cart push again after a day, except for those who opened it or bought", arguments: StoreKind.allCases)
    func R27_3_abandonedCart(_ kind: StoreKind) async throws {
        var again = active("cart-again")
        again.trigger = Trigger(kind: .pushReceived, target: "cart")
        again.delay = .relative(seconds: 86_400)
        again.exceptions = [.interaction(kind: .pushOpened, campaign: "cart", detail: nil), .purchase(productID: nil)]
        let (temporary, scheduler) = try await world(kind, [active("cart"), again], users: ["eve", "fay", "gus"].map(pushUser))
        let clock = VirtualClock(scenarioStart)
        _ = try await temporary.store.ingest(["eve", "fay", "gus"].map { interact(.pushReceived, "cart", user: UserID($0), at: clock.now) }, now: clock.now)
        clock.advance(2 * 3600)
        let report = try await temporary.store.ingest([
            interact(.pushOpened, "cart", user: "fay", at: clock.now),
            makeEvent(.purchase(productID: "tent", price: 199, currency: "EUR", quantity: 1), user: "gus", at: clock.now),
        ], now: clock.now)
        #expect(report.decisions.filter { if case .cancel = $0 { return true } else { return false } }.count == 2)

        clock.advance(20 * 3600)  // 22 h after the receipt: nothing is due yet
        try await scheduler.runDue(at: clock.now)
        #expect(try await temporary.store.dispatches().isEmpty)

        clock.advance(2 * 3600)  // 24 h: eve's reminder is due
        try await scheduler.runDue(at: clock.now)
        let outbox = try await temporary.store.dispatches()
        #expect(outbox.map(\.userID) == ["eve"])
        #expect(try await temporary.store.trace(for: "gus").last?.reason.text.contains("purchase") == true)
        #expect(try await temporary.store.waitingEntries(for: "eve").isEmpty)
    }

    @Test("R27_4: users who received an email and did not open it within a week get it again", arguments: StoreKind.allCases)
    func R27_4_unopenedEmail(_ kind: StoreKind) async throws {
        var resend = active("newsletter-resend", channels: [.email])
        resend.trigger = Trigger(kind: .emailReceived, target: "newsletter")
        resend.delay = .relative(seconds: 7 * 86_400)
        resend.exceptions = [.interaction(kind: .emailOpened, campaign: "newsletter", detail: nil)]
        let (temporary, scheduler) = try await world(kind, [active("newsletter", channels: [.email]), resend], users: ["hal", "ivy"].map(pushUser))
        let clock = VirtualClock(scenarioStart)
        _ = try await temporary.store.ingest([
            interact(.emailReceived, "newsletter", user: "hal", at: clock.now),
            interact(.emailReceived, "newsletter", user: "ivy", at: clock.now),
        ], now: clock.now)
        clock.advance(3 * 86_400)
        _ = try await temporary.store.ingest([interact(.emailOpened, "newsletter", user: "ivy", at: clock.now)], now: clock.now)
        clock.advance(4 * 86_400)
        try await scheduler.runDue(at: clock.now)
        #expect(try await temporary.store.dispatches().map(\.userID) == ["hal"])
        #expect(try await temporary.store.dispatches().first?.channel == .email)
    }
}

/// R25, R14 and R16 through the store protocol, and durability of the SQLite store.
@Suite("Store behaviour")
struct StoreBehaviourTests {
    let utc = TimeZone(identifier: "UTC") ?? .current

    @Test("R25: an event id ingested twice has no further effect", arguments: StoreKind.allCases)
    func R25_duplicates(_ kind: StoreKind) async throws {
        let temporary = try await StoreUnderTest.make(kind)
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        try await temporary.store.install(active("T"))
        try await temporary.store.install(followUp)
        let event = interact(.pushOpened, "T", user: "u1", at: scenarioStart)
        let first = try await temporary.store.ingest([event], now: scenarioStart)
        let second = try await temporary.store.ingest([event, event], now: scenarioStart)
        #expect(first.accepted == 1 && first.decisions.count == 1)
        #expect(second.accepted == 0 && second.duplicates == [event.id, event.id] && second.decisions.isEmpty)
        #expect(try await temporary.store.waitingEntries(for: "u1").count == 1)
    }

    @Test("R14: an exception that arrives before its (earlier) trigger still cancels the wait", arguments: StoreKind.allCases)
    func R14_outOfOrder(_ kind: StoreKind) async throws {
        let temporary = try await StoreUnderTest.make(kind)
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushReceived, target: "T")
        followUp.delay = .relative(seconds: 86_400)
        followUp.exceptions = [.purchase(productID: nil)]
        try await temporary.store.install(active("T"))
        try await temporary.store.install(followUp)
        let purchase = makeEvent(.purchase(productID: "x", price: 1, currency: "EUR", quantity: 1), user: "u1", at: scenarioStart.addingTimeInterval(3600))
        let trigger = interact(.pushReceived, "T", user: "u1", at: scenarioStart)
        _ = try await temporary.store.ingest([purchase], now: scenarioStart.addingTimeInterval(7200))
        let report = try await temporary.store.ingest([trigger], now: scenarioStart.addingTimeInterval(7200))
        #expect(report.decisions.count == 1)
        #expect(report.decisions.first?.reason.code == .exceptionBeforeTrigger)
        #expect(report.decisions.first?.reason.text.hasPrefix("cancelled before it began") == true)
        #expect(try await temporary.store.waitingEntries(for: "u1").isEmpty)
    }

    @Test("a stop cancels waiting users for good; resuming does not replay them (R16)", arguments: StoreKind.allCases)
    func R16_stopWhileWaiting(_ kind: StoreKind) async throws {
        let temporary = try await StoreUnderTest.make(kind)
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushReceived, target: "T")
        followUp.delay = .relative(seconds: 3600)
        try await temporary.store.install(active("T"))
        try await temporary.store.install(followUp)
        try await temporary.store.save(User(id: "u1", addresses: [.push: "tok"]))
        _ = try await temporary.store.ingest([interact(.pushReceived, "T", user: "u1", at: scenarioStart)], now: scenarioStart)
        _ = try await temporary.store.changeStatus(of: "F", to: .stopped, at: scenarioStart.addingTimeInterval(600))
        _ = try await temporary.store.changeStatus(of: "F", to: .active, at: scenarioStart.addingTimeInterval(1200))
        try await Scheduler(store: temporary.store, worker: "s").runDue(at: scenarioStart.addingTimeInterval(3600))
        #expect(try await temporary.store.dispatches().isEmpty)
        #expect(try await temporary.store.trace(for: "u1").last?.reason.code == .campaignStopped)
        #expect(try await temporary.store.trace(for: "u1").last?.reason.text.contains("resuming does not replay") == true)
    }

    @Test("the database survives reopening: state is durable")
    func durability() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("durable-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("c.sqlite").path
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        let event = interact(.pushOpened, "T", user: "u1", at: scenarioStart, detail: nil)
        do {
            let store = try SQLiteStore(path: path)
            try store.install(active("T"))
            try store.install(followUp)
            let engine = ConnectorEngine(campaigns: try store.campaigns(), workspaceTimeZone: utc)
            _ = try store.ingest([event], engine: engine, now: scenarioStart)
        }
        let reopened = try SQLiteStore(path: path)
        let engine = ConnectorEngine(campaigns: try reopened.campaigns(), workspaceTimeZone: utc)
        #expect(try reopened.ingest([event], engine: engine, now: scenarioStart).duplicates == [event.id], "dedupe survives a restart (R25)")
        #expect(try reopened.campaigns().map(\.id) == ["F", "T"])
        #expect(try reopened.waitingEntries(for: "u1").first?.dueAt == scenarioStart.addingTimeInterval(3600))
        #expect(try reopened.dueEntries(at: scenarioStart.addingTimeInterval(3600), limit: 10).count == 1)
        #expect(try reopened.dueEntries(at: scenarioStart.addingTimeInterval(3599), limit: 10).isEmpty)
    }
}
