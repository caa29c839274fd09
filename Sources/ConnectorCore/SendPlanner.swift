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

    public init(entry: WaitingEntry, channel: Channel) {
        idempotencyKey = "\(entry.followUp.rawValue)|\(entry.userID.rawValue)|\(entry.triggerEventID.rawValue)|\(channel.rawValue)"
        id = "d_" + StableHash.hex(idempotencyKey)
        followUp = entry.followUp
        campaignVersion = entry.campaignVersion
        userID = entry.userID
        self.channel = channel
        triggerEventID = entry.triggerEventID
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

    /// Decides what a due `entry` becomes at `now`.
    ///
    /// - Parameters:
    ///   - sendsThisMinute: this follow-up's sends per channel in the current minute (R18).
    ///   - receipts: the user's recent receipts, for frequency caps (R19).
    // swiftlint:disable:next function_parameter_count
    public func plan(
        _ entry: WaitingEntry, campaign: Campaign, user: User?, now: Date,
        sendsThisMinute: [Channel: Int] = [:], receipts: [ChannelReceipt] = []
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
        let zone = person.timeZone.flatMap(TimeZone.init(identifier:)) ?? workspaceTimeZone
        // R20: quiet hours in the user's local time.
        if let quiet = campaign.quietHours {
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = zone
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
               let cap = frequencyCaps.first(where: { exceeded($0, channel: channel, receipts: receipts, now: now, zone: zone) }) {
                skipped[channel] = DecisionReason(.frequencyCapped, "frequency cap: at most \(cap.maximum) per \(cap.period) on \(cap.channel?.rawValue ?? "all channels")")
                continue
            }
            // R18: rate limit per channel per minute.
            if let limit = campaign.rateLimitPerMinute, sendsThisMinute[channel, default: 0] >= limit {
                let nextMinute = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60 + 60)
                return holdOrDrop(entry, campaign, until: nextMinute, reason: DecisionReason(.rateLimited, "held: rate limit \(limit)/min on \(channel.rawValue)"))
            }
            dispatches.append(Dispatch(entry: entry, channel: channel))
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
        if until.timeIntervalSince(entry.dueAt) > TimeInterval(campaign.maxHoldSeconds) {
            return .skip(reason: DecisionReason(.heldTooLong, "dropped: held longer than \(campaign.maxHoldSeconds / 3600) h (\(reason.text))"))
        }
        return .hold(until: until, reason: reason)
    }

    private func nextLocalHour(_ hour: Int, after date: Date, calendar: Calendar) -> Date {
        calendar.nextDate(after: date, matching: DateComponents(hour: hour, minute: 0, second: 0), matchingPolicy: .nextTime) ?? date
    }

    private func exceeded(_ cap: FrequencyCap, channel: Channel, receipts: [ChannelReceipt], now: Date, zone: TimeZone) -> Bool {
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
        let counted = receipts.filter { receipt in
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
