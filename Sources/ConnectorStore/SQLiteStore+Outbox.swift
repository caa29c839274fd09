import ConnectorCore
import Foundation
import GRDB

/// The outbox: dispatches claimed with leases, their attempts and outcomes.
extension SQLiteStore {
    static let outboxColumns = """
        json, created_at, state, attempts, ready_at, claimed_by, lease_until, provider_message_id, reason_code, reason, updated_at, reclaimed,
        send_started_at
        """

    public func claimDispatches(at now: Date, worker: WorkerID, lease: TimeInterval, limit: Int) throws -> [OutboxItem] {
        guard limit > 0 else { return [] }
        let time = now.timeIntervalSince1970
        let rows = try write { db in
            // A sending row is claimable when its lease expired: `ready_at` is its lease's end.
            try Row.fetchAll(db, sql: """
                UPDATE outbox SET state = 'sending', claimed_by = ?1, lease_until = ?2, ready_at = ?2, updated_at = ?3,
                                  reclaimed = (state = 'sending')
                WHERE seq IN (SELECT seq FROM outbox WHERE state IN ('queued', 'retry', 'sending') AND ready_at <= ?3
                              ORDER BY ready_at, seq LIMIT ?4)
                RETURNING seq, \(Self.outboxColumns)
                """, arguments: [worker.rawValue, time + max(0, lease), time, limit])
        }
        return try rows.sorted { ($0["seq"] as Int64) < ($1["seq"] as Int64) }.map(Self.outboxItem)
    }

    public func beginSend(_ dispatches: [String], worker: WorkerID, at now: Date) throws -> Set<String> {
        guard !dispatches.isEmpty else { return [] }
        return try write { db in
            var held: Set<String> = []
            let statement = try db.cachedStatement(sql: """
                UPDATE outbox SET send_started_at = ? WHERE dispatch_id = ? AND state = 'sending' AND claimed_by = ?
                """)
            for dispatch in dispatches {
                try statement.execute(arguments: [now.timeIntervalSince1970, dispatch, worker.rawValue])
                if db.changesCount > 0 { held.insert(dispatch) }
            }
            return held
        }
    }

    public func record(_ deliveries: [DeliveryRecord], worker: WorkerID) throws -> Set<String> {
        guard !deliveries.isEmpty else { return [] }
        // A receipt (R22) is an event ingested in the transaction that marks the dispatch
        // sent, so it can trigger follow-ups and is never lost or doubled.
        ingestLock.lock()
        defer { ingestLock.unlock() }
        let current = decider.withLock { $0 }
        var accepted: [UInt64: Double] = [:]
        let recorded: Set<String>
        do {
            recorded = try write { db in
                let writer = WriteTransaction(db, unindexed: index.notes)
                var recorded: Set<String> = []
                for delivery in deliveries where try record(delivery, worker: worker, db, writer, current, &accepted) {
                    recorded.insert(delivery.dispatch)
                }
                return recorded
            }
        } catch {
            try? pool.read { db in try index.reload(db) }
            throw error
        }
        if !accepted.isEmpty {
            let now = deliveries.map(\.at).max() ?? Date()
            seen.withLock { remembered in
                for (hash, time) in accepted { remembered.insert(hash, time: time, now: now.timeIntervalSince1970) }
            }
        }
        index.afterCommit(newEvents: accepted.count)
        return recorded
    }

    /// One delivery's attempts and outcome, if `worker` still holds the dispatch.
    private func record(_ delivery: DeliveryRecord, worker: WorkerID, _ db: Database, _ writer: WriteTransaction, _ current: Decider,
                        _ accepted: inout [UInt64: Double]) throws -> Bool {
        guard let json = try Data.fetchOne(db.cachedStatement(sql: "SELECT json FROM outbox WHERE dispatch_id = ? AND state = 'sending' AND claimed_by = ?"),
                                           arguments: [delivery.dispatch, worker.rawValue]) else { return false }
        for attempt in delivery.attempts {
            try db.cachedStatement(sql: """
                INSERT INTO dispatch_attempt (dispatch_id, at, worker, provider, status_code, latency, provider_message_id, error_class, error)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [delivery.dispatch, attempt.at.timeIntervalSince1970, worker.rawValue, attempt.provider, attempt.statusCode,
                                         attempt.latency, attempt.providerMessageID, attempt.errorClass, attempt.error])
        }
        let outcome = delivery.outcome
        guard let outcome else {
            // Attempts only: the dispatch stays claimed.
            try db.cachedStatement(sql: "UPDATE outbox SET attempts = attempts + ? WHERE dispatch_id = ?")
                .execute(arguments: [delivery.attempts.count, delivery.dispatch])
            return true
        }
        let providerID = outcome.providerMessageID, reason = outcome.reason, readyAt = outcome.retryAt
        try db.cachedStatement(sql: """
            UPDATE outbox SET state = ?, attempts = attempts + ?, claimed_by = NULL, lease_until = NULL, ready_at = ?, reclaimed = 0,
                              send_started_at = NULL, provider_message_id = COALESCE(?, provider_message_id), reason_code = ?, reason = ?,
                              updated_at = ?
            WHERE dispatch_id = ?
            """).execute(arguments: [outcome.state.rawValue, delivery.attempts.count, readyAt, providerID, reason?.code.rawValue, reason?.text,
                                     delivery.at.timeIntervalSince1970, delivery.dispatch])
        let sent = try JSONDecoder().decode(Dispatch.self, from: json)
        if outcome.state.isFinal {
            try writer.trace(sent.userID, delivery.at, sent.followUp, .delivered,
                             reason ?? DecisionReason(.accepted, "accepted by the provider" + (providerID.map { " as \($0)" } ?? "")))
        }
        if case .sent = outcome, let kind = Self.receiptKind(sent.channel) {
            let receipt = Event(id: EventID("rcpt_" + sent.id), userID: sent.userID, time: delivery.at,
                                payload: .interaction(Interaction(kind: kind, campaign: sent.followUp)))
            let hash = StableHash.value(receipt.id.rawValue)
            let seenBefore = seen.withLock { $0.contains(hash) }
            var report = IngestReport()
            try self.record(receipt, EventRow(receipt), hash: hash, seenBefore: seenBefore, &accepted, engine: current.engine,
                            now: delivery.at, writer, &report)
        }
        return true
    }

    /// R22: the interaction that says a dispatch on `channel` was accepted; in-app messages
    /// and content cards are received when viewed, which the app reports.
    static func receiptKind(_ channel: Channel) -> InteractionKind? { channel.isReceivedOnAcceptance ? channel.receiptKind : nil }

    public func outbox(_ filter: OutboxFilter) throws -> [OutboxItem] {
        let states = filter.states.map { $0.map(\.rawValue).sorted().joined(separator: ",") }
        return try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.outboxColumns) FROM outbox
                WHERE (?1 IS NULL OR instr(',' || ?1 || ',', ',' || state || ',') > 0)
                  AND (?2 IS NULL OR campaign_id = ?2) AND (?3 IS NULL OR user_id = ?3) AND (?5 IS NULL OR dispatch_id = ?5)
                ORDER BY seq LIMIT ?4
                """, arguments: [states, filter.followUp?.rawValue, filter.user?.rawValue, max(0, filter.limit), filter.dispatchID])
                .map(Self.outboxItem)
        }
    }

    public func attempts(of dispatch: String) throws -> [DeliveryAttempt] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT at, provider, status_code, latency, provider_message_id, error_class, error FROM dispatch_attempt
                WHERE dispatch_id = ? ORDER BY seq
                """, arguments: [dispatch])
                .map { row in
                    DeliveryAttempt(at: Date(timeIntervalSince1970: row["at"]), provider: row["provider"], statusCode: row["status_code"],
                                    latency: row["latency"], providerMessageID: row["provider_message_id"],
                                    errorClass: row["error_class"], error: row["error"])
                }
        }
    }

    static func outboxItem(_ row: Row) throws -> OutboxItem {
        var dispatch = try JSONDecoder().decode(Dispatch.self, from: row["json"] as Data)
        dispatch.createdAt = Date(timeIntervalSince1970: row["created_at"])
        guard let state = DispatchState(rawValue: row["state"]) else {
            throw StoreCorruption("dispatch \(dispatch.id) has an unknown state '\(row["state"] as String)'")
        }
        let code: String? = row["reason_code"], text: String? = row["reason"]
        return OutboxItem(
            dispatch: dispatch, state: state, attempts: row["attempts"],
            nextAttemptAt: state == .retrying ? (row["ready_at"] as Double?).map(Date.init(timeIntervalSince1970:)) : nil,
            claimedBy: (row["claimed_by"] as String?).map(WorkerID.init(rawValue:)),
            leaseUntil: (row["lease_until"] as Double?).map(Date.init(timeIntervalSince1970:)),
            providerMessageID: row["provider_message_id"],
            reason: code.map { DecisionReason(DecisionReason.Code(rawValue: $0), text ?? "") },
            updatedAt: Date(timeIntervalSince1970: (row["updated_at"] as Double?) ?? row["created_at"]),
            reclaimed: (row["reclaimed"] as Int64? ?? 0) != 0,
            sendStartedAt: (row["send_started_at"] as Double?).map(Date.init(timeIntervalSince1970:)))
    }
}
