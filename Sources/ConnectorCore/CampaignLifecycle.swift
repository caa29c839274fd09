import Foundation

/// Status changes of a campaign (publish, stop, resume, archive), checked against the
/// other campaigns at the moment of the change, so configuration errors are found at
/// publish time and never at send time.
///
/// Allowed: draft -> active (publish), active -> stopped (stop), stopped -> active
/// (resume), and draft/active/stopped -> archived. Publishing and resuming run the
/// ``CampaignValidator`` over all campaigns as they would be afterwards: an error that
/// concerns the campaign being changed refuses the change; warnings (R8 cycles, R26
/// draft follow-ups, follow-ups left without a target) are returned with the result.
public enum CampaignLifecycle {
    /// The outcome of an accepted change.
    public struct Change: Sendable, Equatable {
        /// The campaign with the change recorded in its status history.
        public var campaign: Campaign
        /// What the caller should show; none of these blocked the change.
        public var warnings: [CampaignIssue]
    }

    /// A refused change, with every reason.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public var campaign: CampaignID
        public var status: CampaignStatus
        public var issues: [CampaignIssue]

        public var description: String {
            "cannot make \(campaign) \(status.rawValue):\n" + issues.map { "  \($0)" }.joined(separator: "\n")
        }
    }

    /// Changes `id` to `status` at `time`, among `campaigns` (which include it).
    public static func change(
        _ id: CampaignID, to status: CampaignStatus, at time: Date, among campaigns: [Campaign]
    ) throws(Refusal) -> Change {
        func refuse(_ field: String, _ message: String) -> Refusal {
            Refusal(campaign: id, status: status, issues: [CampaignIssue(severity: .error, campaign: id, field: field, message: message)])
        }
        guard var campaign = campaigns.first(where: { $0.id == id }) else {
            throw refuse("id", "no campaign '\(id)' exists")
        }
        let current = campaign.history.current
        if let last = campaign.history.changes.last, time < last.at {
            throw refuse("status", "the change at \(TraceTime.iso(time)) is earlier than the last one (\(last.status.rawValue) at \(TraceTime.iso(last.at)))")
        }
        switch (current, status) {
        case (.draft, .active), (.stopped, .active), (.active, .stopped), (.draft, .archived), (.active, .archived), (.stopped, .archived):
            break
        case (.archived, _):
            throw refuse("status", "\(id) is archived; an archived campaign cannot change any more (copy it instead)")
        default:
            throw refuse("status", "\(id) is \(current.rawValue); it cannot become \(status.rawValue) (draft -> active -> stopped <-> active, any -> archived)")
        }
        campaign.history.record(status, at: time)
        let after = campaigns.map { $0.id == id ? campaign : $0 }

        var warnings: [CampaignIssue] = []
        if status == .active {
            let issues = CampaignValidator.validate(after)
            let blocking = issues.filter { $0.severity == .error && $0.campaign == id }
            if !blocking.isEmpty { throw Refusal(campaign: id, status: status, issues: blocking) }
            warnings += issues.filter { $0.severity == .warning && ($0.campaign == id || $0.related.contains(id)) }
            warnings += CampaignValidator.publishWarnings(publishing: id, among: after)
        }
        if status == .archived {
            for followUp in after where followUp.trigger?.target == id && followUp.history.current != .archived {
                warnings.append(CampaignIssue(severity: .warning, campaign: followUp.id, field: "trigger.campaign",
                                              message: "its target \(id) is archived: it will never trigger again (R4)"))
            }
        }
        return Change(campaign: campaign, warnings: warnings)
    }

}
