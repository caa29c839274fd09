import ConnectorCore
import Foundation
import GRDB

/// How an event is stored: typed columns for what the engine queries, and JSON text
/// (written by hand, not by JSONEncoder, which dominated ingestion) for the rest.
struct EventRow {
    static let columns = "event_id, user_id, time, type, kind, campaign, detail, data"
    static let qualifiedColumns = "event.event_id, event.user_id, event.time, event.type, event.kind, event.campaign, event.detail, event.data"

    /// The columns after id, user and time.
    var type = "", kind: String?, campaign: String?, detail: String?, data: String?

    init(_ event: Event) {
        switch event.payload {
        case .interaction(let interaction):
            type = "interaction"
            kind = interaction.kind.rawValue
            campaign = interaction.campaign.rawValue
            detail = interaction.detail
        case .custom(let name, let properties):
            type = "custom"
            detail = name
            data = JSONText.object(properties)
        case .purchase(let product, let price, let currency, let quantity):
            type = "purchase"
            detail = product
            data = "{\"price\":\(price),\"currency\":\(JSONText.string(currency)),\"quantity\":\(quantity)}"
        case .sessionStart:
            type = "session_start"
        case .attributeUpdate(let changes):
            type = "attributes"
            data = JSONText.object(changes)
        }
    }

    static func event(_ row: Row) throws -> Event {
        let id = EventID(row["event_id"] as String)
        let user = UserID(row["user_id"] as String)
        let time = Date(timeIntervalSince1970: row["time"])
        let type: String = row["type"]
        let detail: String? = row["detail"]
        let data = (row["data"] as String?).map { Data($0.utf8) }
        let payload: Event.Payload
        switch type {
        case "interaction":
            guard let kind = InteractionKind(rawValue: row["kind"]) else { throw StoreCorruption("unknown interaction kind in event \(id)") }
            payload = .interaction(Interaction(kind: kind, campaign: CampaignID(row["campaign"] as String), detail: detail))
        case "custom":
            payload = .custom(name: detail ?? "", properties: try data.map { try JSONDecoder().decode([String: AttributeValue].self, from: $0) } ?? [:])
        case "purchase":
            struct Purchase: Decodable { var price: Double; var currency: String; var quantity: Int }
            guard let data else { throw StoreCorruption("purchase \(id) has no data") }
            let purchase = try JSONDecoder().decode(Purchase.self, from: data)
            payload = .purchase(productID: detail ?? "", price: purchase.price, currency: purchase.currency, quantity: purchase.quantity)
        case "session_start":
            payload = .sessionStart
        case "attributes":
            payload = .attributeUpdate(try data.map { try JSONDecoder().decode([String: AttributeValue].self, from: $0) } ?? [:])
        default:
            throw StoreCorruption("unknown event type '\(type)' in event \(id)")
        }
        return Event(id: id, userID: user, time: time, payload: payload)
    }
}

/// Waiting entries as plain columns.
enum WaitingRow {
    static let columns = "id, follow_up, version, user_id, trigger_event_id, trigger_time, due_at"

    static func entry(_ row: Row) -> WaitingEntry {
        WaitingEntry(followUp: CampaignID(row["follow_up"] as String), campaignVersion: row["version"],
                     userID: UserID(row["user_id"] as String), triggerEventID: EventID(row["trigger_event_id"] as String),
                     triggerTime: Date(timeIntervalSince1970: row["trigger_time"]), dueAt: Date(timeIntervalSince1970: row["due_at"]))
    }
}

/// A stored row that cannot be read back.
struct StoreCorruption: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Minimal JSON text for attribute values.
enum JSONText {
    static func string(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func value(_ value: AttributeValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return flag ? "true" : "false"
        case .number(let number): return number.isFinite ? "\(number)" : "null"
        case .string(let text): return string(text)
        case .array(let items): return "[" + items.map(Self.value).joined(separator: ",") + "]"
        case .object(let fields): return object(fields)
        }
    }

    static func object(_ fields: [String: AttributeValue]) -> String {
        "{" + fields.keys.sorted().map { string($0) + ":" + value(fields[$0] ?? .null) }.joined(separator: ",") + "}"
    }
}
