import ConnectorCore
import ConnectorStore
import Foundation
import PostgresNIO

/// The wait queue: due entries claimed with `FOR UPDATE SKIP LOCKED` and a lease, settled
/// in one transaction per batch under the users' locks.
extension PostgresStore {
    public func claimDue(at now: Date, worker: WorkerID, lease: TimeInterval, limit: Int) async throws -> [WaitingEntry] {
        guard limit > 0 else { return [] }
        let time = now.timeIntervalSince1970
        return try await transaction { connection in
            let rows = try await connection.query("""
                UPDATE waiting SET claimed_by = \(worker.rawValue), lease_until = \(time + max(0, lease))
                WHERE (user_id, follow_up) IN (
                    SELECT user_id, follow_up FROM waiting
                    WHERE due_at <= \(time) AND (claimed_by IS NULL OR lease_until <= \(time))
                    ORDER BY due_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING json
                """, logger: logger)
            var entries: [WaitingEntry] = []
            for try await json in rows.decode(String.self) { entries.append(try Self.decode(WaitingEntry.self, json)) }
            return entries.sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
        }
    }

    public func settle(_ entries: [WaitingEntry], worker: WorkerID, now: Date) async throws -> [Settlement] {
        guard !entries.isEmpty else { return [] }
        return try await transaction { connection in
            let current = try await currentDecider(connection)
            try await lock(users: entries.map(\.userID), connection)
            var settlements: [Settlement] = []
            var report = IngestReport()
            for entry in entries {
                let held = try await connection.query("""
                    SELECT json FROM waiting WHERE user_id = \(entry.userID.rawValue) AND follow_up = \(entry.followUp.rawValue)
                    AND id = \(entry.id) AND claimed_by = \(worker.rawValue) FOR UPDATE
                    """, logger: logger)
                var stored: WaitingEntry?
                for try await json in held.decode(String.self) { stored = try Self.decode(WaitingEntry.self, json) }
                guard let stored else {
                    settlements.append(Settlement(entry: entry, result: .notHeld))
                    continue
                }
                let outcome = try await plan(stored, current, now: now, connection)
                try await apply(outcome, to: stored, now: now, connection)
                if case .control(let event) = outcome {
                    // Control-group enrolment is an event, ingested in this transaction (R17).
                    try await record(event, current, now: now, connection, &report)
                }
                settlements.append(Settlement(entry: entry, result: .settled(outcome)))
            }
            return settlements
        }
    }

    /// R16-R21 for one held entry, with the rate-limit counts (R18) and the user's recent
    /// sends (R19) read in the settling transaction.
    private func plan(_ entry: WaitingEntry, _ current: Decider, now: Date, _ connection: PostgresConnection) async throws -> SendOutcome {
        guard let campaign = current.engine.campaigns[entry.followUp] else {
            return .skip(reason: DecisionReason(.campaignMissing, "skipped: campaign \(entry.followUp) no longer exists"))
        }
        let user = try await readUser(entry.userID, connection)
        var sendsThisMinute: [Channel: Int] = [:]
        if campaign.rateLimitPerMinute != nil {
            let minute = (now.timeIntervalSince1970 / 60).rounded(.down) * 60
            for channel in campaign.channels {
                let rows = try await connection.query("""
                    SELECT count(*) FROM outbox WHERE campaign_id = \(campaign.id.rawValue) AND channel = \(channel.rawValue) AND created_at >= \(minute)
                    """, logger: logger)
                for try await count in rows.decode(Int.self) { sendsThisMinute[channel] = count }
            }
        }
        let planner = current.planner
        var recent: [ChannelReceipt] = []
        if !planner.frequencyCaps.isEmpty {
            let since = now.addingTimeInterval(-planner.capLookback).timeIntervalSince1970
            let rows = try await connection.query("""
                SELECT created_at, channel FROM outbox WHERE user_id = \(entry.userID.rawValue) AND created_at >= \(since) ORDER BY created_at
                """, logger: logger)
            for try await (time, channel) in rows.decode((Double, String).self) {
                if let channel = Channel(rawValue: channel) { recent.append(ChannelReceipt(time: Date(timeIntervalSince1970: time), channel: channel)) }
            }
        }
        return planner.plan(entry, campaign: campaign, user: user, now: now, sendsThisMinute: sendsThisMinute, recentSends: recent)
    }

    private func apply(_ outcome: SendOutcome, to entry: WaitingEntry, now: Date, _ connection: PostgresConnection) async throws {
        switch outcome {
        case .hold(let until, let reason):
            var moved = entry
            moved.dueAt = until
            try await connection.query("""
                UPDATE waiting SET due_at = \(until.timeIntervalSince1970), json = \(try Self.json(moved)), claimed_by = NULL, lease_until = NULL
                WHERE user_id = \(entry.userID.rawValue) AND follow_up = \(entry.followUp.rawValue)
                """, logger: logger)
            try await trace(entry.userID, now, entry.followUp, .held, reason, connection)
            return
        case .send(let dispatches, let skipped):
            for dispatch in dispatches {
                let time = dispatch.createdAt.timeIntervalSince1970
                try await connection.query("""
                    INSERT INTO outbox (dispatch_id, user_id, campaign_id, channel, created_at, state, ready_at, updated_at, json)
                    VALUES (\(dispatch.id), \(dispatch.userID.rawValue), \(dispatch.followUp.rawValue), \(dispatch.channel.rawValue), \(time),
                            'queued', \(time), \(time), \(try Self.json(dispatch)))
                    ON CONFLICT (dispatch_id) DO NOTHING
                    """, logger: logger)
            }
            let channels = dispatches.map(\.channel.rawValue).joined(separator: ", ")
            let note = skipped.isEmpty ? "" : " (not on " + skipped.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: "; ") + ")"
            let version = dispatches.first.map { " version \($0.campaignVersion)" } ?? ""
            try await trace(entry.userID, now, entry.followUp, .sent, DecisionReason(.dispatched, "dispatched \(entry.followUp)\(version) on \(channels)\(note)"), connection)
        case .control:
            try await trace(entry.userID, now, entry.followUp, .control, DecisionReason(.controlGroup, "held back in the control group (R17)"), connection)
        case .skip(let reason):
            try await trace(entry.userID, now, entry.followUp, .skipped, reason, connection)
        }
        try await connection.query("DELETE FROM waiting WHERE user_id = \(entry.userID.rawValue) AND follow_up = \(entry.followUp.rawValue)", logger: logger)
    }

    public func release(_ entries: [WaitingEntry], worker: WorkerID) async throws {
        guard !entries.isEmpty else { return }
        try await transaction { connection in
            for entry in entries {
                try await connection.query("""
                    UPDATE waiting SET claimed_by = NULL, lease_until = NULL
                    WHERE user_id = \(entry.userID.rawValue) AND id = \(entry.id) AND claimed_by = \(worker.rawValue)
                    """, logger: logger)
            }
        }
    }

    public func waitingEntries(for user: UserID) async throws -> [WaitingEntry] {
        try await client.withConnection { connection in try await waitingEntries(user, connection) }
    }

    public func waitingEntries(_ filter: WaitingFilter) async throws -> [WaitingEntry] {
        try await client.withConnection { connection in
            let rows = try await connection.query("""
                SELECT json FROM waiting
                WHERE (\(filter.followUp?.rawValue)::text IS NULL OR follow_up = \(filter.followUp?.rawValue))
                  AND (\(filter.user?.rawValue)::text IS NULL OR user_id = \(filter.user?.rawValue))
                  AND (\(filter.dueBy?.timeIntervalSince1970)::float8 IS NULL OR due_at <= \(filter.dueBy?.timeIntervalSince1970))
                ORDER BY due_at, id LIMIT \(max(0, filter.limit))
                """, logger: logger)
            var entries: [WaitingEntry] = []
            for try await json in rows.decode(String.self) { entries.append(try Self.decode(WaitingEntry.self, json)) }
            return entries
        }
    }

    public func waitingCounts() async throws -> [CampaignID: Int] {
        try await client.withConnection { connection in
            let rows = try await connection.query("SELECT follow_up, COUNT(*) FROM waiting GROUP BY follow_up", logger: logger)
            var counts: [CampaignID: Int] = [:]
            for try await (followUp, count) in rows.decode((String, Int64).self) { counts[CampaignID(followUp)] = Int(count) }
            return counts
        }
    }
}
