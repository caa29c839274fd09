import ConnectorCore
import Foundation
import GRDB
import Synchronization

extension SQLiteStore {
    public func ingest(_ events: [Event], now: Date) throws -> IngestReport {
        try ingest(events, engine: decider.withLock { $0.engine }, now: now)
    }

    /// Ingests with `engine` instead of the store's own (what-if runs, benchmarks that
    /// build their engine once): the decisions are applied as usual.
    public func ingest(_ events: [Event], engine: ConnectorEngine, now: Date) throws -> IngestReport {
        // Fast path: the whole batch in one transaction. If an event fails, the batch is
        // rolled back and applied again with a savepoint per event, so the failing event
        // is reported and the others are kept.
        // What needs no database comes before the lock, so concurrent requests do it in
        // parallel: the ids' hashes and the event rows' columns.
        let (hashes, rows) = Self.prepare(events)
        ingestLock.lock()
        defer { ingestLock.unlock() }
        // Which ids were seen before, in one look at the remembered ids (they change only
        // after a commit, under this lock).
        let seenBefore = seen.withLock { remembered in hashes.map { remembered.contains($0) } }
        var accepted: [UInt64: Double] = [:]
        let report: IngestReport
        do {
            report = try write { db in
                var report = IngestReport()
                accepted = Dictionary(minimumCapacity: events.count)
                let writer = WriteTransaction(db, unindexed: index.notes)
                for index in events.indices {
                    try self.record(events[index], rows[index], hash: hashes[index], seenBefore: seenBefore[index], &accepted,
                                    engine: engine, now: now, writer, &report)
                }
                try writer.noteIngestionTime(now)
                return report
            }
        } catch {
            report = try write { db in
                var report = IngestReport()
                accepted = [:]
                // The rolled-back batch's notes of unindexed state go; the table's rows are the truth.
                try self.index.reload(db)
                let writer = WriteTransaction(db, unindexed: index.notes)
                for (index, event) in events.enumerated() {
                    let hash = hashes[index]
                    let before = accepted[hash]
                    do {
                        try db.inSavepoint {
                            try self.record(event, rows[index], hash: hash, seenBefore: seenBefore[index], &accepted, engine: engine, now: now, writer, &report)
                            return .commit
                        }
                    } catch {
                        accepted[hash] = before  // a failed event's id is not remembered
                        try self.index.reload(db, user: event.userID)
                        report.failures.append(EventFailure(eventID: event.id, reason: "\(error)"))
                    }
                }
                try writer.noteIngestionTime(now)
                return report
            }
        }
        // Only ids of committed events are remembered.
        seen.withLock { remembered in
            for (hash, time) in accepted { remembered.insert(hash, time: time, now: now.timeIntervalSince1970) }
        }
        // The batch is committed whatever happens here. The bulks run on the index thread;
        // a failed one is queued again after the next batch, and readers combine the
        // indexed part with the rest anyway.
        index.afterCommit(newEvents: report.accepted)
        return report
    }

    /// The ids' hashes and the event rows' columns, made before the ingestion lock so that
    /// concurrent requests make theirs in parallel. (Splitting a large batch over two
    /// threads gained 6%, under the 10% an optimisation must gain to stay.)
    static func prepare(_ events: [Event]) -> (hashes: [UInt64], rows: [EventRow]) {
        (events.map { StableHash.value($0.id.rawValue) }, events.map(EventRow.init))
    }

    // swiftlint:disable:next function_parameter_count
    func record(
        _ event: Event, _ row: EventRow, hash: UInt64, seenBefore: Bool, _ accepted: inout [UInt64: Double],
        engine: ConnectorEngine, now: Date, _ writer: WriteTransaction, _ report: inout IngestReport
    ) throws {
        guard !seenBefore, accepted[hash] == nil else {
            report.duplicates.append(event.id)
            return
        }
        accepted[hash] = event.time.timeIntervalSince1970
        try apply(event, row, engine: engine, now: now, writer, &report)
        report.accepted += 1
    }

    /// Stores one (new) event and applies its decisions. Only the event row (and a
    /// waiting row per scheduled entry) is written here; the per-user indexes follow in
    /// bulk (``UnindexedState``).
    func apply(_ event: Event, _ row: EventRow, engine: ConnectorEngine, now: Date, _ writer: WriteTransaction, _ report: inout IngestReport) throws {
        let seq = try writer.insert(event, row)
        if engine.mayBeException(event) {
            writer.noteException(user: event.userID, time: event.time, seq: seq)
        }

        switch event.payload {
        case .attributeUpdate(let changes):
            var updated = try Self.readUser(event.userID, writer.database) ?? User(id: event.userID)
            for (key, value) in changes { updated.attributes[key] = value }
            try Self.write(updated, writer.database)
        case .interaction(let interaction):
            if let channel = Self.receiptChannel(interaction.kind),
               engine.campaigns[interaction.campaign]?.trigger != nil {
                writer.noteReceipt(user: event.userID, campaign: interaction.campaign, channel: channel, at: event.time)
            }
        default:
            break
        }

        let triggers = engine.mayTrigger(event)
        guard triggers || engine.mayBeException(event) else { return }
        let (user, rows) = try writer.userAndWaitingRows(event.userID, readingUser: triggers)
        var waiting = rows
        // An event that triggers nothing can only cancel a wait: no wait, nothing to decide.
        guard triggers || !waiting.isEmpty else { return }
        var state = UserState(user: user, waiting: waiting.map(\.entry))
        if triggers, case .interaction(let interaction) = event.payload {
            for followUp in engine.followUps(of: interaction.kind, on: interaction.campaign) where engine.needsLastReceipt(followUp) {
                state.lastReceipts[followUp] = try writer.lastReceipt(event.userID, of: followUp)
            }
            // Exceptions that happened after this trigger but arrived before it (R14).
            state.laterEvents = try writer.laterPossibleExceptions(event.userID, after: event.time)
        }
        let decisions = engine.decide(event, state: state, now: now)
        for decision in decisions {
            switch decision {
            case .schedule(let entry, let reason):
                // R6: the user's entry for this follow-up, if any, is replaced (a restart).
                for old in waiting where old.entry.followUp == entry.followUp {
                    try writer.deleteWaiting(old.seq, user: event.userID)
                }
                waiting.removeAll { $0.entry.followUp == entry.followUp }
                waiting.append((try writer.insertWaiting(entry), entry))
                try writer.trace(event.userID, now, entry.followUp, .scheduled, reason)
            case .cancel(let entryID, let followUp, let reason):
                for old in waiting where old.entry.id == entryID {
                    try writer.deleteWaiting(old.seq, user: event.userID)
                }
                waiting.removeAll { $0.entry.id == entryID }
                try writer.trace(event.userID, now, followUp, .cancelled, reason)
            case .skip(let followUp, let reason):
                try writer.trace(event.userID, now, followUp, .skipped, reason)
            }
        }
        report.decisions += decisions
    }

    /// R22: which interactions are receipts, and on which channel.
    static func receiptChannel(_ kind: InteractionKind) -> Channel? { kind.receiptChannel }

    /// Forgets the ids of events that happened before `date` (they can then be ingested again).
    public func pruneDedupe(before date: Date) throws {
        // Not while a batch runs: its ids would be overwritten by the reloaded set.
        ingestLock.lock()
        defer { ingestLock.unlock() }
        try loadSeenIDs(since: date)
    }
}
