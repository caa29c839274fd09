import Foundation
import JSONCore

/// A malformed input document (an event, a user): which field, what is wrong, what would
/// be right.
public struct DocumentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The field, such as `time` or `properties.sku`; empty for the whole event.
    public var field: String
    public var message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { field.isEmpty ? message : "\(field): \(message)" }
}

/// Events as JSON documents, the form clients send them in:
///
/// ```json
/// {"id": "0b7c…", "user_id": "ada", "time": "2026-03-02T09:05:00Z", "type": "interaction",
///  "kind": "push_opened", "campaign": "free-shipping", "detail": null}
/// {"id": "…", "user_id": "bob", "time": "…", "type": "purchase", "product_id": "sku-42",
///  "price": 29.9, "currency": "EUR", "quantity": 1}
/// {"id": "…", "user_id": "cy", "time": "…", "type": "custom", "name": "viewed_product", "properties": {"sku": "42"}}
/// {"id": "…", "user_id": "cy", "time": "…", "type": "session_start"}
/// {"id": "…", "user_id": "cy", "time": "…", "type": "attributes", "attributes": {"plan": "pro"}}
/// ```
///
/// `time` is ISO 8601 (fractional seconds allowed) or seconds since 1970.
public enum EventJSON {
    /// Reads one event from JSON text.
    public static func event(json text: String) throws(DocumentError) -> Event {
        let value: AttributeValue
        do {
            value = try AttributeValue(json: text)
        } catch {
            throw DocumentError(field: "", message: "not JSON (\(error))")
        }
        return try event(value)
    }

    /// Reads one event from a parsed JSON value.
    public static func event(_ value: AttributeValue) throws(DocumentError) -> Event {
        guard case .object(let fields) = value else { throw DocumentError(field: "", message: "expected an object with id, user_id, time and type") }
        let known: Set<String> = ["id", "user_id", "time", "type", "kind", "campaign", "detail", "product_id", "price", "currency",
                                  "quantity", "name", "properties", "attributes"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw DocumentError(field: unknown, message: "unknown field; known: \(known.sorted().joined(separator: ", "))")
        }
        let id = try text(fields, "id")
        let user = try text(fields, "user_id")
        let time = try date(fields["time"])
        let payload: Event.Payload
        switch try text(fields, "type") {
        case "interaction":
            let name = try text(fields, "kind")
            guard let kind = InteractionKind(rawValue: name) else {
                throw DocumentError(field: "kind", message: "unknown interaction '\(name)'; expected one of: \(InteractionKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            let detail = try optionalText(fields, "detail")
            if kind.triggerRequiresDetail && detail == nil {
                throw DocumentError(field: "detail", message: "\(name) needs the link alias as detail (R1)")
            }
            payload = .interaction(Interaction(kind: kind, campaign: CampaignID(try text(fields, "campaign")), detail: detail))
        case "purchase":
            guard case .number(let price)? = fields["price"], price.isFinite, price >= 0 else {
                throw DocumentError(field: "price", message: "expected a number of at least 0")
            }
            var quantity = 1
            if let value = fields["quantity"] {
                guard case .number(let number) = value, number >= 1, number == number.rounded(), number < 1e9 else {
                    throw DocumentError(field: "quantity", message: "expected a whole number of at least 1")
                }
                quantity = Int(number)
            }
            let currency = try text(fields, "currency")
            guard currency.count == 3, currency.allSatisfy({ $0.isLetter && $0.isUppercase }) else {
                throw DocumentError(field: "currency", message: "expected an ISO 4217 code such as EUR")
            }
            payload = .purchase(productID: try text(fields, "product_id"), price: price, currency: currency, quantity: quantity)
        case "custom":
            payload = .custom(name: try text(fields, "name"), properties: try object(fields, "properties"))
        case "session_start":
            payload = .sessionStart
        case "attributes":
            let attributes = try object(fields, "attributes")
            guard !attributes.isEmpty else { throw DocumentError(field: "attributes", message: "expected at least one attribute") }
            payload = .attributeUpdate(attributes)
        case let other:
            throw DocumentError(field: "type", message: "unknown type '\(other)'; expected interaction, purchase, custom, session_start or attributes")
        }
        return Event(id: EventID(id), userID: UserID(user), time: time, payload: payload)
    }

    private static func text(_ fields: [String: AttributeValue], _ name: String) throws(DocumentError) -> String {
        guard case .string(let text)? = fields[name], !text.isEmpty else {
            throw DocumentError(field: name, message: fields[name] == nil ? "is required" : "expected non-empty text")
        }
        return text
    }

    private static func optionalText(_ fields: [String: AttributeValue], _ name: String) throws(DocumentError) -> String? {
        switch fields[name] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        default: throw DocumentError(field: name, message: "expected text or null")
        }
    }

    private static func object(_ fields: [String: AttributeValue], _ name: String) throws(DocumentError) -> [String: AttributeValue] {
        switch fields[name] {
        case nil, .null?: return [:]
        case .object(let object)?: return object
        default: throw DocumentError(field: name, message: "expected an object")
        }
    }

    private static func date(_ value: AttributeValue?) throws(DocumentError) -> Date {
        switch value {
        case .number(let seconds)?:
            do { return try SupportedTime.seconds(seconds) } catch { throw DocumentError(field: "time", message: error.description) }
        case .string(let text)?:
            do { return try SupportedTime.parse(text) } catch { throw DocumentError(field: "time", message: error.description) }
        case nil:
            throw DocumentError(field: "time", message: "is required (RFC 3339, or seconds since 1970)")
        default:
            throw DocumentError(field: "time", message: "expected an RFC 3339 time or seconds since 1970")
        }
    }
}
