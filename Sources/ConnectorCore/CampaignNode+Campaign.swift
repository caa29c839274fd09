import Foundation
import Liquid

/// The campaign file format: fields and their meaning (see ``CampaignFileReader``).
extension CampaignNode {
    func campaign() throws(CampaignDefinitionError) -> Campaign {
        _ = try object()
        try allowOnly(["id", "name", "version", "status", "published_at", "history", "channels", "messages", "trigger", "delay", "time_zone",
                       "exceptions", "re_eligible_after", "audience", "recheck_audience_at_send", "control_group_percent", "window",
                       "rate_limit_per_minute", "max_hold", "quiet_hours"])
        let id = CampaignID(try child("id").identifier())
        var campaign = Campaign(id: id, name: child("name").isMissing ? nil : try child("name").string())
        if !child("version").isMissing { campaign.version = try child("version").int(in: 1...Int(Int32.max)) }
        campaign.history = try history()
        if !child("channels").isMissing {
            campaign.channels = []
            for item in try child("channels").list() {
                let name = try item.string()
                guard let channel = Channel(rawValue: name) else {
                    throw item.fail(Channel.problem(with: name))
                }
                campaign.channels.append(channel)
            }
        }
        if !child("messages").isMissing {
            for (name, _) in try child("messages").object().sorted(by: { $0.key < $1.key }) {
                let node = child("messages").child(name)
                guard let channel = Channel(rawValue: name) else {
                    throw node.fail(Channel.problem(with: name))
                }
                guard campaign.channels.contains(channel) else {
                    throw node.fail("the campaign does not send on \(name) (channels: \(campaign.channels.map(\.rawValue).joined(separator: ", "))); add it to channels or remove this message")
                }
                campaign.messages[channel] = try node.channelContent(channel)
            }
        }
        if !child("trigger").isMissing {
            let trigger = child("trigger")
            try trigger.allowOnly(["kind", "campaign", "detail"])
            let detail = trigger.child("detail")
            campaign.trigger = Trigger(kind: try trigger.child("kind").interactionKind(),
                                       target: CampaignID(try trigger.child("campaign").identifier()),
                                       detail: detail.isMissing ? nil : try detail.string())
        }
        campaign.delay = try delay()
        if !child("time_zone").isMissing {
            switch try child("time_zone").string() {
            case "user": campaign.useWorkspaceTimeZone = false
            case "workspace": campaign.useWorkspaceTimeZone = true
            case let other: throw child("time_zone").fail("'\(other)' is not a time zone choice: use user (each user's own zone, the default) or workspace")
            }
        }
        if !child("exceptions").isMissing {
            campaign.exceptions = []
            for item in try child("exceptions").list() { campaign.exceptions.append(try item.exception()) }
        }
        let eligibility = child("re_eligible_after")
        switch eligibility.value as? String {
        case nil where eligibility.isMissing, "never"?: campaign.reEligibility = .never
        case "always"?: campaign.reEligibility = .after(seconds: 0)
        default: campaign.reEligibility = .after(seconds: try eligibility.duration())
        }
        if !child("audience").isMissing { campaign.audience = try child("audience").segment() }
        if !child("recheck_audience_at_send").isMissing { campaign.recheckAudienceAtSend = try child("recheck_audience_at_send").bool() }
        if !child("control_group_percent").isMissing {
            let percent = try child("control_group_percent").double()
            guard (0...100).contains(percent) else { throw child("control_group_percent").fail("must be between 0 and 100") }
            campaign.controlGroupPercent = percent
        }
        if !child("window").isMissing {
            try child("window").allowOnly(["start", "end"])
            let start = try child("window").child("start").date(), end = try child("window").child("end").date()
            guard start <= end else { throw child("window").fail("start is after end") }
            campaign.window = DateInterval(start: start, end: end)
        }
        if !child("rate_limit_per_minute").isMissing { campaign.rateLimitPerMinute = try child("rate_limit_per_minute").int(in: 1...1_000_000) }
        if !child("max_hold").isMissing { campaign.maxHoldSeconds = try child("max_hold").duration() }
        if !child("quiet_hours").isMissing {
            let quiet = child("quiet_hours")
            try quiet.allowOnly(["start", "end", "drop"])
            let start = try quiet.child("start").int(in: 0...23), end = try quiet.child("end").int(in: 0...23)
            campaign.quietHours = QuietHours(startHour: start, endHour: end, drop: quiet.child("drop").isMissing ? false : try quiet.child("drop").bool())
        }
        return campaign
    }

    private func history() throws(CampaignDefinitionError) -> StatusHistory {
        if !child("history").isMissing {
            var changes: [StatusChange] = []
            for item in try child("history").list() {
                let name = try item.child("status").string()
                guard let status = CampaignStatus(rawValue: name) else { throw item.child("status").fail("unknown status '\(name)'") }
                changes.append(StatusChange(status, at: try item.child("at").date()))
            }
            return StatusHistory(changes)
        }
        let statusName = child("status").isMissing ? "draft" : try child("status").string()
        guard let status = CampaignStatus(rawValue: statusName) else {
            throw child("status").fail("unknown status '\(statusName)'; expected draft, active, stopped or archived")
        }
        if status == .draft { return StatusHistory() }
        return StatusHistory([StatusChange(status, at: try child("published_at").date())])
    }

    private func delay() throws(CampaignDefinitionError) -> ScheduleDelay {
        let delay = child("delay")
        if delay.isMissing || delay.value as? String == "none" { return .immediate }
        try delay.allowOnly(["after", "next_weekday", "calendar_days", "at"])
        if !delay.child("after").isMissing {
            let seconds = try delay.child("after").duration()
            return seconds == 0 ? .immediate : .relative(seconds: seconds)
        }
        if !delay.child("next_weekday").isMissing {
            let names = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"]
            let name = try delay.child("next_weekday").string().lowercased()
            guard let index = names.firstIndex(of: name) else { throw delay.child("next_weekday").fail("'\(name)' is not a weekday") }
            let (hour, minute) = try delay.child("at").timeOfDay()
            return .nextWeekday(weekday: index + 1, hour: hour, minute: minute)
        }
        if !delay.child("calendar_days").isMissing {
            let days = try delay.child("calendar_days").int(in: 1...3650)
            let (hour, minute) = try delay.child("at").timeOfDay()
            return .calendarDays(days: days, hour: hour, minute: minute)
        }
        throw delay.fail("expected { after: DURATION }, { next_weekday: DAY, at: \"HH:MM\" } or { calendar_days: N, at: \"HH:MM\" }")
    }

    func exception() throws(CampaignDefinitionError) -> ExceptionMatcher {
        if value as? String == "session_start" { return .sessionStart }
        if !["interaction", "purchase", "custom_event"].allSatisfy({ child($0).isMissing }) {
            try allowOnly(["interaction", "campaign", "detail", "purchase", "custom_event", "properties"])
        }
        if !child("interaction").isMissing {
            let campaign = child("campaign"), detail = child("detail")
            return .interaction(kind: try child("interaction").interactionKind(),
                                campaign: campaign.isMissing ? nil : CampaignID(try campaign.string()),
                                detail: detail.isMissing ? nil : try detail.string())
        }
        if !child("purchase").isMissing {
            let product = try child("purchase").string()
            return .purchase(productID: product == "any" ? nil : product)
        }
        if !child("custom_event").isMissing {
            var properties: [String: AttributeValue] = [:]
            if !child("properties").isMissing {
                for (key, raw) in try child("properties").object() { properties[key] = AttributeValue(any: raw) }
            }
            return .customEvent(name: try child("custom_event").string(), properties: properties)
        }
        throw fail("expected session_start, { interaction: KIND }, { purchase: any|PRODUCT } or { custom_event: NAME }")
    }

    func segment() throws(CampaignDefinitionError) -> Segment {
        if value as? String == "everyone" { return .everyone }
        if !child("all").isMissing { return .all(try child("all").list().map { (node: CampaignNode) throws(CampaignDefinitionError) in try node.segment() }) }
        if !child("any").isMissing { return .any(try child("any").list().map { (node: CampaignNode) throws(CampaignDefinitionError) in try node.segment() }) }
        if !child("not").isMissing { return .not(try child("not").segment()) }
        if !child("reachable").isMissing {
            let name = try child("reachable").string()
            guard let channel = Channel(rawValue: name) else { throw child("reachable").fail(Channel.problem(with: name)) }
            return .reachable(channel)
        }
        let name = try child("attribute").string()
        let tests: [(String, (CampaignNode) throws(CampaignDefinitionError) -> AttributeCondition)] = [
            ("equals", { .equals(AttributeValue(any: $0.value)) }),
            ("not_equals", { .notEquals(AttributeValue(any: $0.value)) }),
            ("exists", { node throws(CampaignDefinitionError) in try node.bool() ? .exists : .notExists }),
            ("greater_than", { node throws(CampaignDefinitionError) in .greaterThan(try node.double()) }),
            ("less_than", { node throws(CampaignDefinitionError) in .lessThan(try node.double()) }),
            ("at_least", { node throws(CampaignDefinitionError) in .atLeast(try node.double()) }),
            ("at_most", { node throws(CampaignDefinitionError) in .atMost(try node.double()) }),
            ("in", { node throws(CampaignDefinitionError) in .inList(try node.list().map { AttributeValue(any: $0.value) }) }),
            ("contains", { node throws(CampaignDefinitionError) in .contains(try node.string()) }),
            ("before", { node throws(CampaignDefinitionError) in .before(try node.date()) }),
            ("after", { node throws(CampaignDefinitionError) in .after(try node.date()) }),
            ("within_last", { node throws(CampaignDefinitionError) in .withinLast(seconds: Double(try node.duration())) }),
        ]
        try allowOnly(["attribute"] + tests.map(\.0))
        for (key, make) in tests where !child(key).isMissing {
            return .attribute(name, try make(child(key)))
        }
        throw fail("attribute '\(name)' needs a test: \(tests.map(\.0).joined(separator: ", "))")
    }
}

extension AttributeValue {
    /// Converts a YAML/JSON scalar or collection.
    init(any value: Any?) {
        switch value {
        case nil, is NSNull: self = .null
        case let flag as Bool: self = .bool(flag)
        case let number as Int: self = .number(Double(number))
        case let number as Double: self = .number(number)
        case let text as String: self = .string(text)
        case let list as [Any]: self = .array(list.map { AttributeValue(any: $0) })
        case let map as [String: Any]: self = .object(map.mapValues { AttributeValue(any: $0) })
        default: self = .string("\(value ?? "")")
        }
    }
}
