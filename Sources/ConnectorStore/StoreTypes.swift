import ConnectorCore
import Foundation

/// Names a scheduler or dispatcher instance, so that it completes only what it claimed.
public struct WorkerID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String
    public init(rawValue: String) { self.rawValue = rawValue }
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }
    public var description: String { rawValue }

    /// A name unique to this process: host, process id and a random suffix.
    public static func unique(_ role: String) -> WorkerID {
        let host = ProcessInfo.processInfo.hostName
        return WorkerID("\(role)@\(host):\(ProcessInfo.processInfo.processIdentifier):\(UInt32.random(in: .min ... .max))")
    }
}

/// The workspace's settings, stored with its data.
public struct WorkspaceSettings: Codable, Sendable, Equatable {
    /// The IANA zone for users without one and campaigns that ask for it (R11, R20).
    public var timeZone: String
    /// Caps on messages per user (R19).
    public var frequencyCaps: [FrequencyCap]

    public init(timeZone: String = "UTC", frequencyCaps: [FrequencyCap] = []) {
        self.timeZone = timeZone
        self.frequencyCaps = frequencyCaps
    }

    /// The zone; UTC if the name is not one (``validate()`` refuses such names).
    public var zone: TimeZone { TimeZone(identifier: timeZone) ?? TimeZone(secondsFromGMT: 0) ?? .current }

    /// Checks the settings; throws ``Invalid`` naming the field.
    public func validate() throws(Invalid) {
        guard TimeZone(identifier: timeZone) != nil else {
            throw Invalid(field: "time_zone", message: "'\(timeZone)' is not an IANA time zone such as 'Europe/Berlin' or 'UTC'")
        }
        for (index, cap) in frequencyCaps.enumerated() {
            let count: Int
            switch cap.period {
            case .minutes(let n), .days(let n), .weeks(let n): count = n
            }
            guard cap.maximum >= 1, (1...3650).contains(count) else {
                throw Invalid(field: "frequency_caps[\(index)]", message: "a cap allows at least 1 message per 1 to 3650 periods")
            }
        }
    }

    /// Settings the store cannot take, with the field.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var field: String
        public var message: String
        public var description: String { "\(field): \(message)" }
    }
}

/// What settling a claimed entry did.
public struct Settlement: Sendable, Equatable {
    public enum Result: Sendable, Equatable {
        /// Decided and applied (the entry left the wait, or a hold moved it).
        case settled(SendOutcome)
        /// The worker no longer held the entry (cancelled, settled elsewhere, lease
        /// expired): nothing was sent or written.
        case notHeld
    }

    /// The entry, as it was claimed.
    public var entry: WaitingEntry
    public var result: Result

    public init(entry: WaitingEntry, result: Result) {
        self.entry = entry
        self.result = result
    }
}

/// Which waiting entries to list.
public struct WaitingFilter: Sendable, Equatable {
    public var followUp: CampaignID?
    public var user: UserID?
    /// Only entries due at or before this time.
    public var dueBy: Date?
    public var limit: Int

    public init(followUp: CampaignID? = nil, user: UserID? = nil, dueBy: Date? = nil, limit: Int = 1000) {
        self.followUp = followUp
        self.user = user
        self.dueBy = dueBy
        self.limit = limit
    }
}

/// Where a dispatch is on its way to the provider.
public enum DispatchState: String, Sendable, Codable, CaseIterable {
    /// Waiting to be claimed.
    case queued
    /// Claimed by a worker, which is sending it.
    case sending
    /// Accepted by the provider.
    case sent
    /// Failed in a way worth another try, at ``OutboxItem/nextAttemptAt``.
    case retrying = "retry"
    /// Failed for good.
    case dead
    /// The provider says the address does not exist (suppress it).
    case badAddress = "bad_address"
    /// Not sent on purpose (`abort_message`, a render that chose to send nothing).
    case aborted
    /// A worker's lease expired mid-send and the provider cannot tell whether it arrived.
    case possiblySent = "possibly_sent"

    /// Whether nothing more will happen to it.
    public var isFinal: Bool { self != .queued && self != .sending && self != .retrying }
}

/// How a send ended, as the dispatcher reports it.
public enum DeliveryOutcome: Sendable, Equatable {
    case sent(providerMessageID: String?)
    case retry(at: Date, reason: DecisionReason)
    case dead(DecisionReason)
    case badAddress(DecisionReason)
    case aborted(DecisionReason)
    case possiblySent(DecisionReason)

    /// The provider's id for the message, when it was sent.
    public var providerMessageID: String? {
        if case .sent(let id) = self { return id }
        return nil
    }

    /// Why the dispatch is where it is (nil when sent).
    public var reason: DecisionReason? {
        switch self {
        case .sent: return nil
        case .retry(_, let why), .dead(let why), .badAddress(let why), .aborted(let why), .possiblySent(let why): return why
        }
    }

    /// When a retry is due, seconds since 1970 (the outbox's `ready_at`).
    public var retryAt: Double? {
        if case .retry(let at, _) = self { return at.timeIntervalSince1970 }
        return nil
    }

    /// The dispatch state this outcome leaves it in.
    public var state: DispatchState {
        switch self {
        case .sent: return .sent
        case .retry: return .retrying
        case .dead: return .dead
        case .badAddress: return .badAddress
        case .aborted: return .aborted
        case .possiblySent: return .possiblySent
        }
    }
}

/// A dispatch and where it is.
public struct OutboxItem: Sendable, Equatable {
    public var dispatch: Dispatch
    public var state: DispatchState
    /// Tries recorded so far.
    public var attempts: Int
    /// When a retry is due.
    public var nextAttemptAt: Date?
    /// Who holds it while sending, and until when.
    public var claimedBy: WorkerID?
    public var leaseUntil: Date?
    /// The provider's id for the message, once sent.
    public var providerMessageID: String?
    /// Why it is in its state (retry, dead, bad address, aborted, possibly sent).
    public var reason: DecisionReason?
    /// When its state last changed.
    public var updatedAt: Date
    /// Set by a claim that took it over from a worker whose lease expired mid-send: the
    /// first send may have arrived (send again only with the same idempotency key, or mark
    /// it possibly sent).
    public var reclaimed: Bool
    /// When a worker last began handing it to a provider without an outcome recorded
    /// since: on a reclaimed dispatch, the earlier worker may have sent it.
    public var sendStartedAt: Date?

    public init(dispatch: Dispatch, state: DispatchState, attempts: Int = 0, nextAttemptAt: Date? = nil, claimedBy: WorkerID? = nil,
                leaseUntil: Date? = nil, providerMessageID: String? = nil, reason: DecisionReason? = nil, updatedAt: Date, reclaimed: Bool = false,
                sendStartedAt: Date? = nil) {
        self.sendStartedAt = sendStartedAt
        self.dispatch = dispatch
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.claimedBy = claimedBy
        self.leaseUntil = leaseUntil
        self.providerMessageID = providerMessageID
        self.reason = reason
        self.updatedAt = updatedAt
        self.reclaimed = reclaimed
    }
}

/// Which dispatches to list.
public struct OutboxFilter: Sendable, Equatable {
    public var states: Set<DispatchState>?
    public var followUp: CampaignID?
    public var user: UserID?
    /// One dispatch by its id.
    public var dispatchID: String?
    public var limit: Int

    public init(states: Set<DispatchState>? = nil, followUp: CampaignID? = nil, user: UserID? = nil, dispatchID: String? = nil,
                limit: Int = 1000) {
        self.states = states
        self.followUp = followUp
        self.user = user
        self.dispatchID = dispatchID
        self.limit = limit
    }
}

/// One try at handing a dispatch to a provider. Never holds a secret: no credentials, no
/// message body.
public struct DeliveryAttempt: Sendable, Equatable {
    public var at: Date
    /// The provider's name in the configuration.
    public var provider: String
    /// The HTTP status or SMTP reply code, when there was an answer.
    public var statusCode: Int?
    public var latency: TimeInterval
    public var providerMessageID: String?
    /// A stable class of error (a metric label) and its text, when it failed.
    public var errorClass: String?
    public var error: String?

    public init(at: Date, provider: String, statusCode: Int? = nil, latency: TimeInterval, providerMessageID: String? = nil,
                errorClass: String? = nil, error: String? = nil) {
        self.at = at
        self.provider = provider
        self.statusCode = statusCode
        self.latency = latency
        self.providerMessageID = providerMessageID
        self.errorClass = errorClass
        self.error = error
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

    public init(eventID: EventID, reason: String) {
        self.eventID = eventID
        self.reason = reason
    }
}

/// What happened to a user and a follow-up, as one line of the decision trace says.
public enum TraceAction: String, Sendable, Hashable, CaseIterable, Codable {
    /// The user started waiting (R1-R12).
    case scheduled
    /// A waiting entry ended without a send (R13, R14, R16's stop).
    case cancelled
    /// No entry, or a due entry not sent (R3-R7, R16, R19-R21).
    case skipped
    /// Dispatched to the outbox.
    case sent
    /// Due, but held until later (R18, R20).
    case held
    /// Held back in the control group (R17).
    case control
    /// An address was suppressed (bad address, dead push token); no later send goes to it.
    case suppressed
    /// A dispatch reached its end: accepted by the provider, dead, aborted or possibly sent.
    case delivered
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

    public init(time: Date, userID: UserID, campaign: CampaignID, action: TraceAction, reason: DecisionReason) {
        self.time = time
        self.userID = userID
        self.campaign = campaign
        self.action = action
        self.reason = reason
    }
}

/// A rendered message the store keeps (see ``MessageLog``).
public struct KeptMessage: Sendable, Equatable {
    public var dispatchID: String
    public var userID: UserID
    public var campaign: CampaignID
    public var channel: Channel
    /// The configured name of the provider that kept it (`sandbox`, `feed`).
    public var provider: String
    public var at: Date
    /// When it leaves the feed unseen, if ever.
    public var expiresAt: Date?
    public var dismissedAt: Date?
    /// The rendered message as JSON.
    public var json: Data

    public init(dispatchID: String, userID: UserID, campaign: CampaignID, channel: Channel, provider: String, at: Date,
                expiresAt: Date? = nil, dismissedAt: Date? = nil, json: Data) {
        self.dispatchID = dispatchID
        self.userID = userID
        self.campaign = campaign
        self.channel = channel
        self.provider = provider
        self.at = at
        self.expiresAt = expiresAt
        self.dismissedAt = dismissedAt
        self.json = json
    }
}

/// Which kept messages to read.
public struct KeptMessageFilter: Sendable, Equatable {
    public var user: UserID?
    public var channel: Channel?
    public var dispatchID: String?
    /// Only messages neither dismissed nor expired at this time (a user's live feed).
    public var liveAt: Date?
    public var limit: Int

    public init(user: UserID? = nil, channel: Channel? = nil, dispatchID: String? = nil, liveAt: Date? = nil, limit: Int = 100) {
        self.user = user
        self.channel = channel
        self.dispatchID = dispatchID
        self.liveAt = liveAt
        self.limit = limit
    }
}

/// An address no message goes to any more.
public struct Suppression: Sendable, Equatable {
    public var channel: Channel
    public var address: String
    /// The user whose send found it bad (the trace records it there).
    public var userID: UserID
    public var at: Date
    public var reason: DecisionReason

    public init(channel: Channel, address: String, userID: UserID, at: Date, reason: DecisionReason) {
        self.channel = channel
        self.address = address
        self.userID = userID
        self.at = at
        self.reason = reason
    }
}

/// One dispatch's tries and outcome, recorded together (see ``DispatchOutbox/record(_:worker:)``).
public struct DeliveryRecord: Sendable, Equatable {
    public var dispatch: String
    public var attempts: [DeliveryAttempt]
    /// Nil records the tries only; the dispatch stays claimed.
    public var outcome: DeliveryOutcome?
    public var at: Date

    public init(dispatch: String, attempts: [DeliveryAttempt], outcome: DeliveryOutcome?, at: Date) {
        self.dispatch = dispatch
        self.attempts = attempts
        self.outcome = outcome
        self.at = at
    }
}
