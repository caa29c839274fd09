import ConnectorCore
import ConnectorStore
import Foundation
import Testing

/// The wait queue through the store's API: claims, leases, settling, and the send-time rules
/// (R16-R21) counted in the settling transaction. Each test names the rule it holds.
@Suite("Wait queue and scheduler (R16-R21, R25)")
struct SchedulerTests {
    static let hour: TimeInterval = 3600
    let due = scenarioStart.addingTimeInterval(hour)

    /// A store with T and a follow-up F (push on T, 1 h delay), `count` users who opened T
    /// at the scenario's start, all due at `due`.
    func waitingUsers(_ kind: StoreKind, _ count: Int, channels: [Channel] = [.push], configure: (inout Campaign) -> Void = { _ in }) async throws -> StoreUnderTest {
        let temporary = try await StoreUnderTest.make(kind)
        var followUp = active("F", channels: channels)
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        followUp.exceptions = [.purchase(productID: nil)]
        configure(&followUp)
        try await temporary.store.install(active("T"))
        try await temporary.store.install(followUp)
        let users = (0..<count).map { UserID("u\($0)") }
        try await temporary.store.save(users.map { User(id: $0, addresses: [.push: "token-\($0)", .email: "\($0)@example.com"]) })
        let report = try await temporary.store.ingest(users.map { interact(.pushOpened, "T", user: $0, at: scenarioStart) }, now: scenarioStart)
        #expect(report.decisions.compactMap(\.entry).count == count)
        return temporary
    }

    func sends(_ settlements: [Settlement]) -> Int {
        settlements.filter { if case .settled(.send) = $0.result { return true } else { return false } }.count
    }

    @Test("claims: an entry is claimed by one worker; an expired lease is claimable again; a settlement names its entry", arguments: StoreKind.allCases)
    func claimsAndLeases(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 3)
        let store = temporary.store
        let first = try await store.claimDue(at: due, worker: "a", lease: 60, limit: 2)
        #expect(first.count == 2)
        let second = try await store.claimDue(at: due.addingTimeInterval(30), worker: "b", lease: 60, limit: 10)
        #expect(second.count == 1 && !first.contains(second[0]), "the third entry only: the others are held")
        #expect(try await store.claimDue(at: due.addingTimeInterval(45), worker: "c", lease: 60, limit: 10).isEmpty)
        // a's lease runs out: c takes its entries over, and a can no longer settle them.
        let taken = try await store.claimDue(at: due.addingTimeInterval(61), worker: "c", lease: 60, limit: 10)
        #expect(Set(taken.map(\.id)) == Set(first.map(\.id)))
        let late = try await store.settle(first, worker: "a", now: due.addingTimeInterval(62))
        #expect(late.map(\.result) == [.notHeld, .notHeld])
        let settled = try await store.settle(taken, worker: "c", now: due.addingTimeInterval(62))
        #expect(settled.map(\.entry) == taken)
        #expect(sends(settled) == 2)
        #expect(try await store.dispatches().count == 2, "a settled nothing")
    }

    @Test("R13 + claims: an exception that lands between the claim and the settle sends nothing", arguments: StoreKind.allCases)
    func exceptionBetweenClaimAndSettle(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 1)
        let store = temporary.store
        let claimed = try await store.claimDue(at: due, worker: "w", lease: 60, limit: 10)
        #expect(claimed.count == 1)
        _ = try await store.ingest([makeEvent(.purchase(productID: "sku", price: 1, currency: "EUR", quantity: 1), user: "u0", at: due.addingTimeInterval(-1))],
                             now: due)
        let settled = try await store.settle(claimed, worker: "w", now: due)
        #expect(settled.map(\.result) == [.notHeld])
        #expect(try await store.dispatches().isEmpty)
        #expect(try await store.trace(for: "u0").map(\.action) == [.scheduled, .cancelled])
    }

    @Test("R6 + claims: a restart that lands between the claim and the settle sends nothing for the old entry and keeps the new one", arguments: StoreKind.allCases)
    func restartBetweenClaimAndSettle(_ kind: StoreKind) async throws {
        // The follow-up restarts its wait on its own trigger (the trigger is an exception).
        let temporary = try await waitingUsers(kind, 1) { $0.exceptions = [.interaction(kind: .pushOpened, campaign: "T", detail: nil)] }
        let store = temporary.store
        let claimed = try await store.claimDue(at: due, worker: "w", lease: 60, limit: 10)
        let again = due.addingTimeInterval(-10)
        _ = try await store.ingest([interact(.pushOpened, "T", user: "u0", at: again)], now: due)
        #expect(try await store.settle(claimed, worker: "w", now: due).map(\.result) == [.notHeld])
        #expect(try await store.dispatches().isEmpty)
        #expect(try await store.waitingEntries(for: "u0").map(\.triggerTime) == [again], "the restarted entry waits")
    }

    @Test("R16: a stop cancels waiting entries for good, claimed or not, in the stop's transaction; a resume starts clean", arguments: StoreKind.allCases)
    func stopCancelsWaiting(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 3)
        let store = temporary.store
        let claimed = try await store.claimDue(at: due, worker: "w", lease: 60, limit: 1)
        let stop = scenarioStart.addingTimeInterval(600)
        _ = try await store.changeStatus(of: "F", to: .stopped, at: stop)
        #expect(try await store.waitingEntries(WaitingFilter(followUp: "F")).isEmpty)
        #expect(try await store.trace(for: "u1").last?.reason.code == .campaignStopped)
        #expect(try await store.settle(claimed, worker: "w", now: due).map(\.result) == [.notHeld])
        // Resumed: a new trigger schedules (nothing left behind to say "already waiting") and is sent.
        let resume = scenarioStart.addingTimeInterval(1200)
        _ = try await store.changeStatus(of: "F", to: .active, at: resume)
        let report = try await store.ingest([interact(.pushOpened, "T", user: "u1", at: resume.addingTimeInterval(60))], now: resume.addingTimeInterval(60))
        #expect(report.decisions.map(\.reason.code) == [.scheduled])
        let settled = try await Scheduler(store: store, worker: "s").runDue(at: resume.addingTimeInterval(60 + Self.hour))
        #expect(sends(settled) == 1)
        #expect(try await store.dispatches().map(\.userID) == ["u1"])
    }

    @Test("R3: after a stop and a resume, a late event from the first active period does not schedule, and the user's new trigger does", arguments: StoreKind.allCases)
    func lateEventFromEarlierPeriod(_ kind: StoreKind) async throws {
        let temporary = try await StoreUnderTest.make(kind)
        let store = temporary.store
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        try await store.install(active("T"))
        try await store.install(followUp)  // active since 7 days before the start
        _ = try await store.changeStatus(of: "F", to: .stopped, at: scenarioStart)
        let resume = scenarioStart.addingTimeInterval(Self.hour)
        _ = try await store.changeStatus(of: "F", to: .active, at: resume)
        let late = try await store.ingest([interact(.pushOpened, "T", user: "u1", at: scenarioStart.addingTimeInterval(-600))], now: resume.addingTimeInterval(60))
        #expect(late.decisions.map(\.reason.code) == [.earlierActivePeriod])
        let fresh = try await store.ingest([interact(.pushOpened, "T", user: "u1", at: resume.addingTimeInterval(120))], now: resume.addingTimeInterval(120))
        #expect(fresh.decisions.map(\.reason.code) == [.scheduled], "nothing from the first period stands in the way")
    }

    @Test("R18: a rate limit counts what this settle dispatched; a hold keeps the first due time and the entry is dropped after the limit", arguments: StoreKind.allCases)
    func rateLimitAndHoldLimit(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 5) {
            $0.rateLimitPerMinute = 2
            $0.maxHoldSeconds = 180
        }
        let store = temporary.store
        let scheduler = Scheduler(store: store, worker: "s")
        let first = try await scheduler.runDue(at: due)
        #expect(first.count == 5)
        #expect(sends(first) == 2)
        let held = try await store.waitingEntries(WaitingFilter(followUp: "F"))
        #expect(held.count == 3)
        #expect(held.allSatisfy { $0.dueAt == due.addingTimeInterval(60) && $0.firstDueAt == due }, "held to the next minute; first due kept")
        // The next minute sends two more (the limit counts this minute's dispatches), the one after the last.
        #expect(sends(try await scheduler.runDue(at: due.addingTimeInterval(60))) == 2)
        #expect(try await store.waitingEntries(WaitingFilter(followUp: "F")).map(\.firstDueAt) == [due])
        #expect(sends(try await scheduler.runDue(at: due.addingTimeInterval(120))) == 1)
        #expect(try await store.dispatches().count == 5)
    }

    @Test("R18: an entry held over and over is dropped once held longer than the limit from its first due time", arguments: StoreKind.allCases)
    func heldTooLong(_ kind: StoreKind) async throws {
        // One send a minute and two users: the second is held each minute while more users arrive ahead of it.
        let temporary = try await waitingUsers(kind, 2) {
            $0.rateLimitPerMinute = 1
            $0.maxHoldSeconds = 150
        }
        let store = temporary.store
        // Fill every minute with another user's dispatch so u1 never gets a slot.
        var codes: [DecisionReason.Code] = []
        for minute in 0..<5 {
            let now = due.addingTimeInterval(Double(minute) * 60)
            if minute > 0 {
                let filler = UserID("filler\(minute)")
                try await store.save(User(id: filler, addresses: [.push: "t"]))
                _ = try await store.ingest([interact(.pushOpened, "T", user: filler, at: now.addingTimeInterval(-Self.hour - 1))], now: now.addingTimeInterval(-Self.hour - 1))
            }
            let settled = try await Scheduler(store: store, worker: "s").runDue(at: now)
            for settlement in settled where settlement.entry.userID == "u1" {
                if case .settled(.hold(_, let reason)) = settlement.result { codes.append(reason.code) }
                if case .settled(.skip(let reason)) = settlement.result { codes.append(reason.code) }
                if case .settled(.send) = settlement.result { codes.append(.dispatched) }
            }
        }
        #expect(codes.last == .heldTooLong, "\(codes)")
        #expect(!codes.contains(.dispatched))
        #expect(codes.filter { $0 == .rateLimited }.count >= 2, "held a few times first: \(codes)")
    }

    @Test("R17: a control-group enrolment is written in the settling transaction, and can trigger follow-ups (R8)", arguments: StoreKind.allCases)
    func controlEnrolmentAtomic(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 40) { $0.controlGroupPercent = 50 }
        let store = temporary.store
        // A follow-up on the enrolment itself.
        var onControl = active("C")
        onControl.trigger = Trigger(kind: .controlGroupEnrolled, target: "F")
        try await store.install(onControl)
        let settled = try await Scheduler(store: store, worker: "s").runDue(at: due)
        let controls = settled.compactMap { settlement -> Event? in
            if case .settled(.control(let event)) = settlement.result { return event }
            return nil
        }
        #expect(controls.count > 0 && controls.count < 40, "a deterministic split, not all or nothing")
        #expect(try await store.dispatches().count == 40 - controls.count)
        // The enrolment events are stored (ingesting them again is a duplicate, R25) and were decided on.
        #expect(try await store.ingest(controls, now: due).duplicates.count == controls.count)
        let controlled = controls[0].userID
        #expect(try await store.trace(for: controlled).map(\.action) == [.scheduled, .control, .scheduled])
        #expect(try await store.waitingEntries(for: controlled).map(\.followUp) == ["C"])
    }

    /// A store with T, T2 and follow-ups on them, and user u with a push token and an email address.
    func capsWorld(_ kind: StoreKind, _ caps: [FrequencyCap], followUps: [(CampaignID, CampaignID, [Channel])]) async throws -> StoreUnderTest {
        let temporary = try await StoreUnderTest.make(kind)
        let store = temporary.store
        try await store.save(WorkspaceSettings(timeZone: "UTC", frequencyCaps: caps))
        try await store.install(active("T"))
        try await store.install(active("T2"))
        for (id, target, channels) in followUps {
            var followUp = active(id, channels: channels)
            followUp.trigger = Trigger(kind: .pushOpened, target: target)
            followUp.reEligibility = .after(seconds: 0)
            try await store.install(followUp)
        }
        try await store.save(User(id: "u", addresses: [.push: "tok", .email: "u@example.com"]))
        return temporary
    }

    func click(_ target: CampaignID, at time: Date, _ store: any Store) async throws -> [Settlement] {
        _ = try await store.ingest([interact(.pushOpened, target, user: "u", at: time)], now: time)
        return try await Scheduler(store: store, worker: "s").runDue(at: time)
    }

    @Test("R19: a per-channel cap counts the dispatches of the same settle: two immediate follow-ups of one click, one push", arguments: StoreKind.allCases)
    func capCountsThisSettle(_ kind: StoreKind) async throws {
        let temporary = try await capsWorld(kind, [FrequencyCap(channel: .push, maximum: 1, period: .days(1))],
                                      followUps: [("A", "T", [.push, .email]), ("B", "T", [.push, .email])])
        _ = try await click("T", at: scenarioStart, temporary.store)
        let sent = try await temporary.store.dispatches()
        #expect(sent.filter { $0.channel == .push }.count == 1, "the second push is capped: the first was dispatched in the same transaction")
        #expect(sent.filter { $0.channel == .email }.count == 2, "email is not capped")
        // The next day (UTC, the user has no zone) the cap is free again.
        _ = try await click("T", at: scenarioStart.addingTimeInterval(86_400), temporary.store)
        #expect(try await temporary.store.dispatches().filter { $0.channel == .push }.count == 2)
    }

    @Test("R19: a cap on any channel over 10 weeks counts dispatches older than 60 days, and lets go after 70", arguments: StoreKind.allCases)
    func capOverWeeks(_ kind: StoreKind) async throws {
        let temporary = try await capsWorld(kind, [FrequencyCap(channel: nil, maximum: 2, period: .weeks(10))],
                                      followUps: [("A", "T", [.push, .email]), ("W", "T2", [.email])])
        _ = try await click("T", at: scenarioStart, temporary.store)  // two dispatches: push and email
        let capped = try await click("T2", at: scenarioStart.addingTimeInterval(65 * 86_400), temporary.store)
        let codes = capped.compactMap(\.outcome).map { outcome -> DecisionReason.Code in
            if case .skip(let reason) = outcome { return reason.code }
            return .dispatched
        }
        #expect(codes == [.frequencyCapped])
        let free = try await click("T2", at: scenarioStart.addingTimeInterval(71 * 86_400), temporary.store)
        #expect(sends(free) == 1)
    }

    @Test("R19: a cap in minutes: one email per 30 minutes", arguments: StoreKind.allCases)
    func capInMinutes(_ kind: StoreKind) async throws {
        let temporary = try await capsWorld(kind, [FrequencyCap(channel: .email, maximum: 1, period: .minutes(30))], followUps: [("W", "T2", [.email])])
        #expect(sends(try await click("T2", at: scenarioStart, temporary.store)) == 1)
        #expect(sends(try await click("T2", at: scenarioStart.addingTimeInterval(600), temporary.store)) == 0)
        #expect(sends(try await click("T2", at: scenarioStart.addingTimeInterval(1900), temporary.store)) == 1)
    }

    @Test("R20: quiet hours follow the campaign's 'use the workspace time zone' setting, with the zone stored in the workspace settings", arguments: StoreKind.allCases)
    func quietHoursInWorkspaceZone(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 1) {
            $0.quietHours = QuietHours(startHour: 9, endHour: 12)
            $0.useWorkspaceTimeZone = true
        }
        let store = temporary.store
        try await store.save(User(id: "u0", timeZone: "Asia/Tokyo", addresses: [.push: "tok"]))
        // Due at 11:00 UTC: 20:00 in Tokyo (outside 9-12), 11:00 in Lisbon, the workspace's zone (inside).
        try await store.save(WorkspaceSettings(timeZone: "Europe/Lisbon"))
        let settled = try await Scheduler(store: store, worker: "s").runDue(at: due)
        #expect(settled.count == 1)
        #expect(settled.compactMap(\.outcome).allSatisfy { if case .hold(_, let reason) = $0 { reason.code == .quietHours } else { false } }, "\(settled)")
        // With the workspace in Tokyo's zone too, it is not quiet there: sent.
        try await store.save(WorkspaceSettings(timeZone: "Asia/Tokyo"))
        let later = try await Scheduler(store: store, worker: "s").runDue(at: due.addingTimeInterval(3600))  // held until 12:00 Lisbon
        #expect(sends(later) == 1)
    }

    @Test("R21: the dispatch carries the follow-up's version at send time and its creation time", arguments: StoreKind.allCases)
    func currentVersionAtSend(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 1)
        let store = temporary.store
        var edited = try #require(try await store.campaigns().first { $0.id == "F" })
        edited.messages[.push] = content(.push, "New text {{ ${first_name} }}")
        let saved = try await store.save(edited)
        #expect(saved.version == 2)
        #expect(try await store.waitingEntries(for: "u0").map(\.campaignVersion) == [1])
        _ = try await Scheduler(store: store, worker: "s").runDue(at: due.addingTimeInterval(5))
        let item = try #require(try await store.outbox(OutboxFilter()).first)
        #expect(item.dispatch.campaignVersion == 2)
        #expect(item.dispatch.createdAt == due.addingTimeInterval(5))
        #expect(item.state == .queued)
    }

    @Test("saving a campaign again keeps its status history; the stored version's document follows status changes", arguments: StoreKind.allCases)
    func saveKeepsStatus(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 0)
        let store = temporary.store
        var fromFile = try #require(try await store.campaigns().first { $0.id == "F" })
        fromFile.history = StatusHistory()  // a campaign file without a status reads as a draft
        let saved = try await store.save(fromFile)
        #expect(saved.history.current == .active, "still live")
        let stopped = try await store.changeStatus(of: "F", to: .stopped, at: scenarioStart)
        let versions = try await store.campaignVersions(of: "F")
        #expect(versions.last?.history == stopped.campaign.history)
        // A new campaign is a draft whatever its file says; only changeStatus publishes.
        var published = active("N")
        published.history = StatusHistory([StatusChange(.active, at: scenarioStart)])
        #expect(try await store.save(published).history.current == .draft)
    }

    @Test("R25: settling the same claimed entries twice queues each dispatch once", arguments: StoreKind.allCases)
    func settleTwice(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 3)
        let store = temporary.store
        let claimed = try await store.claimDue(at: due, worker: "w", lease: 60, limit: 10)
        #expect(sends(try await store.settle(claimed, worker: "w", now: due)) == 3)
        #expect(try await store.settle(claimed, worker: "w", now: due).map(\.result) == [.notHeld, .notHeld, .notHeld])
        #expect(Set(try await store.dispatches().map(\.idempotencyKey)).count == 3)
        #expect(try await store.dispatches().count == 3)
    }

    @Test("two schedulers at once settle every due entry exactly once", arguments: StoreKind.allCases)
    func twoSchedulers(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 300)
        let store = temporary.store
        async let a = Scheduler(store: store, worker: "a").runAllDue(at: due, batch: 7)
        async let b = Scheduler(store: store, worker: "b").runAllDue(at: due, batch: 11)
        let (fromA, fromB) = try await (a, b)
        #expect(sends(fromA) + sends(fromB) == 300)
        #expect(Set(try await store.dispatches().map(\.userID)).count == 300)
        #expect(try await store.dispatches().count == 300)
    }

    @Test("release gives claims back at once (a graceful shutdown)", arguments: StoreKind.allCases)
    func releaseClaims(_ kind: StoreKind) async throws {
        let temporary = try await waitingUsers(kind, 2)
        let store = temporary.store
        let claimed = try await store.claimDue(at: due, worker: "w", lease: 3600, limit: 10)
        try await store.release(claimed, worker: "other")
        #expect(try await store.claimDue(at: due, worker: "x", lease: 60, limit: 10).isEmpty, "only the holder releases")
        try await store.release(claimed, worker: "w")
        #expect(try await store.claimDue(at: due, worker: "x", lease: 60, limit: 10).count == 2)
    }
}
