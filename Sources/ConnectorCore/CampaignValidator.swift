/// A problem found when a campaign is published.
public struct CampaignIssue: Sendable, Equatable, CustomStringConvertible {
    public enum Severity: String, Sendable { case error, warning }

    public var severity: Severity
    public var campaign: CampaignID
    /// The field, such as `trigger.campaign` or `exceptions`.
    public var field: String
    public var message: String
    /// Other campaigns the issue is about (the members of a cycle, for instance).
    public var related: [CampaignID] = []

    public var description: String { "\(severity): \(campaign): \(field): \(message)" }
}

/// Publish-time checks: errors block publishing, warnings are shown (R4, R8, R13, R26).
public enum CampaignValidator {
    /// Checks every campaign against the others.
    public static func validate(_ campaigns: [Campaign]) -> [CampaignIssue] {
        let byID = Dictionary(campaigns.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        var issues: [CampaignIssue] = []
        func error(_ campaign: Campaign, _ field: String, _ message: String) {
            issues.append(CampaignIssue(severity: .error, campaign: campaign.id, field: field, message: message))
        }
        for campaign in campaigns {
            if let trigger = campaign.trigger {
                if let target = byID[trigger.target] {
                    if target.history.current == .archived {
                        error(campaign, "trigger.campaign", "the target \(target.id) is archived; archived campaigns never trigger follow-ups (R4)")
                    }
                } else {
                    error(campaign, "trigger.campaign", "no campaign '\(trigger.target)' exists to follow up (R4)")
                }
                if trigger.kind.triggerRequiresDetail && trigger.detail == nil {
                    error(campaign, "trigger.detail", "\(trigger.kind.rawValue) needs the link alias as detail (R1)")
                }
            }
            if !campaign.exceptions.isEmpty && campaign.delay == .immediate {
                error(campaign, "exceptions", "exception events need a schedule delay: without one nothing can happen while the user waits (R13)")
            }
            switch campaign.delay {
            case .relative(let seconds) where seconds < 0:
                error(campaign, "delay.after", "a delay cannot be negative")
            case .nextWeekday(let weekday, let hour, let minute):
                if !(1...7).contains(weekday) { error(campaign, "delay.next_weekday", "weekday must be 1 (Sunday) to 7 (Saturday)") }
                if !(0..<24).contains(hour) || !(0..<60).contains(minute) { error(campaign, "delay.at", "not a time of day") }
            case .calendarDays(let days, let hour, let minute):
                if days < 1 { error(campaign, "delay.calendar_days", "must be at least 1 (R12)") }
                if !(0..<24).contains(hour) || !(0..<60).contains(minute) { error(campaign, "delay.at", "not a time of day") }
            default:
                break
            }
            if !(0...100).contains(campaign.controlGroupPercent) {
                error(campaign, "control_group_percent", "must be between 0 and 100")
            }
            for channel in campaign.channels where campaign.messages[channel] == nil {
                // A warning until the channel adapters exist; then a send would fail (R21).
                issues.append(CampaignIssue(severity: .warning, campaign: campaign.id, field: "messages.\(channel.rawValue)",
                                            message: "no message for \(channel.rawValue): there is nothing to render and send on it (R21)"))
            }
        }
        issues += cycles(in: campaigns)
        return issues
    }

    /// R8: follow-ups that trigger each other in a loop (F1 -> F2 -> F1) are a warning;
    /// re-eligibility and frequency caps stop them at run time. One warning per group of
    /// campaigns that reach each other (a strongly connected component), naming one loop
    /// through it and relating every member: linear in campaigns and triggers.
    public static func cycles(in campaigns: [Campaign]) -> [CampaignIssue] {
        // Edge: target -> follow-up (a send of the target can trigger the follow-up).
        var next: [CampaignID: [CampaignID]] = [:]
        for campaign in campaigns {
            if let target = campaign.trigger?.target { next[target, default: []].append(campaign.id) }
        }
        for key in next.keys { next[key]?.sort() }
        var issues: [CampaignIssue] = []
        for group in stronglyConnected(Set(next.keys).union(campaigns.map(\.id)).sorted(), next) {
            let members = Set(group)
            guard group.count > 1 || next[group[0], default: []].contains(group[0]) else { continue }
            let loop = rotateToMinimum(loopThrough(group.min() ?? group[0], within: members, next))
            issues.append(CampaignIssue(
                severity: .warning, campaign: loop[0], field: "trigger",
                message: "follow-ups trigger each other in a loop: \((loop + [loop[0]]).map(\.rawValue).joined(separator: " -> "))"
                    + (group.count > loop.count ? " (and \(group.count - loop.count) more campaigns in loops with them: \(group.filter { !loop.contains($0) }.map(\.rawValue).joined(separator: ", ")))" : "")
                    + "; re-eligibility and frequency caps limit it (R8)",
                related: group.sorted()))
        }
        return issues.sorted { $0.campaign.rawValue < $1.campaign.rawValue }
    }

    /// Tarjan's strongly connected components, iteratively (no recursion per campaign).
    private static func stronglyConnected(_ nodes: [CampaignID], _ next: [CampaignID: [CampaignID]]) -> [[CampaignID]] {
        var index: [CampaignID: Int] = [:], low: [CampaignID: Int] = [:]
        var onStack: Set<CampaignID> = [], stack: [CampaignID] = [], groups: [[CampaignID]] = []
        var counter = 0
        for root in nodes where index[root] == nil {
            var work: [(node: CampaignID, edge: Int)] = [(root, 0)]
            index[root] = counter; low[root] = counter; counter += 1
            stack.append(root); onStack.insert(root)
            while let (node, edge) = work.last {
                let successors = next[node, default: []]
                if edge < successors.count {
                    work[work.count - 1].edge += 1
                    let successor = successors[edge]
                    if index[successor] == nil {
                        index[successor] = counter; low[successor] = counter; counter += 1
                        stack.append(successor); onStack.insert(successor)
                        work.append((successor, 0))
                    } else if onStack.contains(successor) {
                        low[node] = min(low[node] ?? 0, index[successor] ?? 0)
                    }
                    continue
                }
                work.removeLast()
                if let parent = work.last?.node { low[parent] = min(low[parent] ?? 0, low[node] ?? 0) }
                if low[node] == index[node] {
                    var group: [CampaignID] = []
                    while let member = stack.popLast() {
                        onStack.remove(member)
                        group.append(member)
                        if member == node { break }
                    }
                    groups.append(group)
                }
            }
        }
        return groups
    }

    /// A loop from `start` back to it inside one strongly connected group: a breadth-first
    /// search for the shortest way back.
    private static func loopThrough(_ start: CampaignID, within members: Set<CampaignID>, _ next: [CampaignID: [CampaignID]]) -> [CampaignID] {
        var previous: [CampaignID: CampaignID] = [:]
        var queue = [start], head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            for successor in next[node, default: []] where members.contains(successor) {
                if successor == start {
                    var loop = [node]
                    while let before = previous[loop[loop.count - 1]] { loop.append(before) }
                    return loop.reversed()
                }
                if previous[successor] == nil && successor != start {
                    previous[successor] = node
                    queue.append(successor)
                }
            }
        }
        return [start]
    }

    /// R26: publishing an original whose follow-ups are still drafts misses the users who
    /// interact before those follow-ups are published.
    public static func publishWarnings(publishing original: CampaignID, among campaigns: [Campaign]) -> [CampaignIssue] {
        campaigns.filter { $0.trigger?.target == original && $0.history.current == .draft }.map { draftWarning(original, $0.id) }
    }

    /// ``publishWarnings(publishing:among:)`` for every active campaign at once, in one pass.
    public static func publishWarningsForActive(among campaigns: [Campaign]) -> [CampaignIssue] {
        var drafts: [CampaignID: [CampaignID]] = [:]
        for campaign in campaigns where campaign.history.current == .draft {
            if let target = campaign.trigger?.target { drafts[target, default: []].append(campaign.id) }
        }
        return campaigns.filter { $0.history.current == .active }.flatMap { original in
            (drafts[original.id] ?? []).map { draftWarning(original.id, $0) }
        }
    }

    private static func draftWarning(_ original: CampaignID, _ followUp: CampaignID) -> CampaignIssue {
        CampaignIssue(severity: .warning, campaign: original, field: "status",
                      message: "follow-up \(followUp) is still a draft: interactions before it is published will never trigger it. Publish follow-ups first, then the original (R26)")
    }

    private static func rotateToMinimum(_ cycle: [CampaignID]) -> [CampaignID] {
        guard let minimum = cycle.min(), let index = cycle.firstIndex(of: minimum) else { return cycle }
        return Array(cycle[index...] + cycle[..<index])
    }
}
