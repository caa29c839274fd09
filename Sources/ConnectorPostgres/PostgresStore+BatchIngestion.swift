import ConnectorCore
import ConnectorStore
import Foundation
import PostgresNIO

/// The batched path of ``PostgresStore/ingest(_:now:)``: a whole batch in a constant
/// number of statements, whatever its size. Its events go in with one multi-row insert;
/// the waiting entries, users, last receipts and later exceptions of its users come out
/// with one query each; the engine decides every event in memory, in batch order, on
/// state that each decision updates (so a trigger and the purchase that cancels it can be
/// in one batch); the changes go back with one multi-row statement per table.
///
/// It decides exactly what the event-by-event path would: the state an event sees is the
/// stored state plus the effects of the batch's earlier events, never of later ones (the
/// later exceptions an event sees are those stored before it, by sequence number).
extension PostgresStore {
    /// One event's row and what the engine says about it.
    struct BatchRow {
        var event: Event
        /// Its sequence number if this is its first arrival (R25), nil for a duplicate.
        var seq: Int64?
        var triggers: Bool
        var mayCancel: Bool
    }

    /// An exception candidate stored before some event of the batch (R14).
    struct StoredException {
        var seq: Int64
        var time: Double
        var event: Event
    }

    func ingestBatch(_ events: [Event], now: Date, _ connection: PostgresConnection) async throws -> IngestReport {
        let current = try await currentDecider(connection)
        let engine = current.engine
        try await lock(users: events.map(\.userID), connection)
        let rows = try await insertEvents(events, engine: engine, connection)

        // What the batch's new events need, by user.
        var waitingUsers: Set<String> = [], userRecords: Set<String> = [], triggerUsers: Set<String> = []
        var earliestTrigger = Double.infinity
        for row in rows where row.seq != nil {
            let user = row.event.userID.rawValue
            if row.triggers || row.mayCancel { waitingUsers.insert(user) }
            if row.triggers { userRecords.insert(user) }
            if case .attributeUpdate = row.event.payload { userRecords.insert(user) }
            if row.triggers, case .interaction = row.event.payload {
                triggerUsers.insert(user)
                earliestTrigger = min(earliestTrigger, row.event.time.timeIntervalSince1970)
            }
        }
        var waiting = try await waitingEntries(of: waitingUsers, connection)
        let storedWaiting = waiting.mapValues { Dictionary($0.map { ($0.followUp, $0.id) }, uniquingKeysWith: { first, _ in first }) }
        var users = try await users(userRecords, connection)
        let receiptFollowUps = engine.campaigns.values.filter { $0.trigger != nil && engine.needsLastReceipt($0.id) }.map(\.id.rawValue)
        var lastReceipts = try await lastReceipts(of: triggerUsers, for: receiptFollowUps, connection)
        let exceptions = try await possibleExceptions(of: triggerUsers, after: earliestTrigger, connection)

        var report = IngestReport()
        var changedUsers: Set<UserID> = []
        var receipts: [(user: String, campaign: String, channel: String, at: Double)] = []
        var traces: [(user: String, campaign: String, action: String, code: String, reason: String)] = []
        for row in rows {
            let event = row.event, user = event.userID
            guard let seq = row.seq else {
                report.duplicates.append(event.id)
                continue
            }
            report.accepted += 1
            switch event.payload {
            case .attributeUpdate(let changes):
                var updated = users[user] ?? User(id: user)
                for (key, value) in changes { updated.attributes[key] = value }
                users[user] = updated
                changedUsers.insert(user)
            case .interaction(let interaction):
                if let channel = interaction.kind.receiptChannel, engine.campaigns[interaction.campaign]?.trigger != nil {
                    let at = event.time.timeIntervalSince1970
                    receipts.append((user.rawValue, interaction.campaign.rawValue, channel.rawValue, at))
                    let key = ReceiptKey(user: user, campaign: interaction.campaign)
                    lastReceipts[key] = max(lastReceipts[key] ?? at, at)
                }
            default:
                break
            }
            guard row.triggers || row.mayCancel else { continue }
            var entries = waiting[user] ?? []
            guard row.triggers || !entries.isEmpty else { continue }
            var state = UserState(user: row.triggers ? users[user] : nil, waiting: entries)
            if row.triggers, case .interaction(let interaction) = event.payload {
                for followUp in engine.followUps(of: interaction.kind, on: interaction.campaign) where engine.needsLastReceipt(followUp) {
                    state.lastReceipts[followUp] = lastReceipts[ReceiptKey(user: user, campaign: followUp)].map(Date.init(timeIntervalSince1970:))
                }
                // Exceptions that happened after this trigger and were stored before it (R14).
                let time = event.time.timeIntervalSince1970
                state.laterEvents = (exceptions[user] ?? []).lazy.filter { $0.seq < seq && $0.time > time }.prefix(1000).map(\.event)
            }
            let decisions = engine.decide(event, state: state, now: now)
            for decision in decisions {
                switch decision {
                case .schedule(let entry, let reason):
                    // R6: the user's entry for this follow-up, if any, is replaced (a restart).
                    entries.removeAll { $0.followUp == entry.followUp }
                    entries.append(entry)
                    traces.append((user.rawValue, entry.followUp.rawValue, TraceAction.scheduled.rawValue, reason.code.rawValue, reason.text))
                case .cancel(let entryID, let followUp, let reason):
                    entries.removeAll { $0.id == entryID }
                    traces.append((user.rawValue, followUp.rawValue, TraceAction.cancelled.rawValue, reason.code.rawValue, reason.text))
                case .skip(let followUp, let reason):
                    traces.append((user.rawValue, followUp.rawValue, TraceAction.skipped.rawValue, reason.code.rawValue, reason.text))
                }
            }
            waiting[user] = entries.sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
            report.decisions += decisions
        }

        try await writeUsers(changedUsers.sorted { $0.rawValue < $1.rawValue }.compactMap { users[$0] }, connection)
        try await insertReceipts(receipts, connection)
        try await writeWaiting(waiting, stored: storedWaiting, connection)
        try await insertTraces(traces, at: now, connection)
        return report
    }

    /// Inserts the batch's events in order with one statement; a row's sequence number
    /// marks its event's first arrival (R25: an id stored before, or earlier in the batch,
    /// is a duplicate).
    private func insertEvents(_ events: [Event], engine: ConnectorEngine, _ connection: PostgresConnection) async throws -> [BatchRow] {
        var ids: [String] = [], users: [String] = [], times: [Double] = [], mayCancel: [Bool] = [], documents: [String] = []
        var rows: [BatchRow] = []
        ids.reserveCapacity(events.count)
        rows.reserveCapacity(events.count)
        for event in events {
            let cancels = engine.mayBeException(event)
            ids.append(event.id.rawValue)
            users.append(event.userID.rawValue)
            times.append(event.time.timeIntervalSince1970)
            mayCancel.append(cancels)
            documents.append(try Self.json(event))
            rows.append(BatchRow(event: event, seq: nil, triggers: engine.mayTrigger(event), mayCancel: cancels))
        }
        let inserted = try await connection.query("""
            INSERT INTO event (event_id, user_id, time, may_cancel, json)
            SELECT event_id, user_id, time, may_cancel, json
            FROM unnest(\(ids)::text[], \(users)::text[], \(times)::float8[], \(mayCancel)::bool[], \(documents)::text[])
                WITH ORDINALITY AS batch(event_id, user_id, time, may_cancel, json, position)
            ORDER BY position
            ON CONFLICT (event_id) DO NOTHING RETURNING event_id, seq
            """, logger: logger)
        var sequence: [String: Int64] = [:]
        for try await (id, seq) in inserted.decode((String, Int64).self) { sequence[id] = seq }
        for index in rows.indices {
            // The first row of an id in the batch is the one inserted.
            rows[index].seq = sequence.removeValue(forKey: rows[index].event.id.rawValue)
        }
        return rows
    }

    /// The waiting entries of `users`, each user's in due order.
    private func waitingEntries(of users: Set<String>, _ connection: PostgresConnection) async throws -> [UserID: [WaitingEntry]] {
        guard !users.isEmpty else { return [:] }
        var entries: [UserID: [WaitingEntry]] = [:]
        let rows = try await connection.query("SELECT json FROM waiting WHERE user_id = ANY(\(Array(users))::text[])", logger: logger)
        for try await json in rows.decode(String.self) {
            let entry = try Self.decode(WaitingEntry.self, json)
            entries[entry.userID, default: []].append(entry)
        }
        return entries.mapValues { $0.sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) } }
    }

    /// The stored users among `ids` (absent ones are missing from the answer).
    private func users(_ ids: Set<String>, _ connection: PostgresConnection) async throws -> [UserID: User] {
        guard !ids.isEmpty else { return [:] }
        var users: [UserID: User] = [:]
        let rows = try await connection.query("SELECT json FROM app_user WHERE id = ANY(\(Array(ids))::text[])", logger: logger)
        for try await json in rows.decode(String.self) {
            let user = try Self.decode(User.self, json)
            users[user.id] = user
        }
        return users
    }

    struct ReceiptKey: Hashable {
        var user: UserID
        var campaign: CampaignID
    }

    /// When each of `users` last received each of `followUps` (R7), seconds since 1970.
    private func lastReceipts(of users: Set<String>, for followUps: [String], _ connection: PostgresConnection) async throws -> [ReceiptKey: Double] {
        guard !users.isEmpty, !followUps.isEmpty else { return [:] }
        var last: [ReceiptKey: Double] = [:]
        let rows = try await connection.query("""
            SELECT user_id, campaign_id, max(at) FROM receipt
            WHERE user_id = ANY(\(Array(users))::text[]) AND campaign_id = ANY(\(followUps)::text[])
            GROUP BY user_id, campaign_id
            """, logger: logger)
        for try await (user, campaign, at) in rows.decode((String, String, Double).self) {
            last[ReceiptKey(user: UserID(user), campaign: CampaignID(campaign))] = at
        }
        return last
    }

    /// The possible exceptions of `users` that happened after `time`, in (time, sequence)
    /// order: the batch's own are among them (each event sees only those with a lower
    /// sequence number).
    private func possibleExceptions(of users: Set<String>, after time: Double, _ connection: PostgresConnection) async throws -> [UserID: [StoredException]] {
        guard !users.isEmpty, time.isFinite else { return [:] }
        var found: [UserID: [StoredException]] = [:]
        let rows = try await connection.query("""
            SELECT user_id, seq, time, json FROM event
            WHERE user_id = ANY(\(Array(users))::text[]) AND may_cancel AND time > \(time)
            ORDER BY time, seq
            """, logger: logger)
        for try await (user, seq, time, json) in rows.decode((String, Int64, Double, String).self) {
            found[UserID(user), default: []].append(StoredException(seq: seq, time: time, event: try Self.decode(Event.self, json)))
        }
        return found
    }

    private func writeUsers(_ users: [User], _ connection: PostgresConnection) async throws {
        guard !users.isEmpty else { return }
        let ids = users.map(\.id.rawValue), documents = try users.map { try Self.json($0) }
        try await connection.query("""
            INSERT INTO app_user (id, json) SELECT * FROM unnest(\(ids)::text[], \(documents)::text[])
            ON CONFLICT (id) DO UPDATE SET json = EXCLUDED.json
            """, logger: logger)
    }

    private func insertReceipts(_ receipts: [(user: String, campaign: String, channel: String, at: Double)], _ connection: PostgresConnection) async throws {
        guard !receipts.isEmpty else { return }
        try await connection.query("""
            INSERT INTO receipt (user_id, campaign_id, channel, at)
            SELECT * FROM unnest(\(receipts.map(\.user))::text[], \(receipts.map(\.campaign))::text[], \(receipts.map(\.channel))::text[],
                                 \(receipts.map(\.at))::float8[])
            """, logger: logger)
    }

    /// Writes the difference between the stored waiting entries (`stored`: follow-up ->
    /// entry id, per user) and `waiting`: entries gone are deleted (only if still the
    /// same entry), new or replaced ones upserted, unchanged ones left alone.
    private func writeWaiting(_ waiting: [UserID: [WaitingEntry]], stored: [UserID: [CampaignID: String]], _ connection: PostgresConnection) async throws {
        var deleteUsers: [String] = [], deleteFollowUps: [String] = [], deleteIDs: [String] = []
        var upserts: [WaitingEntry] = []
        for (user, entries) in waiting {
            let before = stored[user] ?? [:]
            let after = Dictionary(entries.map { ($0.followUp, $0) }, uniquingKeysWith: { _, last in last })
            for (followUp, id) in before where after[followUp] == nil {
                deleteUsers.append(user.rawValue)
                deleteFollowUps.append(followUp.rawValue)
                deleteIDs.append(id)
            }
            for (followUp, entry) in after where before[followUp] != entry.id {
                upserts.append(entry)
            }
        }
        if !deleteIDs.isEmpty {
            try await connection.query("""
                DELETE FROM waiting USING unnest(\(deleteUsers)::text[], \(deleteFollowUps)::text[], \(deleteIDs)::text[]) AS gone(user_id, follow_up, id)
                WHERE waiting.user_id = gone.user_id AND waiting.follow_up = gone.follow_up AND waiting.id = gone.id
                """, logger: logger)
        }
        guard !upserts.isEmpty else { return }
        let users = upserts.map(\.userID.rawValue), followUps = upserts.map(\.followUp.rawValue), ids = upserts.map(\.id)
        let due = upserts.map(\.dueAt.timeIntervalSince1970), documents = try upserts.map { try Self.json($0) }
        try await connection.query("""
            INSERT INTO waiting (user_id, follow_up, id, due_at, json)
            SELECT * FROM unnest(\(users)::text[], \(followUps)::text[], \(ids)::text[], \(due)::float8[], \(documents)::text[])
            ON CONFLICT (user_id, follow_up) DO UPDATE
            SET id = EXCLUDED.id, due_at = EXCLUDED.due_at, json = EXCLUDED.json, claimed_by = NULL, lease_until = NULL
            """, logger: logger)
    }

    /// Appends the batch's trace lines in decision order.
    private func insertTraces(_ traces: [(user: String, campaign: String, action: String, code: String, reason: String)], at now: Date,
                              _ connection: PostgresConnection) async throws {
        guard !traces.isEmpty else { return }
        try await connection.query("""
            INSERT INTO trace (user_id, time, campaign_id, action, code, reason)
            SELECT user_id, \(now.timeIntervalSince1970), campaign_id, action, code, reason
            FROM unnest(\(traces.map(\.user))::text[], \(traces.map(\.campaign))::text[], \(traces.map(\.action))::text[],
                        \(traces.map(\.code))::text[], \(traces.map(\.reason))::text[])
                WITH ORDINALITY AS batch(user_id, campaign_id, action, code, reason, position)
            ORDER BY position
            """, logger: logger)
    }
}
