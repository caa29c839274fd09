import Foundation

/// A user waiting out a follow-up's delay.
public struct WaitingEntry: Codable, Sendable, Equatable, Hashable {
    /// Deterministic: follow-up, user and trigger event.
    public var id: String
    public var followUp: CampaignID
    public var campaignVersion: Int
    public var userID: UserID
    public var triggerEventID: EventID
    public var triggerTime: Date
    public var dueAt: Date

    public init(followUp: CampaignID, campaignVersion: Int, userID: UserID, triggerEventID: EventID, triggerTime: Date, dueAt: Date) {
        id = "\(followUp.rawValue)|\(userID.rawValue)|\(triggerEventID.rawValue)"
        self.followUp = followUp
        self.campaignVersion = campaignVersion
        self.userID = userID
        self.triggerEventID = triggerEventID
        self.triggerTime = triggerTime
        self.dueAt = dueAt
    }
}

/// What the engine decided about one event, with the reason for the trace.
public enum Decision: Sendable, Equatable {
    /// Start waiting (or send at once, when `dueAt` is now).
    case schedule(WaitingEntry, reason: DecisionReason)
    /// A waiting entry ends without a send (exception, stop, ...); the user stays eligible (R15).
    case cancel(entryID: String, followUp: CampaignID, reason: DecisionReason)
    /// No entry for this follow-up, and why.
    case skip(followUp: CampaignID, reason: DecisionReason)

    /// The follow-up it concerns.
    public var followUp: CampaignID {
        switch self {
        case .schedule(let entry, _): return entry.followUp
        case .cancel(_, let followUp, _), .skip(let followUp, _): return followUp
        }
    }

    /// The entry a `.schedule` decision starts; nil for the others.
    public var entry: WaitingEntry? {
        if case .schedule(let entry, _) = self { return entry }
        return nil
    }

    /// The reason, as the decision trace records it.
    public var reason: DecisionReason {
        switch self {
        case .schedule(_, let reason), .cancel(_, _, let reason), .skip(_, let reason): return reason
        }
    }
}
