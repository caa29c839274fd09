import ConnectorCore
import ConnectorStore
import Foundation
import PostgresNIO

/// The outbox (claims with `FOR UPDATE SKIP LOCKED` and leases), kept messages and
/// suppressions.
extension PostgresStore {
    static let outboxColumns = "json, created_at, state, attempts, ready_at, claimed_by, lease_until, provider_message_id, reason_code, reason, updated_at, reclaimed, send_started_at"
    typealias OutboxRow = (String, Double, String, Int, Double?, String?, Double?, String?, String?, String?, Double, Bool, Double?)

    public func claimDispatches(at now: Date, worker: WorkerID, lease: TimeInterval, limit: Int) async throws -> [OutboxItem] {
        guard limit > 0 else { return [] }
        let time = now.timeIntervalSince1970
        let until = time + max(0, lease)
        return try await transaction { connection in
            // A sending row is claimable when its lease expired: `ready_at` is its lease's end.
            let rows = try await connection.query("""
                UPDATE outbox SET state = 'sending', claimed_by = \(worker.rawValue), lease_until = \(until), ready_at = \(until), updated_at = \(time),
                                  reclaimed = (state = 'sending')
                WHERE seq IN (SELECT seq FROM outbox WHERE state IN ('queued', 'retry', 'sending') AND ready_at <= \(time)
                              ORDER BY ready_at, seq LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING seq, \(unescaped: Self.outboxColumns)
                """, logger: logger)
            var items: [(Int64, OutboxItem)] = []
            for try await row in rows.decode((Int64, String, Double, String, Int, Double?, String?, Double?, String?, String?, String?, Double, Bool, Double?).self) {
                items.append((row.0, try Self.item(row)))
            }
            return items.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    static func item(_ row: (Int64, String, Double, String, Int, Double?, String?, Double?, String?, String?, String?, Double, Bool, Double?)) throws -> OutboxItem {
        try item((row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12, row.13))
    }

    static func item(_ row: OutboxRow) throws -> OutboxItem {
        let (json, created, stateName, attempts, ready, claimedBy, lease, providerID, code, text, updated, reclaimed, started) = row
        var dispatch = try decode(Dispatch.self, json)
        dispatch.createdAt = Date(timeIntervalSince1970: created)
        guard let state = DispatchState(rawValue: stateName) else { throw Corruption("dispatch \(dispatch.id) has an unknown state '\(stateName)'") }
        return OutboxItem(dispatch: dispatch, state: state, attempts: attempts,
                          nextAttemptAt: state == .retrying ? ready.map(Date.init(timeIntervalSince1970:)) : nil,
                          claimedBy: claimedBy.map(WorkerID.init(rawValue:)), leaseUntil: lease.map(Date.init(timeIntervalSince1970:)),
                          providerMessageID: providerID, reason: code.map { DecisionReason(DecisionReason.Code(rawValue: $0), text ?? "") },
                          updatedAt: Date(timeIntervalSince1970: updated), reclaimed: reclaimed,
                          sendStartedAt: started.map(Date.init(timeIntervalSince1970:)))
    }

    public func beginSend(_ dispatches: [String], worker: WorkerID, at now: Date) async throws -> Set<String> {
        guard !dispatches.isEmpty else { return [] }
        return try await client.withConnection { connection in
            let rows = try await connection.query("""
                UPDATE outbox SET send_started_at = \(now.timeIntervalSince1970)
                WHERE dispatch_id = ANY(\(dispatches)) AND state = 'sending' AND claimed_by = \(worker.rawValue)
                RETURNING dispatch_id
                """, logger: logger)
            var held: Set<String> = []
            for try await id in rows.decode(String.self) { held.insert(id) }
            return held
        }
    }

    public func record(_ deliveries: [DeliveryRecord], worker: WorkerID) async throws -> Set<String> {
        guard !deliveries.isEmpty else { return [] }
        return try await transaction { connection in
            let current = try await currentDecider(connection)
            // The receipts below touch their users' state: their locks first, all at once
            // and in order, as every other transaction takes them.
            let owners = try await connection.query("SELECT user_id FROM outbox WHERE dispatch_id = ANY(\(deliveries.map(\.dispatch)))", logger: logger)
            var users: [UserID] = []
            for try await user in owners.decode(String.self) { users.append(UserID(user)) }
            try await lock(users: users, connection)
            var recorded: Set<String> = []
            var report = IngestReport()
            for delivery in deliveries {
                let held = try await connection.query("""
                    SELECT json FROM outbox WHERE dispatch_id = \(delivery.dispatch) AND state = 'sending' AND claimed_by = \(worker.rawValue) FOR UPDATE
                    """, logger: logger)
                var json: String?
                for try await text in held.decode(String.self) { json = text }
                guard let json else { continue }
                recorded.insert(delivery.dispatch)
                for attempt in delivery.attempts {
                    try await connection.query("""
                        INSERT INTO dispatch_attempt (dispatch_id, at, worker, provider, status_code, latency, provider_message_id, error_class, error)
                        VALUES (\(delivery.dispatch), \(attempt.at.timeIntervalSince1970), \(worker.rawValue), \(attempt.provider), \(attempt.statusCode),
                                \(attempt.latency), \(attempt.providerMessageID), \(attempt.errorClass), \(attempt.error))
                        """, logger: logger)
                }
                guard let outcome = delivery.outcome else {
                    try await connection.query("UPDATE outbox SET attempts = attempts + \(delivery.attempts.count) WHERE dispatch_id = \(delivery.dispatch)",
                                               logger: logger)
                    continue
                }
                let providerID = outcome.providerMessageID, reason = outcome.reason, readyAt = outcome.retryAt
                try await connection.query("""
                    UPDATE outbox SET state = \(outcome.state.rawValue), attempts = attempts + \(delivery.attempts.count), claimed_by = NULL,
                                      lease_until = NULL, ready_at = \(readyAt), reclaimed = FALSE, send_started_at = NULL,
                                      provider_message_id = COALESCE(\(providerID), provider_message_id), reason_code = \(reason?.code.rawValue),
                                      reason = \(reason?.text), updated_at = \(delivery.at.timeIntervalSince1970)
                    WHERE dispatch_id = \(delivery.dispatch)
                    """, logger: logger)
                let sent = try Self.decode(Dispatch.self, json)
                if outcome.state.isFinal {
                    try await trace(sent.userID, delivery.at, sent.followUp, .delivered,
                                    reason ?? DecisionReason(.accepted, "accepted by the provider" + (providerID.map { " as \($0)" } ?? "")), connection)
                }
                // R22: the receipt, ingested in this transaction.
                if case .sent = outcome, sent.channel.isReceivedOnAcceptance, let kind = sent.channel.receiptKind {
                    let receipt = Event(id: EventID("rcpt_" + sent.id), userID: sent.userID, time: delivery.at,
                                        payload: .interaction(Interaction(kind: kind, campaign: sent.followUp)))
                    try await self.record(receipt, current, now: delivery.at, connection, &report)
                }
            }
            return recorded
        }
    }

    public func outbox(_ filter: OutboxFilter) async throws -> [OutboxItem] {
        let states = filter.states.map { $0.map(\.rawValue).sorted() }
        return try await client.withConnection { connection in
            let rows = try await connection.query("""
                SELECT \(unescaped: Self.outboxColumns) FROM outbox
                WHERE (\(states)::text[] IS NULL OR state = ANY(\(states)))
                  AND (\(filter.followUp?.rawValue)::text IS NULL OR campaign_id = \(filter.followUp?.rawValue))
                  AND (\(filter.user?.rawValue)::text IS NULL OR user_id = \(filter.user?.rawValue))
                  AND (\(filter.dispatchID)::text IS NULL OR dispatch_id = \(filter.dispatchID))
                ORDER BY seq LIMIT \(min(filter.limit, Int(Int32.max)))
                """, logger: logger)
            var items: [OutboxItem] = []
            for try await row in rows.decode(OutboxRow.self) { items.append(try Self.item(row)) }
            return items
        }
    }

    public func attempts(of dispatch: String) async throws -> [DeliveryAttempt] {
        try await client.withConnection { connection in
            let rows = try await connection.query("""
                SELECT at, provider, status_code, latency, provider_message_id, error_class, error FROM dispatch_attempt
                WHERE dispatch_id = \(dispatch) ORDER BY seq
                """, logger: logger)
            var attempts: [DeliveryAttempt] = []
            for try await (at, provider, status, latency, id, errorClass, error) in rows.decode((Double, String, Int?, Double, String?, String?, String?).self) {
                attempts.append(DeliveryAttempt(at: Date(timeIntervalSince1970: at), provider: provider, statusCode: status, latency: latency,
                                                providerMessageID: id, errorClass: errorClass, error: error))
            }
            return attempts
        }
    }

    // MARK: Kept messages and suppressions

    public func keep(_ message: KeptMessage) async throws -> Bool {
        try await client.withConnection { connection in
            let rows = try await connection.query("""
                INSERT INTO kept_message (dispatch_id, user_id, campaign_id, channel, provider, at, expires_at, dismissed_at, json)
                VALUES (\(message.dispatchID), \(message.userID.rawValue), \(message.campaign.rawValue), \(message.channel.rawValue), \(message.provider),
                        \(message.at.timeIntervalSince1970), \(message.expiresAt?.timeIntervalSince1970), \(message.dismissedAt?.timeIntervalSince1970),
                        \(ByteBuffer(bytes: message.json)))
                ON CONFLICT (dispatch_id) DO NOTHING RETURNING dispatch_id
                """, logger: logger)
            var kept = false
            for try await _ in rows.decode(String.self) { kept = true }
            return kept
        }
    }

    public func keptMessages(_ filter: KeptMessageFilter) async throws -> [KeptMessage] {
        let live = filter.liveAt?.timeIntervalSince1970
        return try await client.withConnection { connection in
            let rows = try await connection.query("""
                SELECT dispatch_id, user_id, campaign_id, channel, provider, at, expires_at, dismissed_at, json FROM kept_message
                WHERE (\(filter.user?.rawValue)::text IS NULL OR user_id = \(filter.user?.rawValue))
                  AND (\(filter.channel?.rawValue)::text IS NULL OR channel = \(filter.channel?.rawValue))
                  AND (\(filter.dispatchID)::text IS NULL OR dispatch_id = \(filter.dispatchID))
                  AND (\(live)::float8 IS NULL OR (dismissed_at IS NULL AND (expires_at IS NULL OR expires_at > \(live))))
                ORDER BY at DESC, dispatch_id DESC LIMIT \(max(0, filter.limit))
                """, logger: logger)
            var kept: [KeptMessage] = []
            for try await (id, user, campaign, channel, provider, at, expires, dismissed, json)
                in rows.decode((String, String, String, String, String, Double, Double?, Double?, ByteBuffer).self) {
                guard let channel = Channel(rawValue: channel) else { throw Corruption("kept message \(id) has an unknown channel") }
                kept.append(KeptMessage(dispatchID: id, userID: UserID(user), campaign: CampaignID(campaign), channel: channel, provider: provider,
                                        at: Date(timeIntervalSince1970: at), expiresAt: expires.map(Date.init(timeIntervalSince1970:)),
                                        dismissedAt: dismissed.map(Date.init(timeIntervalSince1970:)), json: Data(json.readableBytesView)))
            }
            return kept
        }
    }

    public func dismiss(dispatch: String, at time: Date) async throws -> Bool {
        try await client.withConnection { connection in
            let rows = try await connection.query("""
                UPDATE kept_message SET dismissed_at = COALESCE(dismissed_at, \(time.timeIntervalSince1970)) WHERE dispatch_id = \(dispatch)
                RETURNING dispatch_id
                """, logger: logger)
            var found = false
            for try await _ in rows.decode(String.self) { found = true }
            return found
        }
    }

    public func suppress(_ suppression: Suppression) async throws {
        try await transaction { connection in
            let rows = try await connection.query("""
                INSERT INTO suppression (channel, address, user_id, at, reason_code, reason)
                VALUES (\(suppression.channel.rawValue), \(suppression.address), \(suppression.userID.rawValue), \(suppression.at.timeIntervalSince1970),
                        \(suppression.reason.code.rawValue), \(suppression.reason.text))
                ON CONFLICT (channel, address) DO NOTHING RETURNING address
                """, logger: logger)
            var inserted = false
            for try await _ in rows.decode(String.self) { inserted = true }
            if inserted {
                try await trace(suppression.userID, suppression.at, CampaignID("-"), .suppressed,
                                DecisionReason(suppression.reason.code, "\(suppression.channel.rawValue) address suppressed: \(suppression.reason.text)"), connection)
            }
        }
    }

    public func suppression(of address: String, on channel: ConnectorCore.Channel) async throws -> Suppression? {
        try await suppressions(where: address, channel: channel, limit: 1).first
    }

    public func suppressions(limit: Int) async throws -> [Suppression] {
        try await suppressions(where: nil, channel: nil, limit: limit)
    }

    private func suppressions(where address: String?, channel: Channel?, limit: Int) async throws -> [Suppression] {
        try await client.withConnection { connection in
            let rows = try await connection.query("""
                SELECT channel, address, user_id, at, reason_code, reason FROM suppression
                WHERE (\(address)::text IS NULL OR (address = \(address) AND channel = \(channel?.rawValue)))
                ORDER BY at DESC LIMIT \(max(0, limit))
                """, logger: logger)
            var found: [Suppression] = []
            for try await (channelName, address, user, at, code, reason) in rows.decode((String, String, String, Double, String, String).self) {
                guard let channel = Channel(rawValue: channelName) else { throw Corruption("a suppression has an unknown channel") }
                found.append(Suppression(channel: channel, address: address, userID: UserID(user), at: Date(timeIntervalSince1970: at),
                                         reason: DecisionReason(DecisionReason.Code(rawValue: code), reason)))
            }
            return found
        }
    }
}
