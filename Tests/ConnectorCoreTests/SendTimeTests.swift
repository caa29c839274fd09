import ConnectorCore
import Foundation
import Testing

@Suite("At send time (R16-R20, R24-R25)")
struct SendTimeTests {
    let planner = SendPlanner(workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
    let entry = WaitingEntry(followUp: "F", campaignVersion: 1, userID: "u1", triggerEventID: "e1", triggerTime: monday, dueAt: at(hour))
    let reachable = User(id: "u1", addresses: [.push: "tok", .email: "ada@example.com"])

    func campaign(_ configure: (inout Campaign) -> Void = { _ in }) -> Campaign {
        var campaign = followUp(delay: .relative(seconds: 3600))
        campaign.channels = [.push, .email]
        configure(&campaign)
        return campaign
    }

    @Test("R16: a stop while waiting cancels for good; window, audience and addresses are checked")
    func R16_sendTimeChecks() {
        guard case .send(let dispatches, _) = planner.plan(entry, campaign: campaign(), user: reachable, now: at(hour)) else {
            Issue.record("expected a send")
            return
        }
        #expect(dispatches.map(\.channel) == [.push, .email])

        let stoppedAndResumed = campaign { $0.history.record(.stopped, at: at(10 * 60)); $0.history.record(.active, at: at(20 * 60)) }
        #expect(planner.plan(entry, campaign: stoppedAndResumed, user: reachable, now: at(hour)) ==
            .skip(reason: DecisionReason(.stoppedWhileWaiting, "skipped: F was stopped while the user waited; resuming does not replay entries")))

        let windowed = campaign { $0.window = DateInterval(start: at(-day), end: at(30 * 60)) }
        guard case .skip(let windowReason) = planner.plan(entry, campaign: windowed, user: reachable, now: at(hour)) else {
            Issue.record("expected a skip outside the window")
            return
        }
        #expect(windowReason.code == .outsideWindow && windowReason.text.contains("outside the campaign window"))

        let proOnly = campaign { $0.audience = .attribute("plan", .equals(.string("pro"))) }
        guard case .skip(let audienceReason) = planner.plan(entry, campaign: proOnly, user: reachable, now: at(hour)) else {
            Issue.record("expected an audience skip (re-checked because the campaign has a delay)")
            return
        }
        #expect(audienceReason.code == .leftAudience && audienceReason.text.contains("no longer in audience"))

        var unsubscribed = reachable
        unsubscribed.subscriptions[.email] = .unsubscribed
        guard case .send(let pushOnly, let skipped) = planner.plan(entry, campaign: campaign(), user: unsubscribed, now: at(hour)) else {
            Issue.record("expected a push send")
            return
        }
        #expect(pushOnly.map(\.channel) == [.push])
        #expect(skipped[.email] == DecisionReason(.unsubscribed, "unsubscribed from email"))
        guard case .skip = planner.plan(entry, campaign: campaign(), user: User(id: "u1"), now: at(hour)) else {
            Issue.record("a user with no addresses is skipped")
            return
        }
    }

    @Test("R17: control groups are deterministic per (campaign, user), near the percentage, and enrol the user")
    func R17_controlGroup() {
        let users = (0..<10_000).map { UserID("user-\($0)") }
        let held = users.filter { ControlGroup.contains($0, campaign: "F", percent: 10) }
        #expect(held.count > 900 && held.count < 1100, "\(held.count) of 10,000 at 10%")
        #expect(held == users.filter { ControlGroup.contains($0, campaign: "F", percent: 10) })
        #expect(users.filter { ControlGroup.contains($0, campaign: "G", percent: 10) } != held, "other campaigns draw other users")
        #expect(!users.contains { ControlGroup.contains($0, campaign: "F", percent: 0) })

        let everyone = campaign { $0.controlGroupPercent = 100 }
        guard case .control(let enrolled) = planner.plan(entry, campaign: everyone, user: reachable, now: at(hour)) else {
            Issue.record("expected a control outcome")
            return
        }
        #expect(enrolled.payload == .interaction(Interaction(kind: .controlGroupEnrolled, campaign: "F")))
    }

    @Test("R18: sends over the per-minute cap wait for the next minute; held too long, they are dropped")
    func R18_rateLimit() {
        let limited = campaign { $0.rateLimitPerMinute = 100 }
        let now = at(hour + 30)
        #expect(planner.plan(entry, campaign: limited, user: reachable, now: now, sendsThisMinute: [.push: 100]) ==
            .hold(until: at(hour + 60), reason: DecisionReason(.rateLimited, "held: rate limit 100/min on push")))
        let late = at(hour + 73 * 3600)
        guard case .skip(let reason) = planner.plan(entry, campaign: limited, user: reachable, now: late, sendsThisMinute: [.push: 100]) else {
            Issue.record("expected a drop after 72 h")
            return
        }
        #expect(reason.code == .heldTooLong && reason.text.hasPrefix("dropped: held longer than 72 h"))
    }

    @Test("R18: the limit counts from the first due time, which holds never move")
    func R18_holdsKeepTheFirstDueTime() {
        let limited = campaign { $0.rateLimitPerMinute = 1 }
        // As the store hands it back after many holds: due again a minute ago, first due 72 h before.
        var held = entry
        held.dueAt = at(hour + 72 * 3600)
        held.firstDueAt = entry.dueAt
        guard case .skip(let reason) = planner.plan(held, campaign: limited, user: reachable, now: at(hour + 72 * 3600 + 1), sendsThisMinute: [.push: 1]) else {
            Issue.record("expected a drop: held for 72 h since it first fell due")
            return
        }
        #expect(reason.code == .heldTooLong)
        // The same entry held only a minute is held again.
        var recent = entry
        recent.dueAt = at(hour + 60)
        guard case .hold = planner.plan(recent, campaign: limited, user: reachable, now: at(hour + 61), sendsThisMinute: [.push: 1]) else {
            Issue.record("expected a hold")
            return
        }
    }

    @Test("R21: a dispatch carries the follow-up's version at send time, and when it was made")
    func R21_currentVersion() {
        let edited = campaign { $0.version = 3 }  // the entry was scheduled under version 1
        #expect(entry.campaignVersion != 3)
        guard case .send(let dispatches, _) = planner.plan(entry, campaign: edited, user: reachable, now: at(hour)) else {
            Issue.record("expected a send")
            return
        }
        #expect(dispatches.map(\.campaignVersion) == [3, 3])
        #expect(dispatches.map(\.createdAt) == [at(hour), at(hour)])
    }

    @Test("R19: frequency caps count calendar days in the user's zone; in-app and content cards do not count")
    func R19_frequencyCaps() {
        let capped = SendPlanner(workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current,
                                 frequencyCaps: [FrequencyCap(channel: nil, maximum: 2, period: .days(1))])
        var tokyo = reachable
        tokyo.timeZone = "Asia/Tokyo"
        let pushOnly = campaign { $0.channels = [.push] }
        let now = at(hour)  // 11:00 UTC = 20:00 in Tokyo
        // Two receipts today in Tokyo (after 15:00 UTC yesterday = 00:00 Tokyo): capped.
        let today: [ChannelReceipt] = [ChannelReceipt(time: at(-18 * 60 * 60 + 6 * 3600), channel: .email), ChannelReceipt(time: at(-3600), channel: .sms)]
        guard case .skip(let reason) = capped.plan(entry, campaign: pushOnly, user: tokyo, now: now, recentSends: today) else {
            Issue.record("expected the cap to skip")
            return
        }
        #expect(reason.code == .frequencyCapped && reason.text.contains("frequency cap"))
        // One of them was yesterday in Tokyo (14:00 UTC yesterday = 23:00 Tokyo): not capped.
        let yesterday: [ChannelReceipt] = [ChannelReceipt(time: at(-20 * 3600), channel: .email), ChannelReceipt(time: at(-3600), channel: .sms)]
        guard case .send = capped.plan(entry, campaign: pushOnly, user: tokyo, now: now, recentSends: yesterday) else {
            Issue.record("expected a send: one receipt was on the previous local day")
            return
        }
        let inApp: [ChannelReceipt] = [ChannelReceipt(time: at(-60), channel: .inAppMessage), ChannelReceipt(time: at(-120), channel: .contentCard)]
        guard case .send = capped.plan(entry, campaign: pushOnly, user: tokyo, now: now, recentSends: inApp) else {
            Issue.record("in-app messages and content cards do not count")
            return
        }
    }

    @Test("R20: quiet hours hold until they end in the user's time, or drop")
    func R20_quietHours() {
        var berlin = reachable
        berlin.timeZone = "Europe/Berlin"
        // 2026-03-02 22:30 UTC = 23:30 Berlin, inside 22-8.
        let night = monday.addingTimeInterval(12.5 * 3600)
        let held = campaign { $0.quietHours = QuietHours(startHour: 22, endHour: 8) }
        #expect(planner.plan(entry, campaign: held, user: berlin, now: night) ==
            .hold(until: ISO8601DateFormatter().date(from: "2026-03-03T07:00:00Z") ?? .distantPast, reason: DecisionReason(.quietHours, "held: quiet hours until 8:00 local")))
        let dropped = campaign { $0.quietHours = QuietHours(startHour: 22, endHour: 8, drop: true) }
        guard case .skip(let reason) = planner.plan(entry, campaign: dropped, user: berlin, now: night) else {
            Issue.record("expected a drop")
            return
        }
        #expect(reason.code == .quietHours && reason.text.contains("quiet hours"))
    }

    @Test("R20: a campaign on the workspace's time zone keeps quiet hours in that zone")
    func R20_workspaceZone() {
        var tokyo = reachable
        tokyo.timeZone = "Asia/Tokyo"
        let berlinWorkspace = SendPlanner(workspaceTimeZone: TimeZone(identifier: "Europe/Berlin") ?? .current)
        let morning = monday.addingTimeInterval(-2.5 * 3600)  // 2026-03-02 07:30 UTC
        let quiet = campaign {
            $0.quietHours = QuietHours(startHour: 15, endHour: 18)
            $0.useWorkspaceTimeZone = true
        }
        // In Tokyo it is 16:30 (inside 15-18), but the campaign says workspace time: 08:30 in Berlin, outside.
        guard case .send = berlinWorkspace.plan(entry, campaign: quiet, user: tokyo, now: morning) else {
            Issue.record("expected a send: quiet hours are in the workspace's zone")
            return
        }
        var userZone = quiet
        userZone.useWorkspaceTimeZone = false
        guard case .hold = berlinWorkspace.plan(entry, campaign: userZone, user: tokyo, now: morning) else {
            Issue.record("expected a hold: quiet hours in the user's zone")
            return
        }
    }

    @Test("R24-R25: dispatch ids and idempotency keys are deterministic, one per channel")
    func R25_idempotencyKeys() {
        let push = Dispatch(entry: entry, channel: .push, campaignVersion: 1, createdAt: at(hour))
        #expect(push == Dispatch(entry: entry, channel: .push, campaignVersion: 1, createdAt: at(hour)))
        #expect(push.idempotencyKey == "F|u1|e1|push")
        #expect(push.id != Dispatch(entry: entry, channel: .email, campaignVersion: 1, createdAt: at(hour)).id)
        // the key does not depend on the version or the time it was planned
        #expect(push.idempotencyKey == Dispatch(entry: entry, channel: .push, campaignVersion: 7, createdAt: at(hour + 60)).idempotencyKey)
        #expect(push.id.hasPrefix("d_") && push.id.count == 18)
    }
}
