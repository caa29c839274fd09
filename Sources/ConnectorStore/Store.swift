import ConnectorCore
import Foundation

/// Durable state of the connector, by role: campaigns, users, workspace settings, event
/// ingestion, the wait queue, the outbox of dispatches and the decision trace.
///
/// Every backend (the embedded ``SQLiteStore``; PostgreSQL for several instances) conforms
/// to all of them, and one conformance suite tests them alike. Everything a decision writes
/// (a waiting entry, a cancellation, a dispatch, a control-group enrolment, a trace line)
/// is written in the transaction that made the decision.
public typealias Store = CampaignRepository & UserRepository & WorkspaceRepository & EventIngestion & WaitQueue
    & DispatchOutbox & DecisionTrace & MessageLog & SuppressionList

/// Campaigns and their versions and lifecycle. The store decides with what it holds: a
/// save or a status change takes effect for the next event and the next due entry, with
/// nothing for the caller to rebuild.
public protocol CampaignRepository: Sendable {
    /// Saves a campaign's definition and returns it as stored. Changed settings get the
    /// next version number, unchanged ones keep theirs; every version stays readable. The
    /// status history is never taken from `campaign`: a new campaign is a draft, and only
    /// ``changeStatus(of:to:at:)`` publishes, stops, resumes or archives (so saving a
    /// campaign file again never unpublishes a live campaign).
    @discardableResult
    func save(_ campaign: Campaign) async throws -> Campaign
    /// The current version of every campaign.
    func campaigns() async throws -> [Campaign]
    /// Every stored version of a campaign, oldest first.
    func campaignVersions(of id: CampaignID) async throws -> [Campaign]
    /// Publishes, stops, resumes or archives a campaign in one transaction, checked
    /// against all stored campaigns (``CampaignLifecycle``): throws
    /// ``CampaignLifecycle/Refusal`` with every blocking issue, or returns the updated
    /// campaign with its warnings. A stop or an archive cancels the campaign's waiting
    /// entries for good in the same transaction (R16): resuming starts clean.
    func changeStatus(of id: CampaignID, to status: CampaignStatus, at time: Date) async throws -> CampaignLifecycle.Change
}

/// Users: attributes, time zone, addresses and subscriptions.
public protocol UserRepository: Sendable {
    func save(_ user: User) async throws
    /// Saves many users in one transaction (an import).
    func save(_ users: [User]) async throws
    func user(_ id: UserID) async throws -> User?
    /// The known users among `ids`.
    func users(_ ids: Set<UserID>) async throws -> [UserID: User]
    /// Deletes a user with their waiting entries (nothing pending is sent to them) and
    /// their feed messages, in one transaction. Dispatches already queued are aborted at
    /// delivery (the user is gone); the decision trace and delivery records stay.
    func deleteUser(_ id: UserID) async throws -> UserDeletion
}

/// What deleting a user removed.
public struct UserDeletion: Sendable, Equatable {
    /// Whether the user existed.
    public var existed: Bool
    /// Waiting entries removed.
    public var waitingRemoved: Int
    /// Feed messages (in-app messages, content cards) removed.
    public var messagesRemoved: Int

    public init(existed: Bool, waitingRemoved: Int, messagesRemoved: Int) {
        self.existed = existed
        self.waitingRemoved = waitingRemoved
        self.messagesRemoved = messagesRemoved
    }
}

/// The workspace's settings: its time zone (R11, R20) and frequency caps (R19).
public protocol WorkspaceRepository: Sendable {
    func workspaceSettings() async throws -> WorkspaceSettings
    /// Stores new settings; they take effect for the next event and due entry.
    func save(_ settings: WorkspaceSettings) async throws
}

/// Events in, decisions applied.
public protocol EventIngestion: Sendable {
    /// Deduplicates (R25), stores and decides a batch of events with the stored campaigns
    /// and settings; the decisions are written in the batch's transaction. A bad event is
    /// reported in ``IngestReport/failures`` and the rest of the batch is kept.
    func ingest(_ events: [Event], now: Date) async throws -> IngestReport
}

/// Users waiting out a follow-up's delay, and the claims that turn due entries into
/// dispatches exactly once.
///
/// ```
/// waiting ──claimDue(worker, lease)──► claimed ──settle──► dispatched | control | skipped
///    ▲  │                                 │  └──hold──► waiting (new due time; the first one is kept, R18)
///    │  └──cancel (exception, stop, R6 restart)──► gone  (a cancel wins over a claim)
///    └──────────── lease expired, or release ──┘
/// ```
public protocol WaitQueue: Sendable {
    /// Claims up to `limit` entries due at `now` (earliest first) for `worker` until
    /// `now + lease`. Entries another worker holds under an unexpired lease are not
    /// returned; an expired lease is claimable again.
    func claimDue(at now: Date, worker: WorkerID, lease: TimeInterval, limit: Int) async throws -> [WaitingEntry]
    /// Decides and applies, in one transaction, what each claimed entry becomes at `now`
    /// (R16-R21: dispatches into the outbox, a control-group enrolment, a hold, or a skip),
    /// counting rate limits and frequency caps from the dispatches in that transaction.
    /// Only entries `worker` still holds are settled; the others (cancelled, completed
    /// elsewhere, lease expired) come back as ``Settlement/Result/notHeld`` and send nothing.
    func settle(_ entries: [WaitingEntry], worker: WorkerID, now: Date) async throws -> [Settlement]
    /// Gives up `worker`'s claims on `entries` (a graceful shutdown): they are due again at once.
    func release(_ entries: [WaitingEntry], worker: WorkerID) async throws
    /// A user's waiting entries.
    func waitingEntries(for user: UserID) async throws -> [WaitingEntry]
    /// Waiting entries across users, earliest due first.
    func waitingEntries(_ filter: WaitingFilter) async throws -> [WaitingEntry]
    /// How many users wait for each follow-up (claimed entries included); follow-ups
    /// nobody waits for are left out.
    func waitingCounts() async throws -> [CampaignID: Int]
}

/// Dispatches on their way to a provider.
///
/// ```
/// queued ──claim──► sending(worker, lease) ──► sent(provider message id)
///                     │  ├──► retry at T ──► (claimable again at T)
///                     │  └──► dead(reason) | bad address | aborted(reason)
///                     └── lease expired: claimed again (reclaimed) ──► resend with the same key, or possibly sent
/// ```
public protocol DispatchOutbox: Sendable {
    /// Claims up to `limit` dispatches ready at `now` (queued, retries due, and sends
    /// whose worker's lease expired) for `worker` until `now + lease`, oldest first.
    func claimDispatches(at now: Date, worker: WorkerID, lease: TimeInterval, limit: Int) async throws -> [OutboxItem]
    /// Marks that `worker` is about to hand each dispatch to a provider (R25): if one is
    /// claimed again later without an outcome, the send may have happened. Returns the
    /// dispatches `worker` holds (the others were not marked). One transaction.
    func beginSend(_ dispatches: [String], worker: WorkerID, at now: Date) async throws -> Set<String>
    /// Records deliveries `worker` holds, each its tries and (unless nil) its outcome,
    /// which ends the claim; a sent one's `*_received` receipt is ingested with it (R22).
    /// Returns the dispatches recorded (the others are held by another worker now, or
    /// final). One transaction, so many sends in flight commit together.
    func record(_ deliveries: [DeliveryRecord], worker: WorkerID) async throws -> Set<String>
    /// Dispatches across users, oldest first.
    func outbox(_ filter: OutboxFilter) async throws -> [OutboxItem]
    /// The tries at sending a dispatch, oldest first.
    func attempts(of dispatch: String) async throws -> [DeliveryAttempt]
}

extension DispatchOutbox {
    /// Marks one dispatch before its request goes out; false if `worker` does not hold it.
    @discardableResult
    public func beginSend(_ dispatch: String, worker: WorkerID, at now: Date) async throws -> Bool {
        try await beginSend([dispatch], worker: worker, at: now).contains(dispatch)
    }

    /// Records one try at sending a dispatch `worker` holds; false if it does not hold it.
    @discardableResult
    public func recordAttempt(_ attempt: DeliveryAttempt, dispatch: String, worker: WorkerID) async throws -> Bool {
        try await record([DeliveryRecord(dispatch: dispatch, attempts: [attempt], outcome: nil, at: attempt.at)], worker: worker).contains(dispatch)
    }

    /// Ends `worker`'s claim with an outcome; false if it no longer holds the dispatch
    /// (its lease expired and another worker claimed it).
    @discardableResult
    public func finish(_ dispatch: String, worker: WorkerID, as outcome: DeliveryOutcome, at now: Date) async throws -> Bool {
        try await record([DeliveryRecord(dispatch: dispatch, attempts: [], outcome: outcome, at: now)], worker: worker).contains(dispatch)
    }
}

/// What the connector decided, per user.
public protocol DecisionTrace: Sendable {
    /// The decision trace of a user, oldest first.
    func trace(for user: UserID) async throws -> [TraceRecord]
}

/// Rendered messages the store keeps: what the sandbox provider captured, and the in-app
/// messages and content cards of users' feeds.
public protocol MessageLog: Sendable {
    /// Keeps a message; keeping the same dispatch again changes nothing (so a resend after
    /// a crash is harmless). Returns false if it was already kept.
    @discardableResult
    func keep(_ message: KeptMessage) async throws -> Bool
    /// Kept messages, newest first.
    func keptMessages(_ filter: KeptMessageFilter) async throws -> [KeptMessage]
    /// Marks a feed message dismissed (a dismissed card leaves the feed); false if unknown.
    @discardableResult
    func dismiss(dispatch: String, at time: Date) async throws -> Bool
}

/// Addresses that must not be sent to again (bounced, invalid, dead push tokens).
public protocol SuppressionList: Sendable {
    /// Suppresses `address` on `channel`, recording why in the user's trace.
    func suppress(_ suppression: Suppression) async throws
    /// The suppression of an address, if any.
    func suppression(of address: String, on channel: Channel) async throws -> Suppression?
    /// Suppressions, newest first.
    func suppressions(limit: Int) async throws -> [Suppression]
}
