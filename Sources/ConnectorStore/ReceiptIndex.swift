import ConnectorCore

/// Which receipts (R22) the store indexes by user.
///
/// Receipts are read back for two rules: R7 (when did the user last receive follow-up F)
/// and R19 (how many messages did the user get per channel lately, for frequency caps).
/// Indexing a receipt is a random B-tree write, and receipts are the most common event, so
/// a workspace without frequency caps can index only the receipts of follow-ups, and
/// ingests faster (docs/PERFORMANCE.md has the figures).
///
/// Switching is safe both ways: opening a store with ``all`` after ``followUpsOnly``
/// re-indexes every receipt from the event log, and saving a campaign that has become a
/// follow-up indexes its past receipts. Both read the whole event log (no index on
/// campaign): seconds per million events, once. A ``Scheduler`` with frequency caps
/// refuses a store that does not index every receipt.
public enum ReceiptIndex: String, Sendable {
    /// Every receipt (the default; frequency caps need it).
    case all
    /// Only receipts of campaigns that are follow-ups (have a trigger): enough for R7.
    case followUpsOnly = "follow_ups_only"
}

/// The receipt interactions and their channels, as SQL over the event table, for
/// re-indexing receipts from the event log.
enum ReceiptSQL {
    static let kinds: [(InteractionKind, Channel)] = InteractionKind.allCases.compactMap { kind in
        SQLiteStore.receiptChannel(kind).map { (kind, $0) }
    }

    /// `INSERT OR IGNORE INTO table ... SELECT` from the events matching `filter` (an SQL
    /// condition on the event table, with its own arguments), into `receipt` or
    /// `followup_receipt` (same columns). `sorted` orders the rows by the receipt key
    /// first, so each index page is written about once (the bulk index of new events).
    static func reindex(into table: String = "receipt", where filter: String, sorted: Bool = false) -> String {
        let cases = kinds.map { "WHEN '\($0.0.rawValue)' THEN '\($0.1.rawValue)'" }.joined(separator: " ")
        let list = kinds.map { "'\($0.0.rawValue)'" }.joined(separator: ", ")
        return """
            INSERT OR IGNORE INTO \(table) (user_id, campaign_id, channel, at)
            SELECT user_id, campaign, CASE kind \(cases) END, time FROM event
            WHERE type = 'interaction' AND kind IN (\(list)) AND (\(filter))
            """ + (sorted ? " ORDER BY user_id, campaign, time" : "")
    }
}
