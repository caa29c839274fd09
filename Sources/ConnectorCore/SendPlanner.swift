import Foundation

/// A message to hand to a channel adapter: one per channel of a due entry.
public struct Dispatch: Codable, Sendable, Equatable, Hashable {
    /// Unique per (user, campaign send); ties later interactions to the send (R24).
    public var id: String
    /// Deterministic: follow-up, user, trigger event, channel (R25).
    public var idempotencyKey: String
    public var followUp: CampaignID
    public var campaignVersion: Int
    public var userID: UserID
    public var channel: Channel
    public var triggerEventID: EventID
    /// When it was planned: the send time its content is rendered for.
    public var createdAt: Date

    /// A dispatch of `entry` on `channel`, created at `createdAt`, whose content comes from
    /// `campaignVersion`: the follow-up's current version at send time (R21), not the one
    /// the user started waiting under.
    public init(entry: WaitingEntry, channel: Channel, campaignVersion: Int, createdAt: Date) {
        idempotencyKey = "\(entry.followUp.rawValue)|\(entry.userID.rawValue)|\(entry.triggerEventID.rawValue)|\(channel.rawValue)"
        id = "d_" + StableHash.hex(idempotencyKey)
        followUp = entry.followUp
        self.campaignVersion = campaignVersion
        userID = entry.userID
        self.channel = channel
        triggerEventID = entry.triggerEventID
        self.createdAt = createdAt
    }

    private enum CodingKeys: String, CodingKey {
        case id, idempotencyKey, followUp, campaignVersion, userID, channel, triggerEventID, createdAt
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        id = try container.decode(String.self, forKey: .id)
        idempotencyKey = try container.decode(String.self, forKey: .idempotencyKey)
        followUp = try container.decode(CampaignID.self, forKey: .followUp)
        campaignVersion = try container.decode(Int.self, forKey: .campaignVersion)
        userID = try container.decode(UserID.self, forKey: .userID)
        channel = try container.decode(Channel.self, forKey: .channel)
        triggerEventID = try container.decode(EventID.self, forKey: .triggerEventID)
        // Documents written before dispatches carried it: the store has it in a column.
        createdAt = try container.decodeIfPresent(Date.self, forKey: .createdAt) ?? Date(timeIntervalSince1970: 0)
    }
}

/// A workspace-wide cap on messages per user (R19).
public struct FrequencyCap: Codable, Sendable, Equatable {
    public enum Period: Codable, Sendable, Equatable {
        case minutes(Int)
        /// Calendar days in the user's time zone (today counts as one).
        case days(Int)
        case weeks(Int)
    }

    /// The channel it counts, or nil for all channels together.
    public var channel: Channel?
    public var maximum: Int
    public var period: Period

    public init(channel: Channel? = nil, maximum: Int, period: Period) {
        self.channel = channel
        self.maximum = maximum
        self.period = period
    }

    /// How far back the sends this cap counts can lie: its period, plus a day for calendar
    /// days (the user's midnight may be up to 14 hours from UTC's).
    public var lookback: TimeInterval {
        switch period {
        case .minutes(let minutes): return TimeInterval(minutes) * 60
        case .days(let days): return TimeInterval(max(1, days) + 1) * 86_400
        case .weeks(let weeks): return TimeInterval(weeks) * 7 * 86_400
        }
    }
}

extension FrequencyCap.Period: CustomStringConvertible {
    /// `3 days`, `1 minute`, ...
    public var description: String {
        func unit(_ count: Int, _ name: String) -> String { "\(count) \(name)\(count == 1 ? "" : "s")" }
        switch self {
        case .minutes(let count): return unit(count, "minute")
        case .days(let count): return unit(count, "day")
        case .weeks(let count): return unit(count, "week")
        }
    }
}

/// What happens to a due entry.
public enum SendOutcome: Sendable, Equatable {
    /// Send these dispatches; channels that cannot be sent are listed with the reason.
    case send([Dispatch], skippedChannels: [Channel: DecisionReason])
    /// A control-group user: nothing is sent; record this `control_group_enrolled` event (R17).
    case control(Event)
    /// Try again at `until` (rate limit, quiet hours).
    case hold(until: Date, reason: DecisionReason)
    /// Nothing is sent; the user stays eligible (R16).
    case skip(reason: DecisionReason)
}

/// The send-time checks of R16-R20, as a pure function.
public struct SendPlanner: Sendable {
    public var workspaceTimeZone: TimeZone
    public var frequencyCaps: [FrequencyCap]

    public init(workspaceTimeZone: TimeZone, frequencyCaps: [FrequencyCap] = []) {
        self.workspaceTimeZone = workspaceTimeZone
        self.frequencyCaps = frequencyCaps
    }

    /// The longest look back any cap needs (0 without caps).
    public var capLookback: TimeInterval { frequencyCaps.map(\.lookback).max() ?? 0 }

    /// Decides what a due `entry` becomes at `now`.
    ///
    /// - Parameters:
    ///   - campaign: the follow-up's current version (R21: content is rendered from it).
    ///   - sendsThisMinute: this follow-up's sends per channel in the current minute (R18).
    ///   - recentSends: what the user was sent lately (time and channel), as far back as
    ///     the longest cap's ``FrequencyCap/lookback``, for frequency caps (R19).
    // swiftlint:disable:next function_parameter_count
    public func plan(
        _ entry: WaitingEntry, campaign: Campaign, user: User?, now: Date,
        sendsThisMinute: [Channel: Int] = [:], recentSends: [ChannelReceipt] = []
    ) -> SendOutcome {
        // R16: still active, and not stopped since the user began waiting (a stop cancels for good).
        guard campaign.history.status(at: now) == .active else {
            return .skip(reason: DecisionReason(.campaignNotActive, "skipped: \(campaign.id) is \(campaign.history.status(at: now).rawValue)"))
        }
        if campaign.history.changes.contains(where: { $0.status == .stopped && $0.at > entry.triggerTime && $0.at <= now }) {
            return .skip(reason: DecisionReason(.stoppedWhileWaiting, "skipped: \(campaign.id) was stopped while the user waited; resuming does not replay entries"))
        }
        if let window = campaign.window, !window.contains(now) {
            return .skip(reason: DecisionReason(.outsideWindow, "skipped: \(now) is outside the campaign window"))
        }
        let person = user ?? User(id: entry.userID)
        if campaign.rechecksAudience, let failure = campaign.audience.failure(for: person, now: now) {
            return .skip(reason: DecisionReason(.leftAudience, "skipped: no longer in audience (\(failure))"))
        }
        // R17: deterministic control group.
        if ControlGroup.contains(person.id, campaign: campaign.id, percent: campaign.controlGroupPercent) {
            let enrolled = Event(
                id: EventID("control|\(entry.id)"), userID: person.id, time: now,
                payload: .interaction(Interaction(kind: .controlGroupEnrolled, campaign: campaign.id))
            )
            return .control(enrolled)
        }
        // R19 counts calendar days in the user's zone; R20's quiet hours are in the zone the
        // campaign schedules in (the workspace's when it says so, as R11).
        let zone = person.timeZone.flatMap(TimeZone.init(identifier:)) ?? workspaceTimeZone
        if let quiet = campaign.quietHours {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = campaign.useWorkspaceTimeZone ? workspaceTimeZone : zone
            let hour = calendar.component(.hour, from: now)
            if quiet.contains(hour: hour) {
                if quiet.drop { return .skip(reason: DecisionReason(.quietHours, "dropped: inside quiet hours \(quiet.startHour)-\(quiet.endHour) local")) }
                let end = nextLocalHour(quiet.endHour, after: now, calendar: calendar)
                return holdOrDrop(entry, campaign, until: end, reason: DecisionReason(.quietHours, "held: quiet hours until \(quiet.endHour):00 local"))
            }
        }
        var dispatches: [Dispatch] = []
        var skipped: [Channel: DecisionReason] = [:]
        for channel in campaign.channels {
            guard person.isReachable(on: channel) else {
                skipped[channel] = person.subscriptions[channel] == .unsubscribed
                    ? DecisionReason(.unsubscribed, "unsubscribed from \(channel.rawValue)")
                    : DecisionReason(.noAddress, "no \(channel.rawValue) address")
                continue
            }
            // R19: frequency caps (in-app messages and content cards do not count).
            if channel != .inAppMessage && channel != .contentCard,
               let cap = frequencyCaps.first(where: { exceeded($0, channel: channel, sends: recentSends, now: now, zone: zone) }) {
                skipped[channel] = DecisionReason(.frequencyCapped, "frequency cap: at most \(cap.maximum) per \(cap.period) on \(cap.channel?.rawValue ?? "all channels")")
                continue
            }
            // R18: rate limit per channel per minute.
            if let limit = campaign.rateLimitPerMinute, sendsThisMinute[channel, default: 0] >= limit {
                let nextMinute = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
                return holdOrDrop(entry, campaign, until: nextMinute, reason: DecisionReason(.rateLimited, "held: rate limit \(limit)/min on \(channel.rawValue)"))
            }
            dispatches.append(Dispatch(entry: entry, channel: channel, campaignVersion: campaign.version, createdAt: now))
        }
        if dispatches.isEmpty {
            let reasons = skipped.sorted { $0.key.rawValue < $1.key.rawValue }.map(\.value)
            let codes = Set(reasons.map(\.code))
            return .skip(reason: DecisionReason(codes.count == 1 ? codes.first ?? .noSendableChannel : .noSendableChannel,
                                                "skipped: " + reasons.map(\.text).joined(separator: "; ")))
        }
        return .send(dispatches, skippedChannels: skipped)
    }

    private func holdOrDrop(_ entry: WaitingEntry, _ campaign: Campaign, until: Date, reason: DecisionReason) -> SendOutcome {
        // From the first due time: every hold moves `dueAt`, never `firstDueAt`.
        if until.timeIntervalSince(entry.firstDueAt) > TimeInterval(campaign.maxHoldSeconds) {
            return .skip(reason: DecisionReason(.heldTooLong, "dropped: held longer than \(campaign.maxHoldSeconds / 3600) h (\(reason.text))"))
        }
        return .hold(until: until, reason: reason)
    }

    private func nextLocalHour(_ hour: Int, after date: Date, calendar: Calendar) -> Date {
        calendar.nextDate(after: date, matching: DateComponents(hour: hour, minute: 0, second: 0), matchingPolicy: .nextTime) ?? date
    }

    private func exceeded(_ cap: FrequencyCap, channel: Channel, sends: [ChannelReceipt], now: Date, zone: TimeZone) -> Bool {
        if let capped = cap.channel, capped != channel { return false }
        let start: Date
        switch cap.period {
        case .minutes(let minutes): start = now.addingTimeInterval(-TimeInterval(minutes * 60))
        case .weeks(let weeks): start = now.addingTimeInterval(-TimeInterval(weeks * 7 * 86_400))
        case .days(let days):
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
            let today = calendar.startOfDay(for: now)
            start = calendar.date(byAdding: .day, value: -(max(1, days) - 1), to: today) ?? today
        }
        let counted = sends.filter { receipt in
            receipt.time >= start && receipt.time <= now && receipt.channel != .inAppMessage && receipt.channel != .contentCard
                && (cap.channel == nil || receipt.channel == cap.channel)
        }
        return counted.count >= cap.maximum
    }
}

/// The control-group assignment (R17): deterministic per (campaign, user).
public enum ControlGroup {
    /// Whether `user` is held back from `campaign` at `percent` (0-100).
    public static func contains(_ user: UserID, campaign: CampaignID, percent: Double) -> Bool {
        guard percent > 0 else { return false }
        let bucket = StableHash.value("\(campaign.rawValue)|\(user.rawValue)") % 10_000
        return Double(bucket) < percent * 100
    }
}

/// FNV-1a 64-bit: stable across processes and platforms (Swift's Hasher is seeded per run).
package enum StableHash {
    package static func value(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return hash
    }

    package static func hex(_ text: String) -> String {
        let raw = String(value(text), radix: 16)
        return String(repeating: "0", count: 16 - raw.count) + raw
    }
}
