import ConnectorCore
import Foundation
import Testing

@Suite("Triggering (R1-R8)")
struct TriggeringTests {
    /// What the spec's R1 table says a kind's detail does on a trigger.
    enum SpecDetail: Sendable {
        /// The kind carries no detail.
        case noDetail
        /// A trigger may name one to narrow itself (button id, URL, page id, card id, ...).
        case narrows
        /// A trigger must name one (the link alias of `email_alias_clicked`).
        case required
    }

    @Test("R1: all 19 interaction kinds of the spec's table, each with its stable snake_case name and its detail")
    func R1_interactionKinds() throws {
        // The spec's R1 table, row by row: kind, name, detail, and a detail such an event can carry.
        let table: [(kind: InteractionKind, name: String, detail: SpecDetail, sample: String?)] = [
            (.inAppMessageViewed, "in_app_message_viewed", .noDetail, nil),
            (.inAppMessageClicked, "in_app_message_clicked", .noDetail, nil),
            (.inAppMessageButtonClicked, "in_app_message_button_clicked", .narrows, "2"),
            (.emailClicked, "email_clicked", .narrows, "https://example.com/sale"),
            (.emailAliasClicked, "email_alias_clicked", .required, "spring-sale"),
            (.emailOpened, "email_opened", .narrows, "machine"),
            (.pushOpened, "push_opened", .noDetail, nil),
            (.pushButtonClicked, "push_button_clicked", .narrows, "accept"),
            (.pushStoryPageClicked, "push_story_page_clicked", .narrows, "page-3"),
            (.conversionPerformed, "conversion_performed", .narrows, "0"),
            (.emailReceived, "email_received", .noDetail, nil),
            (.smsReceived, "sms_received", .noDetail, nil),
            (.smsLinkClicked, "sms_link_clicked", .narrows, "s1"),
            (.pushReceived, "push_received", .noDetail, nil),
            (.webhookReceived, "webhook_received", .noDetail, nil),
            (.controlGroupEnrolled, "control_group_enrolled", .noDetail, nil),
            (.contentCardViewed, "content_card_viewed", .narrows, "card-7"),
            (.contentCardClicked, "content_card_clicked", .narrows, "card-7"),
            (.contentCardDismissed, "content_card_dismissed", .narrows, "card-7"),
        ]
        #expect(table.count == 19)
        #expect(InteractionKind.allCases.count == 19)
        #expect(Set(table.map { $0.kind }) == Set(InteractionKind.allCases), "the engine knows exactly the kinds of the table")
        #expect(Set(table.map { $0.name }).count == 19, "names are unique")

        for row in table {
            // The stable name, in events, campaign files and JSON.
            #expect(row.kind.rawValue == row.name)
            #expect(InteractionKind(rawValue: row.name) == row.kind, "\(row.name)")
            let encoded = try JSONEncoder().encode(row.kind)
            #expect(String(decoding: encoded, as: UTF8.self) == "\"\(row.name)\"")
            let decoded = try JSONDecoder().decode(InteractionKind.self, from: Data("\"\(row.name)\"".utf8))
            #expect(decoded == row.kind, "\(row.name)")

            // Only the alias of email_alias_clicked is required, on triggers and on events.
            #expect(row.kind.triggerRequiresDetail == (row.detail == .required), "\(row.name)")
            let bareTrigger = Campaign(id: "F", trigger: Trigger(kind: row.kind, target: "T"))
            let detailIssues = CampaignValidator.validate([original, bareTrigger]).filter { $0.field == "trigger.detail" }
            #expect(detailIssues.count == (row.detail == .required ? 1 : 0), "\(row.name): \(detailIssues)")
            let bare = try? EventJSON.event(json: #"{"id":"e","user_id":"a","time":0,"type":"interaction","kind":"\#(row.name)","campaign":"T"}"#)
            #expect(bare?.payload == (row.detail == .required ? nil : Event.Payload.interaction(Interaction(kind: row.kind, campaign: "T"))),
                    "\(row.name) without a detail")

            // R2: a detail the kind carries narrows a trigger to it; a trigger without one matches any.
            let anyDetail = Trigger(kind: row.kind, target: "T")
            #expect(anyDetail.matches(Interaction(kind: row.kind, campaign: "T", detail: row.sample)), "\(row.name)")
            let connector = engine(followUp(on: row.kind, detail: row.sample))
            #expect(connector.followUps(of: row.kind, on: "T") == ["F"], "\(row.name)")
            #expect(connector.decide(interaction(row.kind, detail: row.sample, time: monday), state: UserState(), now: monday).first?.entry != nil,
                    "\(row.name)")
            if let sample = row.sample {
                #expect(row.detail != .noDetail, "\(row.name)")
                let json = #"{"id":"e","user_id":"a","time":0,"type":"interaction","kind":"\#(row.name)","campaign":"T","detail":"\#(sample)"}"#
                let withDetail = try? EventJSON.event(json: json)
                #expect(withDetail?.payload == .interaction(Interaction(kind: row.kind, campaign: "T", detail: sample)), "\(row.name)")
                let narrowed = Trigger(kind: row.kind, target: "T", detail: sample)
                #expect(narrowed.matches(Interaction(kind: row.kind, campaign: "T", detail: sample)), "\(row.name)")
                #expect(!narrowed.matches(Interaction(kind: row.kind, campaign: "T", detail: "other")), "\(row.name)")
                #expect(connector.decide(interaction(row.kind, detail: "other", time: monday), state: UserState(), now: monday).isEmpty,
                        "\(row.name): another detail does not match")
            } else {
                #expect(row.detail == .noDetail, "\(row.name)")
            }
        }
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
        #expect(whileStopped.first?.reason.code == .followUpInactiveAtTrigger)
        #expect(whileStopped.first?.reason.text.contains("was not active") == true)
        let afterResume = engine.decide(interaction(.pushOpened, time: at(-30 * 60)), state: UserState(), now: monday)
        #expect(afterResume.first?.entry != nil)
        // An event of the first active period that arrives after the resume does not count:
        // only events inside the current active period do.
        let lateFromFirstPeriod = engine.decide(interaction(.pushOpened, time: at(-36 * hour)), state: UserState(), now: monday)
        #expect(lateFromFirstPeriod.first?.isSkip == true)
        #expect(lateFromFirstPeriod.first?.reason.code == .earlierActivePeriod)
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
        #expect(fromArchived.first?.reason.code == .targetNotActive)
        #expect(fromArchived.first?.reason.text.contains("archived") == true)
    }

    @Test("R5: users outside the audience at trigger time are skipped with the reason")
    func R5_audience() {
        let audienceEngine = engine(followUp(audience: .attribute("plan", .equals(.string("pro")))))
        let free = UserState(user: User(id: "u1", attributes: ["plan": .string("free")]))
        let decisions = audienceEngine.decide(interaction(.pushOpened, time: monday), state: free, now: monday)
        #expect(decisions.first?.isSkip == true)
        #expect(decisions.first?.reason == DecisionReason(.notInAudience, #"skipped: not in audience (attribute plan = free fails equals "pro")"#))
        let excluded = engine(followUp(audience: .all([.reachable(.push), .not(.attribute("orders", .atLeast(3)))])))
        let buyer = UserState(user: User(id: "u1", attributes: ["orders": .number(5)], addresses: [.push: "t"]))
        #expect(excluded.decide(interaction(.pushOpened, time: monday), state: buyer, now: monday).first?.reason
                == DecisionReason(.notInAudience, "skipped: not in audience (matches an excluded condition (orders >= 3))"))
        let pro = UserState(user: User(id: "u1", attributes: ["plan": .string("pro")]))
        #expect(audienceEngine.decide(interaction(.pushOpened, time: monday), state: pro, now: monday).first?.entry != nil)
    }

    @Test("R5: the per-campaign flag decides whether the audience is checked again at send time; unset, it is on exactly when there is a delay")
    func R5_recheckAudienceAtSend() throws {
        let proOnly: Segment = .attribute("plan", .equals(.string("pro")))
        let pro = User(id: "u1", attributes: ["plan": .string("pro")], addresses: [.push: "tok"])
        var downgraded = pro
        downgraded.attributes["plan"] = .string("free")
        let planner = SendPlanner(workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        // (delay, flag, whether the audience is checked again when the entry is due)
        let cases: [(delay: ScheduleDelay, flag: Bool?, rechecks: Bool)] = [
            (.relative(seconds: 3600), nil, true),
            (.relative(seconds: 3600), true, true),
            (.relative(seconds: 3600), false, false),
            (.immediate, nil, false),
            (.immediate, true, true),
            (.immediate, false, false),
        ]
        for (delay, flag, rechecks) in cases {
            var campaign = followUp(delay: delay, audience: proOnly)
            campaign.recheckAudienceAtSend = flag
            let flagText = flag.map { "\($0)" } ?? "unset"
            let label = "delay \(delay), flag \(flagText)"
            #expect(campaign.rechecksAudience == rechecks, "\(label)")
            // In the audience at trigger time: scheduled.
            let connector = engine(campaign)
            let entry = try #require(connector.decide(interaction(.pushOpened, time: monday), state: UserState(user: pro), now: monday).first?.entry)
            // Out of it when the entry is due: skipped with the reason only when the flag says to check again.
            let sent: SendOutcome = .send([Dispatch(entry: entry, channel: .push, campaignVersion: campaign.version, createdAt: entry.dueAt)], skippedChannels: [:])
            let expected: SendOutcome = rechecks
                ? .skip(reason: DecisionReason(.leftAudience, #"skipped: no longer in audience (attribute plan = free fails equals "pro")"#))
                : sent
            #expect(planner.plan(entry, campaign: campaign, user: downgraded, now: entry.dueAt) == expected, "\(label)")
            // Still in it: sent either way.
            #expect(planner.plan(entry, campaign: campaign, user: pro, now: entry.dueAt) == sent, "\(label)")
        }
    }

    @Test("R6: one pending entry; a repeated trigger is ignored unless it is an exception, which restarts the wait")
    func R6_onePendingEntry() throws {
        let plain = engine(followUp())
        let first = try #require(plain.decide(interaction(.pushOpened, time: monday), state: UserState(), now: monday).first?.entry)
        let again = plain.decide(interaction(.pushOpened, time: at(10 * 60)), state: UserState(waiting: [first]), now: at(10 * 60))
        #expect(again.count == 1 && again[0].isSkip)
        #expect(again[0].reason.code == .alreadyWaiting && again[0].reason.text.contains("already waiting"))

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

    @Test("R8: a control-group enrolment triggers the follow-ups on control_group_enrolled, not those on receipts")
    func R8_controlEnrolmentTriggers() throws {
        var held = followUp("F1")  // an hour after T's push is opened
        held.controlGroupPercent = 100
        let onControl = followUp("F2", on: .controlGroupEnrolled, target: "F1")
        let onReceipt = followUp("F3", on: .pushReceived, target: "F1")
        let connector = engine(held, onControl, onReceipt)
        let entry = try #require(connector.decide(interaction(.pushOpened, time: monday), state: UserState(), now: monday).first?.entry)
        #expect(entry.followUp == "F1")
        let planner = SendPlanner(workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        guard case .control(let enrolled) = planner.plan(entry, campaign: held, user: User(id: "u1", addresses: [.push: "tok"]), now: entry.dueAt) else {
            Issue.record("expected the user in the control group (100%)")
            return
        }
        #expect(enrolled.payload == .interaction(Interaction(kind: .controlGroupEnrolled, campaign: "F1")))
        #expect(connector.mayTrigger(enrolled))
        let decisions = connector.decide(enrolled, state: UserState(), now: entry.dueAt)
        #expect(decisions.count == 1, "\(decisions)")
        let next = try #require(decisions.first?.entry)
        #expect(next.followUp == "F2")
        #expect(next.userID == "u1")
        #expect(next.triggerEventID == enrolled.id)
        #expect(next.dueAt == entry.dueAt.addingTimeInterval(hour))
    }
}
