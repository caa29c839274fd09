import ConnectorCore
import Foundation
import Testing

@Suite("Publishing, stopping, resuming and archiving (R4, R8, R13, R26)")
struct CampaignLifecycleTests {
    let draft = StatusHistory()

    @Test("R26: publishing an original whose follow-up is a draft succeeds with a warning naming the follow-up")
    func R26_publishOriginalBeforeFollowUp() throws {
        let originalDraft = Campaign(id: "T", history: draft, channels: [.push], messages: pushMessage)
        let change = try CampaignLifecycle.change("T", to: .active, at: monday, among: [originalDraft, followUp(history: draft)])
        #expect(change.campaign.history.publishedTime(covering: monday) == monday)
        #expect(change.warnings.map(\.field) == ["status"])
        #expect(change.warnings.first?.message.contains("follow-up F is still a draft") == true)
    }

    @Test("R26: a follow-up can be published while its original is still a draft (follow-ups first)")
    func R26_followUpFirst() throws {
        let originalDraft = Campaign(id: "T", history: draft, channels: [.push], messages: pushMessage)
        let change = try CampaignLifecycle.change("F", to: .active, at: monday, among: [originalDraft, followUp(history: draft)])
        #expect(change.campaign.history.current == .active)
        #expect(change.warnings.isEmpty)
    }

    @Test("R4: a follow-up of a campaign that does not exist is refused, with the field and the rule")
    func R4_unknownTargetRefused() {
        #expect {
            try CampaignLifecycle.change("F", to: .active, at: monday, among: [original, followUp(history: draft, target: "GONE")])
        } throws: { error in
            let refusal = error as? CampaignLifecycle.Refusal
            return refusal?.issues.map(\.field) == ["trigger.campaign"]
                && refusal?.description.contains("no campaign 'GONE' exists to follow up (R4)") == true
        }
    }

    @Test("R13: exceptions without a delay are refused at publish, not found at send time")
    func R13_exceptionsWithoutDelayRefused() {
        let immediate = followUp(delay: .immediate, exceptions: [.purchase(productID: nil)], history: draft)
        #expect(throws: CampaignLifecycle.Refusal.self) {
            try CampaignLifecycle.change("F", to: .active, at: monday, among: [original, immediate])
        }
    }

    @Test("R8: publishing the follow-up that closes a loop warns about the loop; publishing an unrelated campaign does not")
    func R8_cycleWarningOnlyForItsMembers() throws {
        let campaigns = [original, followUp("F1", target: "F2"), followUp("F2", history: draft, target: "F1"), followUp("F3", history: draft)]
        let closing = try CampaignLifecycle.change("F2", to: .active, at: monday, among: campaigns)
        #expect(closing.warnings.count == 1)
        #expect(closing.warnings.first?.related == ["F1", "F2"])
        #expect(try CampaignLifecycle.change("F3", to: .active, at: monday, among: campaigns).warnings.isEmpty)
    }

    @Test("stop, resume and archive follow the lifecycle; other moves are refused with the allowed ones named")
    func transitions() throws {
        var campaigns = [original, followUp()]
        let stopped = try CampaignLifecycle.change("F", to: .stopped, at: monday, among: campaigns)
        campaigns[1] = stopped.campaign
        let resumed = try CampaignLifecycle.change("F", to: .active, at: at(hour), among: campaigns)
        #expect(resumed.campaign.history.publishedTime(covering: at(2 * hour)) == at(hour), "a resume is a new publish time (R3)")
        campaigns[1] = try CampaignLifecycle.change("F", to: .archived, at: at(2 * hour), among: [original, resumed.campaign]).campaign

        #expect(throws: CampaignLifecycle.Refusal.self) { try CampaignLifecycle.change("F", to: .active, at: at(3 * hour), among: campaigns) }
        #expect {
            try CampaignLifecycle.change("D", to: .stopped, at: monday, among: [Campaign(id: "D", history: draft)])
        } throws: { error in
            (error as? CampaignLifecycle.Refusal)?.description.contains("D is draft; it cannot become stopped") == true
        }
        #expect(throws: CampaignLifecycle.Refusal.self) {
            try CampaignLifecycle.change("T", to: .stopped, at: at(-30 * day), among: [original])
        }
        #expect(throws: CampaignLifecycle.Refusal.self) { try CampaignLifecycle.change("NOPE", to: .active, at: monday, among: [original]) }
    }

    @Test("R4: archiving a campaign that active follow-ups target warns that they will never trigger again")
    func R4_archiveTargetWarns() throws {
        let change = try CampaignLifecycle.change("T", to: .archived, at: monday, among: [original, followUp("F1"), followUp("F2", history: draft)])
        #expect(change.warnings.map(\.campaign) == ["F1", "F2"])
        #expect(change.warnings.first?.message.contains("will never trigger again (R4)") == true)
    }
}
