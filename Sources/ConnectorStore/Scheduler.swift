import ConnectorCore
import Foundation

/// Turns due waiting entries into dispatches (R16-R20) at a time the caller gives, so
/// tests and the service drive it with their own clock.
///
/// A run reads the due entries and their users once, plans each entry with the pure
/// ``SendPlanner``, and writes every outcome in one transaction; rate limits (R18) count
/// the sends already in the outbox this minute plus those planned earlier in the run.
public struct Scheduler: Sendable {
    public let store: any Store
    public let planner: SendPlanner

    /// A configuration the scheduler cannot work with, found when it is made.
    public struct ConfigurationError: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// - Throws: ``ConfigurationError`` when the planner has frequency caps (R19) and the
    ///   store does not index every receipt (``ReceiptIndex/followUpsOnly``): the caps
    ///   would count too few messages.
    public init(store: any Store, planner: SendPlanner) throws(ConfigurationError) {
        if !planner.frequencyCaps.isEmpty && !store.indexesEveryReceipt {
            throw ConfigurationError(description: """
                frequency caps (R19) count every message a user received, but the store indexes only \
                receipts of follow-ups: open it with receiptIndex: .all (it re-indexes the receipts \
                from the event log), or remove the caps
                """)
        }
        self.store = store
        self.planner = planner
    }

    /// Processes the entries due at `now` (up to `limit`, earliest first); control-group
    /// enrolments are then ingested as events (they can trigger follow-ups, R8). Returns
    /// the outcomes in the order of the entries.
    @discardableResult
    public func runDue(at now: Date, engine: ConnectorEngine, limit: Int = 1000) throws -> [SendOutcome] {
        let due = try store.dueEntries(at: now, limit: limit)
        guard !due.isEmpty else { return [] }
        let users = try store.users(Set(due.map(\.userID)))
        let minute = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60)
        var sendsThisMinute: [CampaignID: [Channel: Int]] = [:]
        var completions: [Completion] = []
        completions.reserveCapacity(due.count)
        for entry in due {
            guard let campaign = engine.campaigns[entry.followUp] else {
                completions.append(Completion(entry: entry, outcome: .skip(reason: DecisionReason(.campaignMissing, "skipped: campaign \(entry.followUp) no longer exists"))))
                continue
            }
            if campaign.rateLimitPerMinute != nil, sendsThisMinute[campaign.id] == nil {
                var counts: [Channel: Int] = [:]
                for channel in campaign.channels {
                    counts[channel] = try store.dispatchCount(campaign: campaign.id, channel: channel, since: minute)
                }
                sendsThisMinute[campaign.id] = counts
            }
            let receipts = planner.frequencyCaps.isEmpty ? [] : try store.receipts(for: entry.userID, since: now.addingTimeInterval(-60 * 86_400))
            let outcome = planner.plan(entry, campaign: campaign, user: users[entry.userID], now: now,
                                       sendsThisMinute: sendsThisMinute[campaign.id] ?? [:], receipts: receipts)
            if case .send(let dispatches, _) = outcome, campaign.rateLimitPerMinute != nil {
                for dispatch in dispatches { sendsThisMinute[campaign.id, default: [:]][dispatch.channel, default: 0] += 1 }
            }
            completions.append(Completion(entry: entry, outcome: outcome))
        }
        try store.complete(completions, now: now)
        let enrolments = completions.compactMap { completion -> Event? in
            if case .control(let enrolled) = completion.outcome { return enrolled }
            return nil
        }
        if !enrolments.isEmpty {
            _ = try store.ingest(enrolments, engine: engine, now: now)
        }
        return completions.map(\.outcome)
    }
}
