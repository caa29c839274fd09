import ConnectorCore
import ConnectorStore
import Foundation
import PostgresNIO

/// Events in, decisions applied: a batch is one transaction with its users locked first.
/// The batch goes in with a constant number of multi-row statements
/// (``ingestBatch(_:now:_:)``); if any of them fails, the transaction is rolled back and
/// the batch applied again event by event, each in a savepoint, so that a bad event is
/// reported and the rest kept.
extension PostgresStore {
    public func ingest(_ events: [Event], now: Date) async throws -> IngestReport {
        guard !events.isEmpty else { return IngestReport() }
        do {
            return try await transaction { connection in try await ingestBatch(events, now: now, connection) }
        } catch {
            logger.debug("batch ingestion failed; applying the batch event by event", metadata: ["error": "\(String(reflecting: error))"])
        }
        return try await ingestEventByEvent(events, now: now)
    }

    /// The batch in one transaction, each event in a savepoint: a failing event is
    /// reported, the others kept. The path a failed batch takes (and the reference the
    /// batched path is tested against).
    func ingestEventByEvent(_ events: [Event], now: Date) async throws -> IngestReport {
        try await transaction { connection in
            let current = try await currentDecider(connection)
            try await lock(users: events.map(\.userID), connection)
            var report = IngestReport()
            for event in events {
                try await connection.query("SAVEPOINT event", logger: logger)
                // What the event counted and decided is taken back with its savepoint.
                let before = report
                do {
                    try await record(event, current, now: now, connection, &report)
                    try await connection.query("RELEASE SAVEPOINT event", logger: logger)
                } catch {
                    try await connection.query("ROLLBACK TO SAVEPOINT event", logger: logger)
                    report = before
                    // PSQLError's description hides the server's message; its reflection has it.
                    report.failures.append(EventFailure(eventID: event.id, reason: String(reflecting: error)))
                }
            }
            return report
        }
    }

    /// Stores `event` unless its id was seen (R25) and applies the engine's decisions.
    /// The caller holds the user's lock.
    func record(_ event: Event, _ current: Decider, now: Date, _ connection: PostgresConnection, _ report: inout IngestReport) async throws {
        let engine = current.engine
        let inserted = try await connection.query("""
            INSERT INTO event (event_id, user_id, time, may_cancel, json)
            VALUES (\(event.id.rawValue), \(event.userID.rawValue), \(event.time.timeIntervalSince1970), \(engine.mayBeException(event)), \(try Self.json(event)))
            ON CONFLICT (event_id) DO NOTHING RETURNING seq
            """, logger: logger)
        var isNew = false
        for try await _ in inserted.decode(Int64.self) { isNew = true }
        guard isNew else {
            report.duplicates.append(event.id)
            return
        }
        report.accepted += 1
        switch event.payload {
        case .attributeUpdate(let changes):
            var updated = try await readUser(event.userID, connection) ?? User(id: event.userID)
            for (key, value) in changes { updated.attributes[key] = value }
            try await write(updated, connection)
        case .interaction(let interaction):
            if let channel = interaction.kind.receiptChannel, engine.campaigns[interaction.campaign]?.trigger != nil {
                try await connection.query("""
                    INSERT INTO receipt (user_id, campaign_id, channel, at)
                    VALUES (\(event.userID.rawValue), \(interaction.campaign.rawValue), \(channel.rawValue), \(event.time.timeIntervalSince1970))
                    """, logger: logger)
            }
        default:
            break
        }
        let triggers = engine.mayTrigger(event)
        guard triggers || engine.mayBeException(event) else { return }
        var waiting = try await waitingEntries(event.userID, connection)
        // An event that triggers nothing can only cancel a wait: no wait, nothing to decide.
        guard triggers || !waiting.isEmpty else { return }
        var state = UserState(user: triggers ? try await readUser(event.userID, connection) : nil, waiting: waiting)
        if triggers, case .interaction(let interaction) = event.payload {
            for followUp in engine.followUps(of: interaction.kind, on: interaction.campaign) where engine.needsLastReceipt(followUp) {
                let rows = try await connection.query(
                    "SELECT max(at) FROM receipt WHERE user_id = \(event.userID.rawValue) AND campaign_id = \(followUp.rawValue)", logger: logger)
                for try await at in rows.decode(Double?.self) { state.lastReceipts[followUp] = at.map(Date.init(timeIntervalSince1970:)) }
            }
            // Exceptions that happened after this trigger but arrived before it (R14).
            let rows = try await connection.query("""
                SELECT json FROM event WHERE user_id = \(event.userID.rawValue) AND may_cancel AND time > \(event.time.timeIntervalSince1970)
                ORDER BY time, seq LIMIT 1000
                """, logger: logger)
            for try await json in rows.decode(String.self) { state.laterEvents.append(try Self.decode(Event.self, json)) }
        }
        let decisions = engine.decide(event, state: state, now: now)
        for decision in decisions {
            switch decision {
            case .schedule(let entry, let reason):
                // R6: the user's entry for this follow-up, if any, is replaced (a restart).
                try await connection.query("""
                    INSERT INTO waiting (user_id, follow_up, id, due_at, json)
                    VALUES (\(entry.userID.rawValue), \(entry.followUp.rawValue), \(entry.id), \(entry.dueAt.timeIntervalSince1970), \(try Self.json(entry)))
                    ON CONFLICT (user_id, follow_up) DO UPDATE
                    SET id = EXCLUDED.id, due_at = EXCLUDED.due_at, json = EXCLUDED.json, claimed_by = NULL, lease_until = NULL
                    """, logger: logger)
                waiting.removeAll { $0.followUp == entry.followUp }
                waiting.append(entry)
                try await trace(event.userID, now, entry.followUp, .scheduled, reason, connection)
            case .cancel(let entryID, let followUp, let reason):
                try await connection.query("DELETE FROM waiting WHERE user_id = \(event.userID.rawValue) AND id = \(entryID)", logger: logger)
                waiting.removeAll { $0.id == entryID }
                try await trace(event.userID, now, followUp, .cancelled, reason, connection)
            case .skip(let followUp, let reason):
                try await trace(event.userID, now, followUp, .skipped, reason, connection)
            }
        }
        report.decisions += decisions
    }

    /// A user's waiting entries, in the caller's transaction.
    func waitingEntries(_ user: UserID, _ connection: PostgresConnection) async throws -> [WaitingEntry] {
        var entries: [WaitingEntry] = []
        let rows = try await connection.query("SELECT json FROM waiting WHERE user_id = \(user.rawValue)", logger: logger)
        for try await json in rows.decode(String.self) { entries.append(try Self.decode(WaitingEntry.self, json)) }
        return entries.sorted { ($0.dueAt, $0.id) < ($1.dueAt, $1.id) }
    }
}
