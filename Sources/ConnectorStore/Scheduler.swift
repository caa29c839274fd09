import ConnectorCore
import Foundation

/// Turns due waiting entries into dispatches (R16-R20) at a time the caller gives, so
/// tests and the service drive it with their own clock.
public struct Scheduler: Sendable {
    public let store: any Store
    public let planner: SendPlanner

    public init(store: any Store, planner: SendPlanner) {
        self.store = store
        self.planner = planner
    }

    /// Processes every entry due at `now` (up to `limit`); control-group enrolments are
    /// ingested as events (they can trigger follow-ups, R8). Returns the outcomes.
    @discardableResult
    public func runDue(at now: Date, engine: ConnectorEngine, limit: Int = 1000) throws -> [SendOutcome] {
        var outcomes: [SendOutcome] = []
        for entry in try store.dueEntries(at: now, limit: limit) {
            guard let campaign = engine.campaigns[entry.followUp] else {
                let outcome = SendOutcome.skip(reason: "skipped: campaign \(entry.followUp) no longer exists")
                try store.complete(entry, outcome: outcome, now: now)
                outcomes.append(outcome)
                continue
            }
            let user = try store.user(entry.userID)
            let minute = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60)
            var sendsThisMinute: [Channel: Int] = [:]
            if campaign.rateLimitPerMinute != nil {
                for channel in campaign.channels {
                    sendsThisMinute[channel] = try store.dispatchCount(campaign: campaign.id, channel: channel, since: minute)
                }
            }
            let receipts = planner.frequencyCaps.isEmpty ? [] : try store.receipts(for: entry.userID, since: now.addingTimeInterval(-60 * 86_400))
            let outcome = planner.plan(entry, campaign: campaign, user: user, now: now, sendsThisMinute: sendsThisMinute, receipts: receipts)
            try store.complete(entry, outcome: outcome, now: now)
            if case .control(let enrolled) = outcome {
                _ = try store.ingest([enrolled], engine: engine, now: now)
            }
            outcomes.append(outcome)
        }
        return outcomes
    }
}
