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
    /// When it is due next: its first due time, or where a hold (R18, R20) moved it.
    public var dueAt: Date
    /// When it first fell due; holds never move it, so R18's limit on how long a send may
    /// be held counts from here.
    public var firstDueAt: Date

    public init(followUp: CampaignID, campaignVersion: Int, userID: UserID, triggerEventID: EventID, triggerTime: Date, dueAt: Date,
                firstDueAt: Date? = nil) {
        id = "\(followUp.rawValue)|\(userID.rawValue)|\(triggerEventID.rawValue)"
        self.followUp = followUp
        self.campaignVersion = campaignVersion
        self.userID = userID
        self.triggerEventID = triggerEventID
        self.triggerTime = triggerTime
        self.dueAt = dueAt
        self.firstDueAt = firstDueAt ?? dueAt
    }

    private enum CodingKeys: String, CodingKey {
        case id, followUp, campaignVersion, userID, triggerEventID, triggerTime, dueAt, firstDueAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        followUp = try container.decode(CampaignID.self, forKey: .followUp)
        campaignVersion = try container.decode(Int.self, forKey: .campaignVersion)
        userID = try container.decode(UserID.self, forKey: .userID)
        triggerEventID = try container.decode(EventID.self, forKey: .triggerEventID)
        triggerTime = try container.decode(Date.self, forKey: .triggerTime)
        dueAt = try container.decode(Date.self, forKey: .dueAt)
        // Written before holds kept the first due time: the due time is the best known.
        firstDueAt = try container.decodeIfPresent(Date.self, forKey: .firstDueAt) ?? dueAt
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
