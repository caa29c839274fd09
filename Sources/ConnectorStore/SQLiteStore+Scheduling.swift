import ConnectorCore
import Foundation
import GRDB

/// The wait queue: claims with leases, and settling claimed entries in one transaction.
extension SQLiteStore {
    public func claimDue(at now: Date, worker: WorkerID, lease: TimeInterval, limit: Int) throws -> [WaitingEntry] {
        guard limit > 0 else { return [] }
        let time = now.timeIntervalSince1970
        let rows = try write { db in
            try Row.fetchAll(db, sql: """
                UPDATE waiting SET claimed_by = ?1, lease_until = ?2
                WHERE seq IN (SELECT seq FROM waiting WHERE due_at <= ?3 AND (lease_until IS NULL OR lease_until <= ?3)
                              ORDER BY due_at, seq LIMIT ?4)
                RETURNING \(WaitingRow.columns), seq
                """, arguments: [worker.rawValue, time + max(0, lease), time, limit])
        }
        return rows.sorted { ($0["due_at"] as Double, $0["seq"] as Int64) < ($1["due_at"] as Double, $1["seq"] as Int64) }.map(WaitingRow.entry)
    }

    public func settle(_ entries: [WaitingEntry], worker: WorkerID, now: Date) throws -> [Settlement] {
        guard !entries.isEmpty else { return [] }
        ingestLock.lock()
        defer { ingestLock.unlock() }
        let current = decider.withLock { $0 }
        // Control-group enrolments are events, ingested in this transaction (R17).
        var enrolled: [UInt64: Double] = [:]
        let settlements: [Settlement]
        do {
            settlements = try write { db in
                let writer = WriteTransaction(db, unindexed: index.notes)
                var report = IngestReport()
                var settlements: [Settlement] = []
                settlements.reserveCapacity(entries.count)
                for entry in entries {
                    guard let seq = try writer.heldWaiting(entry, by: worker, at: now) else {
                        settlements.append(Settlement(entry: entry, result: .notHeld))
                        continue
                    }
                    let outcome = try plan(entry, current, now: now, writer)
                    try Self.apply(outcome, to: entry, seq: seq, now: now, writer)
                    if case .control(let event) = outcome {
                        let hash = StableHash.value(event.id.rawValue)
                        let seenBefore = seen.withLock { $0.contains(hash) }
                        try record(event, EventRow(event), hash: hash, seenBefore: seenBefore, &enrolled, engine: current.engine,
                                   now: now, writer, &report)
                    }
                    settlements.append(Settlement(entry: entry, result: .settled(outcome)))
                }
                return settlements
            }
        } catch {
            // Rolled back: what it noted about the waiting rows goes too; the claims stay
            // and lapse with their lease.
            try? pool.read { db in try index.reload(db) }
            throw error
        }
        if !enrolled.isEmpty {
            seen.withLock { remembered in
                for (hash, time) in enrolled { remembered.insert(hash, time: time, now: now.timeIntervalSince1970) }
            }
        }
        index.afterCommit(newEvents: enrolled.count)
        return settlements
    }

    /// R16-R21 for one held entry, with the rate-limit counts (R18) and the user's recent
    /// sends (R19) read in the settling transaction, so what it queued before counts.
    private func plan(_ entry: WaitingEntry, _ current: Decider, now: Date, _ writer: WriteTransaction) throws -> SendOutcome {
        guard let campaign = current.engine.campaigns[entry.followUp] else {
            return .skip(reason: DecisionReason(.campaignMissing, "skipped: campaign \(entry.followUp) no longer exists"))
        }
        let user = try Self.readUser(entry.userID, writer.database)
        var sendsThisMinute: [Channel: Int] = [:]
        if campaign.rateLimitPerMinute != nil {
            let minute = Date(timeIntervalSince1970: (now.timeIntervalSince1970 / 60).rounded(.down) * 60)
            for channel in campaign.channels {
                sendsThisMinute[channel] = try writer.dispatchCount(campaign: campaign.id, channel: channel, since: minute)
            }
        }
        let planner = current.planner
        let recent = planner.frequencyCaps.isEmpty ? [] : try writer.sends(to: entry.userID, since: now.addingTimeInterval(-planner.capLookback))
        return planner.plan(entry, campaign: campaign, user: user, now: now, sendsThisMinute: sendsThisMinute, recentSends: recent)
    }

    private static func apply(_ outcome: SendOutcome, to entry: WaitingEntry, seq: Int64, now: Date, _ writer: WriteTransaction) throws {
        switch outcome {
        case .hold(let until, let reason):
            try writer.reschedule(seq, due: until)
            try writer.trace(entry.userID, now, entry.followUp, .held, reason)
            return
        case .send(let dispatches, let skipped):
            for dispatch in dispatches {
                try writer.queue(dispatch, document: Data(DispatchRow.json(dispatch).utf8))
            }
            let channels = dispatches.map(\.channel.rawValue).joined(separator: ", ")
            let note = skipped.isEmpty ? "" : " (not on " + skipped.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue): \($0.value)" }.joined(separator: "; ") + ")"
            let version = dispatches.first.map { " version \($0.campaignVersion)" } ?? ""
            try writer.trace(entry.userID, now, entry.followUp, .sent, DecisionReason(.dispatched, "dispatched \(entry.followUp)\(version) on \(channels)\(note)"))
        case .control:
            try writer.trace(entry.userID, now, entry.followUp, .control, DecisionReason(.controlGroup, "held back in the control group (R17)"))
        case .skip(let reason):
            try writer.trace(entry.userID, now, entry.followUp, .skipped, reason)
        }
        try writer.deleteWaiting(seq, user: entry.userID)
    }

    public func release(_ entries: [WaitingEntry], worker: WorkerID) throws {
        guard !entries.isEmpty else { return }
        try write { db in
            let writer = WriteTransaction(db, unindexed: index.notes)
            for entry in entries {
                guard let seq = try writer.waitingRows(entry.userID).first(where: { $0.entry.id == entry.id })?.seq else { continue }
                try db.execute(sql: "UPDATE waiting SET claimed_by = NULL, lease_until = NULL WHERE seq = ? AND claimed_by = ?",
                               arguments: [seq, worker.rawValue])
            }
        }
    }

    public func waitingEntries(for user: UserID) throws -> [WaitingEntry] {
        try pool.read { db in
            try WriteTransaction(db, unindexed: index.notes).waitingRows(user).map(\.entry).sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
        }
    }

    public func waitingEntries(_ filter: WaitingFilter) throws -> [WaitingEntry] {
        if let user = filter.user {
            return try waitingEntries(for: user)
                .filter { entry in filter.followUp.map { $0 == entry.followUp } ?? true && filter.dueBy.map { entry.dueAt <= $0 } ?? true }
                .prefix(max(0, filter.limit)).map { $0 }
        }
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(WaitingRow.columns) FROM waiting
                WHERE (?1 IS NULL OR follow_up = ?1) AND due_at <= COALESCE(?2, 1e300) ORDER BY due_at, seq LIMIT ?3
                """, arguments: [filter.followUp?.rawValue, filter.dueBy?.timeIntervalSince1970, max(0, filter.limit)])
                .map(WaitingRow.entry)
        }
    }

    public func waitingCounts() throws -> [CampaignID: Int] {
        try pool.read { db in
            var counts: [CampaignID: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT follow_up, COUNT(*) AS n FROM waiting GROUP BY follow_up") {
                counts[CampaignID(row["follow_up"] as String)] = row["n"]
            }
            return counts
        }
    }
}
