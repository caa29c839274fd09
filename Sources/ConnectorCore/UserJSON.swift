import Foundation
import JSONCore

/// Users as JSON documents, the form an import or the API sends them in:
///
/// ```json
/// {"id": "ada", "attributes": {"plan": "pro"}, "time_zone": "Europe/Berlin",
///  "addresses": {"push": "fcm-token", "email": "ada@example.com"},
///  "subscriptions": {"email": "unsubscribed"}}
/// ```
public enum UserJSON {
    /// Reads one user; errors name the field.
    public static func user(json text: String) throws(DocumentError) -> User {
        let value: AttributeValue
        do {
            value = try AttributeValue(json: text)
        } catch {
            throw DocumentError(field: "", message: "not JSON (\(error))")
        }
        guard case .object(let fields) = value else { throw DocumentError(field: "", message: "expected an object with at least an id") }
        let known = ["id", "attributes", "time_zone", "addresses", "subscriptions"]
        if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
            throw DocumentError(field: unknown, message: "unknown field; known: \(known.joined(separator: ", "))")
        }
        guard case .string(let id)? = fields["id"], !id.isEmpty else { throw DocumentError(field: "id", message: "is required") }
        var user = User(id: UserID(id))
        switch fields["attributes"] {
        case nil, .null?: break
        case .object(let attributes)?: user.attributes = attributes
        default: throw DocumentError(field: "attributes", message: "expected an object")
        }
        switch fields["time_zone"] {
        case nil, .null?: break
        case .string(let zone)?:
            guard TimeZone(identifier: zone) != nil else {
                throw DocumentError(field: "time_zone", message: "'\(zone)' is not an IANA time zone such as Europe/Berlin")
            }
            user.timeZone = zone
        default: throw DocumentError(field: "time_zone", message: "expected an IANA time zone name")
        }
        for (name, value) in try channelMap(fields["addresses"], "addresses") {
            guard case .string(let address) = value, !address.isEmpty else {
                throw DocumentError(field: "addresses.\(name.rawValue)", message: "expected non-empty text")
            }
            if name == .email, !address.contains("@") {
                throw DocumentError(field: "addresses.email", message: "'\(address)' is not an email address")
            }
            user.addresses[name] = address
        }
        for (name, value) in try channelMap(fields["subscriptions"], "subscriptions") {
            guard case .string(let text) = value, let state = SubscriptionState(rawValue: text) else {
                throw DocumentError(field: "subscriptions.\(name.rawValue)", message: "expected opted_in, subscribed or unsubscribed")
            }
            user.subscriptions[name] = state
        }
        return user
    }

    /// A user as the JSON document ``user(json:)`` reads (keys sorted).
    public static func json(_ user: User) -> String {
        var fields: [String: AttributeValue] = ["id": .string(user.id.rawValue), "attributes": .object(user.attributes)]
        if let zone = user.timeZone { fields["time_zone"] = .string(zone) }
        fields["addresses"] = .object(Dictionary(uniqueKeysWithValues: user.addresses.map { ($0.key.rawValue, AttributeValue.string($0.value)) }))
        fields["subscriptions"] = .object(Dictionary(uniqueKeysWithValues: user.subscriptions.map { ($0.key.rawValue, AttributeValue.string($0.value.rawValue)) }))
        return AttributeValue.jsonText(fields)
    }

    private static func channelMap(_ value: AttributeValue?, _ field: String) throws(DocumentError) -> [(Channel, AttributeValue)] {
        switch value {
        case nil, .null?:
            return []
        case .object(let object)?:
            var result: [(Channel, AttributeValue)] = []
            for (name, item) in object.sorted(by: { $0.key < $1.key }) {
                guard let channel = Channel(rawValue: name) else {
                    throw DocumentError(field: "\(field).\(name)", message: Channel.problem(with: name))
                }
                result.append((channel, item))
            }
            return result
        default:
            throw DocumentError(field: field, message: "expected an object by channel")
        }
    }
}
