/// Why the engine, the send-time checks or the scheduler decided what they did.
///
/// ``code`` is stable and has no values in it, so it serves as a metric label and can be
/// queried in the trace (`skipped` because of `not_in_audience`); ``text`` says the same
/// for a person, with the campaign, times and values involved.
///
/// ```swift
/// for decision in report.decisions where decision.reason.code == .notInAudience {
///     print(decision.followUp, decision.reason.text)
/// }
/// ```
public struct DecisionReason: Sendable, Hashable, CustomStringConvertible {
    /// A stable, snake_case name for a kind of reason.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String

        public init(rawValue: String) { self.rawValue = rawValue }

        public var description: String { rawValue }

        // The engine (R1-R15), when an event arrives.

        /// The user starts waiting (or is due at once).
        public static let scheduled = Code(rawValue: "scheduled")
        /// An exception event ended the wait (R13).
        public static let exception = Code(rawValue: "exception")
        /// An exception that happened before the trigger arrived late, ahead of it (R14).
        public static let exceptionBeforeTrigger = Code(rawValue: "exception_before_trigger")
        /// The follow-up was not active when the interaction happened (R3).
        public static let followUpInactiveAtTrigger = Code(rawValue: "follow_up_inactive_at_trigger")
        /// The follow-up is not active now (R3, R16).
        public static let followUpNotActive = Code(rawValue: "follow_up_not_active")
        /// The interaction happened in an earlier active period of the follow-up, before a
        /// stop and a resume (R3).
        public static let earlierActivePeriod = Code(rawValue: "earlier_active_period")
        /// The interaction names a campaign that does not exist.
        public static let unknownTarget = Code(rawValue: "unknown_target")
        /// The campaign interacted with was not active then (R4).
        public static let targetNotActive = Code(rawValue: "target_not_active")
        /// The user is not in the follow-up's audience (R5).
        public static let notInAudience = Code(rawValue: "not_in_audience")
        /// The user is already waiting for this follow-up (R6).
        public static let alreadyWaiting = Code(rawValue: "already_waiting")
        /// The user received the follow-up and is never eligible again (R7).
        public static let alreadyReceived = Code(rawValue: "already_received")
        /// The user received the follow-up and is eligible again only later (R7).
        public static let notYetReEligible = Code(rawValue: "not_yet_re_eligible")

        // Send time (R16-R20), when an entry is due.

        /// The follow-up is no longer active (R16).
        public static let campaignNotActive = Code(rawValue: "campaign_not_active")
        /// The follow-up was stopped while the user waited (R16).
        public static let stoppedWhileWaiting = Code(rawValue: "stopped_while_waiting")
        /// The follow-up no longer exists.
        public static let campaignMissing = Code(rawValue: "campaign_missing")
        /// Outside the campaign's send window.
        public static let outsideWindow = Code(rawValue: "outside_window")
        /// The user left the audience while waiting (R5, checked again at send time).
        public static let leftAudience = Code(rawValue: "left_audience")
        /// Held back in the control group (R17).
        public static let controlGroup = Code(rawValue: "control_group")
        /// Inside quiet hours: held until they end, or dropped (R20).
        public static let quietHours = Code(rawValue: "quiet_hours")
        /// Over the follow-up's rate limit: held until the next minute (R18).
        public static let rateLimited = Code(rawValue: "rate_limited")
        /// Held longer than the follow-up allows: dropped (R18).
        public static let heldTooLong = Code(rawValue: "held_too_long")
        /// The user has no address on the channel (R21).
        public static let noAddress = Code(rawValue: "no_address")
        /// The user unsubscribed from the channel (R21).
        public static let unsubscribed = Code(rawValue: "unsubscribed")
        /// A frequency cap is reached on the channel (R19).
        public static let frequencyCapped = Code(rawValue: "frequency_capped")
        /// No channel can be sent, for different reasons per channel.
        public static let noSendableChannel = Code(rawValue: "no_sendable_channel")
        /// Dispatched on one or more channels.
        public static let dispatched = Code(rawValue: "dispatched")
        /// The follow-up was stopped (or archived): its waiting entries are cancelled for
        /// good (R16).
        public static let campaignStopped = Code(rawValue: "campaign_stopped")
        /// Delivery: the provider accepted the message (R22).
        public static let accepted = Code(rawValue: "accepted")
    }

    /// What kind of reason it is.
    public var code: Code
    /// The reason for a person.
    public var text: String

    public init(_ code: Code, _ text: String) {
        self.code = code
        self.text = text
    }

    public var description: String { text }
}
