import ConnectorCore
import ConnectorStore
import Foundation
import Testing

/// The scheduler plans a whole run of due entries and writes it in one transaction.
@Suite("Scheduler runs (R17, R18, R25)")
struct SchedulerTests {
    let utc = TimeZone(identifier: "UTC") ?? .current

    /// `count` users waiting for F, all due at `scenarioStart + 1 h`.
    func waitingUsers(_ count: Int, configure: (inout Campaign) -> Void = { _ in }) throws -> (TemporaryStore, ConnectorEngine) {
        let temporary = try TemporaryStore()
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        configure(&followUp)
        let engine = ConnectorEngine(campaigns: [active("T"), followUp], workspaceTimeZone: utc)
        let users = (0..<count).map { UserID("u\($0)") }
        for user in users { try temporary.store.save(User(id: user, addresses: [.push: "token-\(user)"])) }
        _ = try temporary.store.ingest(users.map { interact(.pushOpened, "T", user: $0, at: scenarioStart) }, engine: engine, now: scenarioStart)
        return (temporary, engine)
    }

    @Test("R18: a rate limit holds back sends planned earlier in the same run, not only those already in the outbox")
    func R18_rateLimitWithinOneRun() throws {
        let (temporary, engine) = try waitingUsers(5) { $0.rateLimitPerMinute = 2 }
        let scheduler = try Scheduler(store: temporary.store, planner: SendPlanner(workspaceTimeZone: utc))
        let due = scenarioStart.addingTimeInterval(3600)
        let outcomes = try scheduler.runDue(at: due, engine: engine)
        #expect(outcomes.count == 5)
        #expect(try temporary.store.outbox().count == 2)
        let held = try (0..<5).flatMap { try temporary.store.waitingEntries(for: UserID("u\($0)")) }
        #expect(held.count == 3)
        #expect(held.allSatisfy { $0.dueAt == due.addingTimeInterval(60) }, "held until the next minute")

        // The next minute's run sends two more: the limit counts the outbox per minute.
        try scheduler.runDue(at: due.addingTimeInterval(60), engine: engine)
        #expect(try temporary.store.outbox().count == 4)
    }

    @Test("R25: running the same due entries twice (a crash before the entries were removed) queues each dispatch once")
    func R25_rerunQueuesOnce() throws {
        let (temporary, engine) = try waitingUsers(3)
        let due = scenarioStart.addingTimeInterval(3600)
        let entries = try temporary.store.dueEntries(at: due, limit: 10)
        let planner = SendPlanner(workspaceTimeZone: utc)
        let completions = try entries.map { entry in
            Completion(entry: entry, outcome: planner.plan(entry, campaign: try #require(engine.campaigns["F"]),
                                                           user: try temporary.store.user(entry.userID), now: due))
        }
        try temporary.store.complete(completions, now: due)
        try temporary.store.complete(completions, now: due)
        #expect(try temporary.store.outbox().count == 3)
        #expect(Set(try temporary.store.outbox().map(\.idempotencyKey)).count == 3)
        #expect(try temporary.store.dueEntries(at: due, limit: 10).isEmpty)
    }

    @Test("R17: control-group users get no dispatch; their enrolment is ingested as an event in the same run")
    func R17_controlEnrolmentIngested() throws {
        let (temporary, engine) = try waitingUsers(40) { $0.controlGroupPercent = 50 }
        let outcomes = try Scheduler(store: temporary.store, planner: SendPlanner(workspaceTimeZone: utc))
            .runDue(at: scenarioStart.addingTimeInterval(3600), engine: engine)
        let controls = outcomes.filter { if case .control = $0 { return true } else { return false } }.count
        #expect(controls > 0 && controls < 40, "a deterministic split, not all or nothing")
        #expect(try temporary.store.outbox().count == 40 - controls)
        // The enrolment events are stored: ingesting them again is a duplicate (R25).
        let enrolments = outcomes.compactMap { outcome -> Event? in
            if case .control(let event) = outcome { return event }
            return nil
        }
        let again = try temporary.store.ingest(enrolments, engine: engine, now: scenarioStart.addingTimeInterval(3600))
        #expect(again.duplicates.count == controls)
    }
}
