import ConnectorCore
import Foundation
import JSONCore

/// How a user is stored: one JSON document in the shape Foundation's `JSONEncoder` gives
/// `User` (rows written by earlier versions read the same), written and read by hand:
/// decoding with `JSONDecoder` was the largest single cost of a trigger.
enum UserRow {
    /// The user as a JSON document.
    static func json(_ user: User) -> String {
        var members = ["\"id\":" + JSONQuoting.quoted(user.id.rawValue), "\"attributes\":" + AttributeValue.jsonText(user.attributes)]
        if let zone = user.timeZone { members.append("\"timeZone\":" + JSONQuoting.quoted(zone)) }
        members.append("\"addresses\":" + pairs(user.addresses.map { ($0.key.rawValue, $0.value) }))
        members.append("\"subscriptions\":" + pairs(user.subscriptions.map { ($0.key.rawValue, $0.value.rawValue) }))
        return "{" + members.joined(separator: ",") + "}"
    }

    /// `[key, value, key, value, ...]`, as `JSONEncoder` writes a dictionary with enum keys.
    private static func pairs(_ entries: [(String, String)]) -> String {
        "[" + entries.sorted { $0.0 < $1.0 }.map { JSONQuoting.quoted($0.0) + "," + JSONQuoting.quoted($0.1) }.joined(separator: ",") + "]"
    }

    /// Reads a document written by ``json(_:)`` or by `JSONEncoder`.
    static func user(json bytes: UnsafeBufferPointer<UInt8>) throws -> User {
        let document: AttributeValue
        do {
            document = try AttributeValue.parse(json: bytes)
        } catch {
            throw StoreCorruption("a stored user is not JSON: \(error)")
        }
        guard case .object(let fields) = document, case .string(let id)? = fields["id"] else {
            throw StoreCorruption("a stored user has no id")
        }
        var user = User(id: UserID(id))
        if case .object(let attributes)? = fields["attributes"] { user.attributes = attributes }
        if case .string(let zone)? = fields["timeZone"] { user.timeZone = zone }
        for (key, value) in try entries(fields["addresses"], of: id) {
            guard let channel = Channel(rawValue: key) else { throw StoreCorruption("user \(id) has an address for '\(key)', which is not a channel name") }
            user.addresses[channel] = value
        }
        for (key, value) in try entries(fields["subscriptions"], of: id) {
            guard let channel = Channel(rawValue: key), let state = SubscriptionState(rawValue: value) else {
                throw StoreCorruption("user \(id) has an unknown subscription '\(key)': '\(value)'")
            }
            user.subscriptions[channel] = state
        }
        return user
    }

    /// Key-value pairs from `[k, v, ...]` or `{k: v}`.
    private static func entries(_ value: AttributeValue?, of user: String) throws -> [(String, String)] {
        switch value {
        case nil, .null?:
            return []
        case .array(let items)?:
            guard items.count.isMultiple(of: 2) else { throw StoreCorruption("user \(user) has an odd list of pairs") }
            return try stride(from: 0, to: items.count, by: 2).map { index in
                guard case .string(let key) = items[index], case .string(let value) = items[index + 1] else {
                    throw StoreCorruption("user \(user) has a pair that is not text")
                }
                return (key, value)
            }
        case .object(let object)?:
            return try object.map { key, value in
                guard case .string(let text) = value else { throw StoreCorruption("user \(user) has a value that is not text") }
                return (key, text)
            }
        default:
            throw StoreCorruption("user \(user) has pairs of an unexpected shape")
        }
    }
}
