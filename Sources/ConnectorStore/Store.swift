import ConnectorCore
import Foundation

/// Durable state of the connector: campaigns, users, events, waiting entries, the outbox
/// of dispatches and the decision trace.
///
/// An event and the decisions it causes are applied in one transaction; a batch of
/// events shares a transaction, with a savepoint per event so one bad event is reported
/// and the rest are kept.
public protocol Store: Sendable {
    /// Saves a campaign and returns it as stored. Changed settings (anything but the status
    /// history) get the next version number, unchanged ones keep theirs; every version
    /// stays readable, so a waiting entry's version can be looked up (R21).
    @discardableResult
    func save(_ campaign: Campaign) throws -> Campaign
    /// The current version of every campaign.
    func campaigns() throws -> [Campaign]
    /// Every stored version of a campaign, oldest first.
    func campaignVersions(of id: CampaignID) throws -> [Campaign]
    /// Publishes, stops, resumes or archives a campaign in one transaction, checked
    /// against all stored campaigns (``CampaignLifecycle``): throws
    /// ``CampaignLifecycle/Refusal`` with every blocking issue, or returns the updated
    /// campaign with its warnings. Engines built before the change do not see it.
    func changeStatus(of id: CampaignID, to status: CampaignStatus, at time: Date) throws -> CampaignLifecycle.Change
    func save(_ user: User) throws
    /// Saves many users in one transaction (an import).
    func save(_ users: [User]) throws
    func user(_ id: UserID) throws -> User?
    /// The known users among `ids` (one read transaction).
    func users(_ ids: Set<UserID>) throws -> [UserID: User]

    /// Deduplicates, stores and decides a batch of events (R25).
    func ingest(_ events: [Event], engine: ConnectorEngine, now: Date) throws -> IngestReport
    /// Waiting entries due at `now`, earliest first.
    func dueEntries(at now: Date, limit: Int) throws -> [WaitingEntry]
    /// Applies what happened to due entries, all in one transaction: dispatches into the
    /// outbox (never twice per idempotency key, R25), a hold (new due time), or a skip;
    /// the entry leaves the wait. A crash applies all or none of them, and the entries
    /// left due produce the same dispatches when run again.
    func complete(_ completions: [Completion], now: Date) throws
    func waitingEntries(for user: UserID) throws -> [WaitingEntry]
    /// The decision trace of a user, oldest first.
    func trace(for user: UserID) throws -> [TraceRecord]
    /// Dispatches in the outbox, oldest first.
    func outbox() throws -> [Dispatch]
    /// Whether every receipt is indexed (``receipts(for:since:)`` is complete), as frequency
    /// caps need; otherwise only receipts of follow-ups are (``ReceiptIndex``).
    var indexesEveryReceipt: Bool { get }
    /// The user's receipts since `since`, as (time, channel), for frequency caps (R19).
    func receipts(for user: UserID, since: Date) throws -> [ChannelReceipt]
    /// Deletes old events and trace records, keeping what the rules still need (waiting
    /// entries, receipts); see ``SQLiteStore/prune(eventsBefore:traceBefore:)``.
    @discardableResult
    func prune(eventsBefore: Date, traceBefore: Date) throws -> PruneReport
    /// Dispatches of `campaign` on `channel` created at or after `since` (R18 rate limits).
    func dispatchCount(campaign: CampaignID, channel: Channel, since: Date) throws -> Int
}

extension Store {
    /// Applies what happened to one due entry (see ``complete(_:now:)``).
    public func complete(_ entry: WaitingEntry, outcome: SendOutcome, now: Date) throws {
        try complete([Completion(entry: entry, outcome: outcome)], now: now)
    }
}

/// A due entry and what the send-time checks made of it.
public struct Completion: Sendable, Equatable {
    public var entry: WaitingEntry
    public var outcome: SendOutcome

    public init(entry: WaitingEntry, outcome: SendOutcome) {
        self.entry = entry
        self.outcome = outcome
    }
}

/// What a batch did.
public struct IngestReport: Sendable, Equatable {
    /// Events stored and decided.
    public var accepted = 0
    /// Events whose id was seen before: no further effect (R25).
    public var duplicates: [EventID] = []
    /// Events that failed, with the reason; the rest of the batch was kept.
    public var failures: [EventFailure] = []
    /// All decisions made, in order.
    public var decisions: [Decision] = []

    public init() {}
}

/// An event that could not be applied.
public struct EventFailure: Sendable, Equatable, CustomStringConvertible {
    public var eventID: EventID
    public var reason: String
    public var description: String { "event \(eventID): \(reason)" }
}

/// What happened to a user and a follow-up, as one line of the decision trace says.
public enum TraceAction: String, Sendable, Hashable, CaseIterable, Codable {
    /// The user started waiting (R1-R12).
    case scheduled
    /// A waiting entry ended without a send (R13, R14).
    case cancelled
    /// No entry, or a due entry not sent (R3-R7, R16, R19-R21).
    case skipped
    /// Dispatched to the outbox.
    case sent
    /// Due, but held until later (R18, R20).
    case held
    /// Held back in the control group (R17).
    case control
}

/// One line of the decision trace.
public struct TraceRecord: Sendable, Equatable {
    /// When the decision was made.
    public var time: Date
    public var userID: UserID
    public var campaign: CampaignID
    public var action: TraceAction
    /// Why: a stable code and the text. Lines written before the store recorded codes
    /// (schema 010) have an empty code.
    public var reason: DecisionReason
}
