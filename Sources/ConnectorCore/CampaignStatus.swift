import Foundation

/// A campaign's lifecycle: draft -> active -> stopped <-> active -> archived.
public enum CampaignStatus: String, Codable, Sendable {
    case draft, active, stopped, archived
}

/// One status change.
public struct StatusChange: Codable, Sendable, Equatable {
    public var status: CampaignStatus
    public var at: Date

    public init(_ status: CampaignStatus, at: Date) {
        self.status = status
        self.at = at
    }
}

/// The history of status changes, in time order.
public struct StatusHistory: Codable, Sendable, Equatable {
    public private(set) var changes: [StatusChange]

    /// A history that starts as a draft.
    public init(_ changes: [StatusChange] = []) {
        self.changes = changes.sorted { $0.at < $1.at }
    }

    /// Appends a change (later than the last one).
    public mutating func record(_ status: CampaignStatus, at time: Date) {
        changes.append(StatusChange(status, at: time))
        changes.sort { $0.at < $1.at }
    }

    /// The status at `time` (draft before any change).
    public func status(at time: Date) -> CampaignStatus {
        changes.last { $0.at <= time }?.status ?? .draft
    }

    /// The current status.
    public var current: CampaignStatus { changes.last?.status ?? .draft }

    /// The published time of the active period containing `time`, or nil if the
    /// campaign was not active then (R3: a re-activation sets a new published time).
    public func publishedTime(covering time: Date) -> Date? {
        guard let last = changes.last(where: { $0.at <= time }), last.status == .active else { return nil }
        return last.at
    }
}
