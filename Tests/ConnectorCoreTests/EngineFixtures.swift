import ConnectorCore
import Foundation
import Synchronization

/// 2026-03-02 10:00:00 UTC, a Monday.
let monday = Date(timeIntervalSince1970: 1_772_445_600)

func at(_ offset: TimeInterval) -> Date { monday.addingTimeInterval(offset) }
let hour: TimeInterval = 3600
let day: TimeInterval = 86_400

func activeSince(_ date: Date) -> StatusHistory { StatusHistory([StatusChange(.active, at: date)]) }

/// A push message, so campaigns have content (R21).
let pushMessage: [Channel: ChannelContent] = [.push: .push(PushContent(title: "Hi {{ ${first_name} }}", body: "15% off"))]

/// The original campaign T, active for a week before Monday.
let original = Campaign(id: "T", history: activeSince(at(-7 * day)), channels: [.push], messages: pushMessage)

func followUp(
    _ id: CampaignID = "F",
    on kind: InteractionKind = .pushOpened,
    detail: String? = nil,
    delay: ScheduleDelay = .relative(seconds: 3600),
    exceptions: [ExceptionMatcher] = [],
    reEligibility: ReEligibility = .never,
    audience: Segment = .everyone,
    history: StatusHistory = activeSince(at(-day)),
    target: CampaignID = "T"
) -> Campaign {
    Campaign(id: id, history: history, messages: pushMessage, audience: audience, trigger: Trigger(kind: kind, target: target, detail: detail),
             delay: delay, exceptions: exceptions, reEligibility: reEligibility)
}

func engine(_ campaigns: Campaign..., zone: String = "UTC") -> ConnectorEngine {
    ConnectorEngine(campaigns: [original] + campaigns, workspaceTimeZone: TimeZone(identifier: zone) ?? .current)
}

let eventCounter = Atomic<Int>(0)
func interaction(_ kind: InteractionKind, on campaign: CampaignID = "T", detail: String? = nil, user: UserID = "u1", time: Date) -> Event {
    let n = eventCounter.wrappingAdd(1, ordering: .relaxed).newValue
    return Event(id: EventID("e\(n)-\(kind.rawValue)"), userID: user, time: time,
                 payload: .interaction(Interaction(kind: kind, campaign: campaign, detail: detail)))
}

func event(_ payload: Event.Payload, user: UserID = "u1", time: Date) -> Event {
    let n = eventCounter.wrappingAdd(1, ordering: .relaxed).newValue
    return Event(id: EventID("e\(n)"), userID: user, time: time, payload: payload)
}

extension Decision {
    var isSkip: Bool {
        if case .skip = self { return true }
        return false
    }
    var isCancel: Bool {
        if case .cancel = self { return true }
        return false
    }
}
