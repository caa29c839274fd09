import ConnectorCore

/// The receipt interactions (R22) and their channels, as SQL over the event table, for
/// indexing a follow-up's receipts from the event log (a campaign that becomes a
/// follow-up, a rebuilt index file). Only follow-ups' receipts are indexed: R7 reads them;
/// frequency caps count dispatches.
enum ReceiptSQL {
    static let kinds: [(InteractionKind, Channel)] = InteractionKind.allCases.compactMap { kind in
        SQLiteStore.receiptChannel(kind).map { (kind, $0) }
    }

    /// `INSERT OR IGNORE INTO receipt ... SELECT` from the events matching `filter` (an SQL
    /// condition on the event table, with its own arguments). `sorted` orders the rows by
    /// the receipt key first, so each index page is written about once.
    static func reindex(where filter: String, sorted: Bool = false) -> String {
        let cases = kinds.map { "WHEN '\($0.0.rawValue)' THEN '\($0.1.rawValue)'" }.joined(separator: " ")
        let list = kinds.map { "'\($0.0.rawValue)'" }.joined(separator: ", ")
        return """
            INSERT OR IGNORE INTO receipt (user_id, campaign_id, channel, at)
            SELECT user_id, campaign, CASE kind \(cases) END, time FROM event
            WHERE type = 'interaction' AND kind IN (\(list)) AND (\(filter))
            """ + (sorted ? " ORDER BY user_id, campaign, time" : "")
    }
}
