import ConnectorCore
import Foundation
import GRDB
import JSONCore

/// How an event is stored: typed columns for what the engine queries, and JSON text
/// (written by hand, not by JSONEncoder, which dominated ingestion) for the rest.
/// Package-visible so `engine-bench`'s raw inserts write exactly these rows.
package struct EventRow: Sendable {
    static let columns = "event_id, user_id, time, type, kind, campaign, detail, data"
    static let qualifiedColumns = "event.event_id, event.user_id, event.time, event.type, event.kind, event.campaign, event.detail, event.data"

    /// The columns after id, user and time.
    package var type = "", kind: String?, campaign: String?, detail: String?, data: String?

    package init(_ event: Event) {
        switch event.payload {
        case .interaction(let interaction):
            type = "interaction"
            kind = interaction.kind.rawValue
            campaign = interaction.campaign.rawValue
            detail = interaction.detail
        case .custom(let name, let properties):
            type = "custom"
            detail = name
            data = AttributeValue.jsonText(properties)
        case .purchase(let product, let price, let currency, let quantity):
            type = "purchase"
            detail = product
            data = AttributeValue.jsonText(["price": .number(price), "currency": .string(currency), "quantity": .number(Double(quantity))])
        case .sessionStart:
            type = "session_start"
        case .attributeUpdate(let changes):
            type = "attributes"
            data = AttributeValue.jsonText(changes)
        }
    }

    static func event(_ row: Row) throws -> Event {
        let id = EventID(row["event_id"] as String)
        let user = UserID(row["user_id"] as String)
        let time = Date(timeIntervalSince1970: row["time"])
        let type: String = row["type"]
        let detail: String? = row["detail"]
        let data = try (row["data"] as String?).map { text in
            do { return try AttributeValue(json: text) } catch { throw StoreCorruption("event \(id) has unreadable data: \(error)") }
        }
        let fields: [String: AttributeValue]
        if case .object(let object)? = data { fields = object } else { fields = [:] }
        let payload: Event.Payload
        switch type {
        case "interaction":
            guard let kind = InteractionKind(rawValue: row["kind"]) else { throw StoreCorruption("unknown interaction kind in event \(id)") }
            payload = .interaction(Interaction(kind: kind, campaign: CampaignID(row["campaign"] as String), detail: detail))
        case "custom":
            payload = .custom(name: detail ?? "", properties: fields)
        case "purchase":
            guard let price = fields["price"]?.number, case .string(let currency)? = fields["currency"],
                  let quantity = fields["quantity"]?.number else {
                throw StoreCorruption("purchase \(id) has no price, currency and quantity")
            }
            payload = .purchase(productID: detail ?? "", price: price, currency: currency, quantity: Int(quantity))
        case "session_start":
            payload = .sessionStart
        case "attributes":
            payload = .attributeUpdate(fields)
        default:
            throw StoreCorruption("unknown event type '\(type)' in event \(id)")
        }
        return Event(id: id, userID: user, time: time, payload: payload)
    }
}

/// Waiting entries as plain columns.
enum WaitingRow {
    static let columns = "id, follow_up, version, user_id, trigger_event_id, trigger_time, due_at, first_due_at"

    static func entry(_ row: Row) -> WaitingEntry {
        let due = Date(timeIntervalSince1970: row["due_at"])
        return WaitingEntry(followUp: CampaignID(row["follow_up"] as String), campaignVersion: row["version"],
                            userID: UserID(row["user_id"] as String), triggerEventID: EventID(row["trigger_event_id"] as String),
                            triggerTime: Date(timeIntervalSince1970: row["trigger_time"]), dueAt: due,
                            firstDueAt: (row["first_due_at"] as Double?).map(Date.init(timeIntervalSince1970:)) ?? due)
    }
}

