import ConnectorCore
import Foundation
import Testing

@Suite("Triggering (R1-R8)")
struct TriggeringTests {
    @Test("R1: all 19 interaction kinds have stable snake_case names")
    func R1_interactionKinds() throws {
        #expect(InteractionKind.allCases.count == 19)
        #expect(InteractionKind(rawValue: "content_card_dismissed") == .contentCardDismissed)
        #expect(InteractionKind.allCases.allSatisfy { $0.rawValue == $0.rawValue.lowercased() && !$0.rawValue.contains(" ") })
        let encoded = try JSONEncoder().encode(InteractionKind.emailAliasClicked)
        #expect(String(decoding: encoded, as: UTF8.self) == "\"email_alias_clicked\"")
    }

    @Test("R2: kind, target and detail must match; matching is by index")
    func R2_matching() {
        let engine = engine(followUp(on: .pushButtonClicked, detail: "2"))
        #expect(engine.decide(interaction(.pushButtonClicked, detail: "2", time: monday), state: UserState(), now: monday).first?.entry != nil)
        #expect(engine.decide(interaction(.pushButtonClicked, detail: "1", time: monday), state: UserState(), now: monday).isEmpty)
        #expect(engine.decide(interaction(.pushOpened, time: monday), state: UserState(), now: monday).isEmpty)
        #expect(engine.decide(interaction(.pushButtonClicked, on: "OTHER", detail: "2", time: monday), state: UserState(), now: monday).isEmpty)
        #expect(engine.followUps(of: .pushButtonClicked, on: "T") == ["F"])
    }

    @Test("R3: events before publish, or while stopped, never count, even when ingested later")
    func R3_publishRule() {
        var history = StatusHistory([StatusChange(.active, at: at(-2 * day))])
        history.record(.stopped, at: at(-day))
        history.record(.active, at: at(-hour))
        let engine = engine(followUp(history: history))
        let beforePublish = engine.decide(interaction(.pushOpened, time: at(-3 * day)), state: UserState(), now: monday)
        #expect(beforePublish.count == 1 && beforePublish[0].isSkip)
        let whileStopped = engine.decide(interaction(.pushOpened, time: at(-12 * hour)), state: UserState(), now: monday)
        #expect(whileStopped.first?.isSkip == true)
        #expect(whileStopped.first?.reason.contains("was not active") == true)
        let afterResume = engine.decide(interaction(.pushOpened, time: at(-30 * 60)), state: UserState(), now: monday)
        #expect(afterResume.first?.entry != nil)
    }

    @Test("R4: an archived target never triggers; a stopped one still does")
    func R4_targetStatus() {
        var stoppedHistory = activeSince(at(-7 * day))
        stoppedHistory.record(.stopped, at: at(-day))
        let stopped = Campaign(id: "S", history: stoppedHistory)
        var archivedHistory = activeSince(at(-7 * day))
        archivedHistory.record(.archived, at: at(-day))
        let archived = Campaign(id: "A", history: archivedHistory)
        let engine = ConnectorEngine(
            campaigns: [stopped, archived, followUp("F1", target: "S"), followUp("F2", target: "A")],
            workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        #expect(engine.decide(interaction(.pushOpened, on: "S", time: monday), state: UserState(), now: monday).first?.entry != nil)
        let fromArchived = engine.decide(interaction(.pushOpened, on: "A", time: monday), state: UserState(), now: monday)
        #expect(fromArchived.first?.isSkip == true)
        #expect(fromArchived.first?.reason.contains("archived") == true)
    }

    @Test("R5: users outside the audience at trigger time are skipped with the reason")
    func R5_audience() {
        let audienceEngine = engine(followUp(audience: .attribute("plan", .equals(.string("pro")))))
        let free = UserState(user: User(id: "u1", attributes: ["plan": .string("free")]))
        let decisions = audienceEngine.decide(interaction(.pushOpened, time: monday), state: free, now: monday)
        #expect(decisions.first?.isSkip == true)
        #expect(decisions.first?.reason == #"skipped: not in audience (attribute plan = free fails equals "pro")"#)
        let excluded = engine(followUp(audience: .all([.reachable(.push), .not(.attribute("orders", .atLeast(3)))])))
        let buyer = UserState(user: User(id: "u1", attributes: ["orders": .number(5)], addresses: [.push: "t"]))
        #expect(excluded.decide(interaction(.pushOpened, time: monday), state: buyer, now: monday).first?.reason
                == "skipped: not in audience (matches an excluded condition (orders >= 3))")
        let pro = UserState(user: User(id: "u1", attributes: ["plan": .string("pro")]))
        #expect(audienceEngine.decide(interaction(.pushOpened, time: monday), state: pro, now: monday).first?.entry != nil)
    }

    @Test("R6: one pending entry; a repeated trigger is ignored unless it is an exception, which restarts the wait")
    func R6_onePendingEntry() throws {
        let plain = engine(followUp())
        let first = try #require(plain.decide(interaction(.pushOpened, time: monday), state: UserState(), now: monday).first?.entry)
        let again = plain.decide(interaction(.pushOpened, time: at(10 * 60)), state: UserState(waiting: [first]), now: at(10 * 60))
        #expect(again.count == 1 && again[0].isSkip)
        #expect(again[0].reason.contains("already waiting"))

        let restarting = engine(followUp(exceptions: [.interaction(kind: .pushOpened, campaign: "T", detail: nil)]))
        let entry = try #require(restarting.decide(interaction(.pushOpened, time: monday), state: UserState(), now: monday).first?.entry)
        let restart = restarting.decide(interaction(.pushOpened, time: at(10 * 60)), state: UserState(waiting: [entry]), now: at(10 * 60))
        #expect(restart.count == 2)
        #expect(restart[0].isCancel)
        #expect(restart[1].entry?.dueAt == at(10 * 60 + hour))
    }

    @Test("R7: at most once by default; a re-eligibility window allows it again; cancelled entries leave the user eligible")
    func R7_reEligibility() {
        let once = engine(followUp())
        let received = UserState(lastReceipts: ["F": at(-2 * day)])
        #expect(once.decide(interaction(.pushOpened, time: monday), state: received, now: monday).first?.isSkip == true)

        let weekly = engine(followUp(reEligibility: .after(seconds: 7 * 86_400)))
        #expect(weekly.decide(interaction(.pushOpened, time: monday), state: received, now: monday).first?.isSkip == true)
        let longAgo = UserState(lastReceipts: ["F": at(-8 * day)])
        #expect(weekly.decide(interaction(.pushOpened, time: monday), state: longAgo, now: monday).first?.entry != nil)

        let everyTime = engine(followUp(reEligibility: .after(seconds: 0)))
        #expect(everyTime.decide(interaction(.pushOpened, time: monday), state: UserState(lastReceipts: ["F": at(-1)]), now: monday).first?.entry != nil)
        // Every time means every time: a receipt after the trigger (events out of order) does not block either,
        // so the store need not read receipts for such a follow-up.
        #expect(everyTime.decide(interaction(.pushOpened, time: monday), state: UserState(lastReceipts: ["F": at(60)]), now: monday).first?.entry != nil)
        #expect(!everyTime.needsLastReceipt("F") && once.needsLastReceipt("F") && weekly.needsLastReceipt("F"))
        // No receipt recorded (the earlier entry was cancelled): eligible.
        #expect(once.decide(interaction(.pushOpened, time: monday), state: UserState(), now: monday).first?.entry != nil)
    }

    @Test("R8: a follow-up's receipt can trigger the next one in a chain")
    func R8_chains() {
        let f1 = followUp("F1", delay: .immediate)
        let f2 = followUp("F2", on: .pushReceived, target: "F1")
        let engine = engine(f1, f2)
        #expect(engine.decide(interaction(.pushOpened, time: monday), state: UserState(), now: monday).first?.followUp == "F1")
        let receipt = interaction(.pushReceived, on: "F1", time: at(1))
        #expect(engine.decide(receipt, state: UserState(), now: at(1)).first?.entry?.followUp == "F2")
    }
}
