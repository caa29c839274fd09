import Foundation

/// An audience: a filter over user attributes and channel subscriptions, evaluated
/// without I/O (R5).
public indirect enum Segment: Codable, Sendable, Equatable {
    case everyone
    /// All of these (AND).
    case all([Segment])
    /// Any of these (OR).
    case any([Segment])
    case not(Segment)
    case attribute(String, AttributeCondition)
    /// Reachable on the channel: an address and not unsubscribed.
    case reachable(Channel)

    /// Whether `user` is in the audience at `now`.
    public func contains(_ user: User, now: Date) -> Bool {
        failure(for: user, now: now) == nil
    }

    /// Why `user` is not in the audience (for the decision trace), or nil if they are.
    public func failure(for user: User, now: Date) -> String? {
        switch self {
        case .everyone:
            return nil
        case .all(let parts):
            for part in parts { if let reason = part.failure(for: user, now: now) { return reason } }
            return nil
        case .any(let parts):
            let reasons = parts.compactMap { $0.failure(for: user, now: now) }
            return reasons.count == parts.count && !parts.isEmpty ? reasons.joined(separator: " and ") : nil
        case .not(let part):
            return part.failure(for: user, now: now) == nil ? "matches an excluded condition (\(part))" : nil
        case .attribute(let name, let condition):
            let value = user.attributes[name]
            return condition.holds(for: value, now: now) ? nil : "attribute \(name) = \(value.map(describe) ?? "missing") fails \(condition)"
        case .reachable(let channel):
            return user.isReachable(on: channel) ? nil : "not reachable on \(channel.rawValue)"
        }
    }

    private func describe(_ value: AttributeValue) -> String {
        switch value {
        case .string(let text): return text
        case .number(let number): return number == number.rounded() ? String(Int(number)) : String(number)
        case .bool(let flag): return String(flag)
        case .null: return "null"
        case .array, .object: return value.jsonText
        }
    }
}

/// A test on one attribute.
public enum AttributeCondition: Codable, Sendable, Equatable {
    case equals(AttributeValue)
    case notEquals(AttributeValue)
    case exists
    case notExists
    case greaterThan(Double)
    case lessThan(Double)
    case atLeast(Double)
    case atMost(Double)
    case inList([AttributeValue])
    /// A string containing the text, or an array containing the string.
    case contains(String)
    case before(Date)
    case after(Date)
    /// A date within the last `seconds` before now.
    case withinLast(seconds: Double)

    func holds(for value: AttributeValue?, now: Date) -> Bool {
        switch self {
        case .exists: return value != nil && value != .null
        case .notExists: return value == nil || value == .null
        case .equals(let wanted): return value == wanted || (value?.number != nil && value?.number == wanted.number)
        case .notEquals(let unwanted): return !(value == unwanted || (value?.number != nil && value?.number == unwanted.number))
        case .greaterThan(let limit): return value?.number.map { $0 > limit } ?? false
        case .lessThan(let limit): return value?.number.map { $0 < limit } ?? false
        case .atLeast(let limit): return value?.number.map { $0 >= limit } ?? false
        case .atMost(let limit): return value?.number.map { $0 <= limit } ?? false
        case .inList(let list): return value.map { list.contains($0) } ?? false
        case .contains(let text):
            switch value {
            case .string(let string)?: return string.contains(text)
            case .array(let items)?: return items.contains(.string(text))
            default: return false
            }
        case .before(let date): return value?.date.map { $0 < date } ?? false
        case .after(let date): return value?.date.map { $0 > date } ?? false
        case .withinLast(let seconds): return value?.date.map { $0 <= now && now.timeIntervalSince($0) <= seconds } ?? false
        }
    }
}
