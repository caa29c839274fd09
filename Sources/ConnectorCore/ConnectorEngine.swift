import Foundation

/// What the engine needs to know about one user to decide on one of their events.
public struct UserState: Sendable, Equatable {
    /// The user, if known (an unknown user is matched as one with no attributes).
    public var user: User?
    /// The user's waiting entries (any follow-up).
    public var waiting: [WaitingEntry]
    /// When the user last received each follow-up (R7 counts receipts, not triggers).
    public var lastReceipts: [CampaignID: Date]
    /// The user's events already ingested that happened after the event being decided
    /// (out-of-order arrival): an exception among them cancels the wait before it begins.
    public var laterEvents: [Event]

    public init(user: User? = nil, waiting: [WaitingEntry] = [], lastReceipts: [CampaignID: Date] = [:], laterEvents: [Event] = []) {
        self.user = user
        self.waiting = waiting
        self.lastReceipts = lastReceipts
        self.laterEvents = laterEvents
    }
}

/// The connector's decision function: (event, the user's state, now) -> decisions.
///
/// Pure: no I/O, no clock of its own; the store applies the decisions in the event's
/// transaction. Follow-ups are found through an index on (interaction kind, target
/// campaign), never by scanning all campaigns.
public struct ConnectorEngine: Sendable {
    private struct TriggerKey: Hashable {
        var kind: InteractionKind
        var target: CampaignID
    }

    /// The campaigns by id.
    public let campaigns: [CampaignID: Campaign]
    /// The time zone for users without one, and for campaigns that ask for it (R11).
    public let workspaceTimeZone: TimeZone
    private let followUps: [TriggerKey: [CampaignID]]
    /// What any exception can match, to rule most events out cheaply.
    private let exceptionInteractions: Set<InteractionKind>
    private let exceptionCustomNames: Set<String>
    private let purchaseIsException: Bool
    private let sessionStartIsException: Bool

    public init(campaigns: [Campaign], workspaceTimeZone: TimeZone) {
        var byID: [CampaignID: Campaign] = [:]
        var index: [TriggerKey: [CampaignID]] = [:]
        for campaign in campaigns {
            byID[campaign.id] = campaign
            if let trigger = campaign.trigger {
                index[TriggerKey(kind: trigger.kind, target: trigger.target), default: []].append(campaign.id)
            }
        }
        self.campaigns = byID
        self.workspaceTimeZone = workspaceTimeZone
        followUps = index.mapValues { $0.sorted() }
        var kinds: Set<InteractionKind> = [], names: Set<String> = [], purchase = false, session = false
        for exception in campaigns.flatMap(\.exceptions) {
            switch exception {
            case .interaction(let kind, _, _): kinds.insert(kind)
            case .customEvent(let name, _): names.insert(name)
            case .purchase: purchase = true
            case .sessionStart: session = true
            }
        }
        exceptionInteractions = kinds
        exceptionCustomNames = names
        purchaseIsException = purchase
        sessionStartIsException = session
    }

    /// Whether `event` can lead to any decision: it may trigger a follow-up or be some
    /// follow-up's exception. Others are stored without loading the user's state.
    public func mayDecide(_ event: Event) -> Bool {
        mayTrigger(event) || mayBeException(event)
    }

    /// Whether `event` is an interaction some follow-up is triggered by. Only then does a
    /// decision need the user's attributes and receipts; an exception needs only the
    /// user's waiting entries.
    public func mayTrigger(_ event: Event) -> Bool {
        guard case .interaction(let interaction) = event.payload else { return false }
        return followUps[TriggerKey(kind: interaction.kind, target: interaction.campaign)] != nil
    }

    /// Whether `event` is of a kind some follow-up lists as an exception.
    public func mayBeException(_ event: Event) -> Bool {
        switch event.payload {
        case .interaction(let interaction): return exceptionInteractions.contains(interaction.kind)
        case .custom(let name, _): return exceptionCustomNames.contains(name)
        case .purchase: return purchaseIsException
        case .sessionStart: return sessionStartIsException
        case .attributeUpdate: return false
        }
    }

    /// Whether deciding a trigger of `followUp` needs the user's last receipt of it (R7):
    /// not when it may be received every time (re-eligible after 0 seconds).
    public func needsLastReceipt(_ followUp: CampaignID) -> Bool {
        guard let campaign = campaigns[followUp] else { return false }
        if case .after(let seconds) = campaign.reEligibility, seconds <= 0 { return false }
        return true
    }

    /// The follow-ups an interaction of `kind` with `target` can trigger.
    public func followUps(of kind: InteractionKind, on target: CampaignID) -> [CampaignID] {
        followUps[TriggerKey(kind: kind, target: target)] ?? []
    }

    /// Decides what `event` does: cancels waiting entries it is an exception for
    /// (R13-R15), then schedules the follow-ups it triggers (R2-R12).
    public func decide(_ event: Event, state: UserState, now: Date) -> [Decision] {
        var decisions: [Decision] = []
        var cancelled: Set<String> = []

        // R13-R15: an exception cancels a waiting entry only strictly after its trigger and before it is due.
        for entry in state.waiting where entry.userID == event.userID {
            guard let followUp = campaigns[entry.followUp],
                  let exception = followUp.exceptions.first(where: { $0.matches(event) }) else { continue }
            guard event.time > entry.triggerTime else { continue }  // R14: before the wait began
            guard event.time < entry.dueAt else { continue }
            cancelled.insert(entry.id)
            decisions.append(.cancel(entryID: entry.id, followUp: entry.followUp,
                                     reason: DecisionReason(.exception, "cancelled: exception \(describe(exception)) at \(iso(event.time))")))
        }

        guard case .interaction(let interaction) = event.payload else { return decisions }
        for followUpID in followUps(of: interaction.kind, on: interaction.campaign) {
            guard let followUp = campaigns[followUpID], let trigger = followUp.trigger else { continue }
            if let decision = decideTrigger(followUp, trigger, interaction, event, state, cancelled, now) {
                decisions.append(decision)
            }
        }
        return decisions
    }

    // swiftlint:disable:next function_parameter_count
    private func decideTrigger(
        _ followUp: Campaign, _ trigger: Trigger, _ interaction: Interaction, _ event: Event,
        _ state: UserState, _ cancelled: Set<String>, _ now: Date
    ) -> Decision? {
        let id = followUp.id
        // R2: detail narrows the trigger.
        guard trigger.matches(interaction) else { return nil }
        // R3: only events after the follow-up was published, and not while it was stopped.
        guard followUp.history.publishedTime(covering: event.time) != nil else {
            return .skip(followUp: id, reason: DecisionReason(.followUpInactiveAtTrigger, "skipped: \(id) was not active when \(interaction.kind.rawValue) happened at \(iso(event.time))"))
        }
        guard followUp.history.status(at: now) == .active else {
            return .skip(followUp: id, reason: DecisionReason(.followUpNotActive, "skipped: \(id) is \(followUp.history.status(at: now).rawValue) now"))
        }
        // R3 + R16: a stop ends an active period for good; an event from an earlier period
        // that arrives after a resume does not count.
        if let current = followUp.history.publishedTime(covering: now), event.time < current {
            return .skip(followUp: id, reason: DecisionReason(.earlierActivePeriod, "skipped: \(interaction.kind.rawValue) at \(iso(event.time)) happened before \(id) was published again at \(iso(current))"))
        }
        // R4: the target must have been active or stopped; archived targets never trigger.
        guard let target = campaigns[interaction.campaign] else {
            return .skip(followUp: id, reason: DecisionReason(.unknownTarget, "skipped: unknown target campaign \(interaction.campaign)"))
        }
        let targetStatus = target.history.status(at: event.time)
        guard targetStatus == .active || targetStatus == .stopped else {
            return .skip(followUp: id, reason: DecisionReason(.targetNotActive, "skipped: target \(target.id) was \(targetStatus.rawValue) at \(iso(event.time))"))
        }
        // R5: audience at trigger time.
        let user = state.user ?? User(id: event.userID)
        if let failure = followUp.audience.failure(for: user, now: event.time) {
            return .skip(followUp: id, reason: DecisionReason(.notInAudience, "skipped: not in audience (\(failure))"))
        }
        // R7: eligibility counts receipts.
        if let last = state.lastReceipts[id] {
            switch followUp.reEligibility {
            case .never:
                return .skip(followUp: id, reason: DecisionReason(.alreadyReceived, "skipped: already received \(id) at \(iso(last)) (not re-eligible)"))
            case .after(let seconds) where seconds > 0 && event.time.timeIntervalSince(last) < TimeInterval(seconds):
                let again = last.addingTimeInterval(TimeInterval(seconds))
                return .skip(followUp: id, reason: DecisionReason(.notYetReEligible, "skipped: received \(id) at \(iso(last)), re-eligible from \(iso(again))"))
            case .after:
                break
            }
        }
        // R6: one pending entry; a new trigger restarts it only when it is itself an exception.
        if let waiting = state.waiting.first(where: { $0.followUp == id && $0.userID == event.userID }),
           !cancelled.contains(waiting.id) {
            return .skip(followUp: id, reason: DecisionReason(.alreadyWaiting, "skipped: already waiting for \(id) (due \(iso(waiting.dueAt)))"))
        }
        // R9-R12.
        let zone = timeZone(for: user, followUp)
        let due = followUp.delay.dueDate(trigger: event.time, processedAt: now, zone: zone)
        let entry = WaitingEntry(followUp: id, campaignVersion: followUp.version, userID: event.userID,
                                 triggerEventID: event.id, triggerTime: event.time, dueAt: due)
        // Events can arrive out of order: an exception that happened during this wait but
        // was ingested before its trigger still cancels it (R14).
        if let later = state.laterEvents.first(where: { later in
            later.time > event.time && later.time < due && followUp.exceptions.contains { $0.matches(later) }
        }) {
            return .skip(followUp: id, reason: DecisionReason(.exceptionBeforeTrigger, "cancelled before it began: exception at \(iso(later.time)) (event \(later.id)) arrived before its trigger"))
        }
        return .schedule(entry, reason: DecisionReason(.scheduled, "scheduled \(id) for \(local(due, zone)) \(zone.identifier) because \(interaction.kind.rawValue) on \(interaction.campaign) at \(iso(event.time))"))
    }

    /// The user's zone, or the workspace's when the user has none (or an unknown one) or
    /// the campaign asks for it (R11).
    public func timeZone(for user: User, _ campaign: Campaign) -> TimeZone {
        if campaign.useWorkspaceTimeZone { return workspaceTimeZone }
        return user.timeZone.flatMap(TimeZone.init(identifier:)) ?? workspaceTimeZone
    }

    private func describe(_ exception: ExceptionMatcher) -> String {
        switch exception {
        case .interaction(let kind, let campaign, _): return "\(kind.rawValue)" + (campaign.map { " on \($0)" } ?? "")
        case .customEvent(let name, _): return "custom event \(name)"
        case .purchase(let product): return "purchase" + (product.map { " of \($0)" } ?? "")
        case .sessionStart: return "session start"
        }
    }

    private func iso(_ date: Date) -> String { TraceTime.iso(date) }

    private func local(_ date: Date, _ zone: TimeZone) -> String { TraceTime.local(date, zone) }
}
