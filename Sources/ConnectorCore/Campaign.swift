import Foundation

/// A campaign: a message on one or more channels, who gets it, and (for a follow-up)
/// which interaction triggers it, after what delay, unless what happens meanwhile.
public struct Campaign: Codable, Sendable, Equatable {
    public var id: CampaignID
    public var name: String
    /// Increases with every published change of content or settings.
    public var version: Int
    public var history: StatusHistory
    /// The channels it sends on.
    public var channels: [Channel]
    /// What it sends on each channel: named Liquid templates (a push's `title` and `body`,
    /// an email's `subject` and `html`), rendered at send time from this version (R21).
    public var messages: [Channel: ChannelContent]
    /// Who may receive it (R5). Default: everyone.
    public var audience: Segment
    /// For a follow-up: the interaction that triggers it (R2). Nil for scheduled/API campaigns.
    public var trigger: Trigger?
    /// How long after the trigger it is sent (R9-R12).
    public var delay: ScheduleDelay
    /// Events that cancel a waiting user (R13-R15). Only allowed with a delay.
    public var exceptions: [ExceptionMatcher]
    /// When a user may receive it again (R7). Default: never.
    public var reEligibility: ReEligibility
    /// Whether the audience is checked again at send time (R5); nil means "when it has a delay".
    public var recheckAudienceAtSend: Bool?
    /// Use the workspace time zone even for users who have one (R11).
    public var useWorkspaceTimeZone: Bool
    /// Percentage (0-100) held back as a control group (R17).
    public var controlGroupPercent: Double
    /// Sends outside this window are skipped (R16).
    public var window: DateInterval?
    /// At most this many sends per minute per channel; more wait for a slot (R18).
    public var rateLimitPerMinute: Int?
    /// A send held (rate limit, quiet hours) longer than this is dropped (R18). Default 72 h.
    public var maxHoldSeconds: Int
    /// Local hours in which nothing is sent (R20).
    public var quietHours: QuietHours?

    public init(
        id: CampaignID,
        name: String? = nil,
        version: Int = 1,
        history: StatusHistory = StatusHistory(),
        channels: [Channel] = [.push],
        messages: [Channel: ChannelContent] = [:],
        audience: Segment = .everyone,
        trigger: Trigger? = nil,
        delay: ScheduleDelay = .immediate,
        exceptions: [ExceptionMatcher] = [],
        reEligibility: ReEligibility = .never,
        recheckAudienceAtSend: Bool? = nil,
        useWorkspaceTimeZone: Bool = false,
        controlGroupPercent: Double = 0,
        window: DateInterval? = nil,
        rateLimitPerMinute: Int? = nil,
        maxHoldSeconds: Int = 72 * 3600,
        quietHours: QuietHours? = nil
    ) {
        self.id = id
        self.name = name ?? id.rawValue
        self.version = version
        self.history = history
        self.channels = channels
        self.messages = messages
        self.audience = audience
        self.trigger = trigger
        self.delay = delay
        self.exceptions = exceptions
        self.reEligibility = reEligibility
        self.recheckAudienceAtSend = recheckAudienceAtSend
        self.useWorkspaceTimeZone = useWorkspaceTimeZone
        self.controlGroupPercent = controlGroupPercent
        self.window = window
        self.rateLimitPerMinute = rateLimitPerMinute
        self.maxHoldSeconds = maxHoldSeconds
        self.quietHours = quietHours
    }

    /// Whether the audience is checked again when the entry is due (R5).
    public var rechecksAudience: Bool { recheckAudienceAtSend ?? (delay != .immediate) }
}

/// "Interacted with campaign": kind, target, optional detail (R2).
public struct Trigger: Codable, Sendable, Equatable, Hashable {
    public var kind: InteractionKind
    public var target: CampaignID
    public var detail: String?

    public init(kind: InteractionKind, target: CampaignID, detail: String? = nil) {
        self.kind = kind
        self.target = target
        self.detail = detail
    }

    /// R2: same kind and campaign, and the detail if the trigger names one.
    public func matches(_ interaction: Interaction) -> Bool {
        interaction.kind == kind && interaction.campaign == target && (detail == nil || detail == interaction.detail)
    }
}

/// When a user who received a follow-up may receive it again (R7).
public enum ReEligibility: Codable, Sendable, Equatable {
    /// At most once (the default).
    case never
    /// Again once this many seconds have passed since the last receipt; 0 = every time.
    case after(seconds: Int)
}

/// An event that cancels a waiting entry (R13).
public enum ExceptionMatcher: Codable, Sendable, Equatable {
    /// An interaction of `kind`, with `campaign` if given (any campaign if nil), and `detail` if given.
    case interaction(kind: InteractionKind, campaign: CampaignID?, detail: String?)
    /// A custom event by name, with properties equal to these if given.
    case customEvent(name: String, properties: [String: AttributeValue])
    /// A purchase, of `productID` if given.
    case purchase(productID: String?)
    case sessionStart

    /// Whether `event` is this exception.
    public func matches(_ event: Event) -> Bool {
        switch (self, event.payload) {
        case (.interaction(let kind, let campaign, let detail), .interaction(let interaction)):
            return interaction.kind == kind && (campaign == nil || campaign == interaction.campaign)
                && (detail == nil || detail == interaction.detail)
        case (.customEvent(let name, let filters), .custom(let eventName, let properties)):
            return name == eventName && filters.allSatisfy { properties[$0.key] == $0.value }
        case (.purchase(let product), .purchase(let productID, _, _, _)):
            return product == nil || product == productID
        case (.sessionStart, .sessionStart):
            return true
        default:
            return false
        }
    }
}

/// Local hours in which a campaign sends nothing (R20), e.g. 22 to 8.
public struct QuietHours: Codable, Sendable, Equatable {
    /// The first quiet hour (0-23).
    public var startHour: Int
    /// The first hour that is not quiet (0-23); may be smaller than `startHour` (overnight).
    public var endHour: Int
    /// Whether a send inside them is dropped instead of held until they end.
    public var drop: Bool

    public init(startHour: Int, endHour: Int, drop: Bool = false) {
        self.startHour = startHour
        self.endHour = endHour
        self.drop = drop
    }

    /// Whether the local hour `hour` is quiet.
    public func contains(hour: Int) -> Bool {
        startHour <= endHour ? (hour >= startHour && hour < endHour) : (hour >= startHour || hour < endHour)
    }
}
