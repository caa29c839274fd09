import Foundation

/// Segments and conditions as the decision trace shows them: "plan equals \"pro\"",
/// "orders > 3", "reachable on push" (not Swift's reflection of the enum).
extension AttributeCondition: CustomStringConvertible {
    public var description: String {
        func number(_ value: Double) -> String { value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value) }
        switch self {
        case .equals(let value): return "equals \(value.jsonText)"
        case .notEquals(let value): return "not equals \(value.jsonText)"
        case .exists: return "exists"
        case .notExists: return "does not exist"
        case .greaterThan(let limit): return "> \(number(limit))"
        case .lessThan(let limit): return "< \(number(limit))"
        case .atLeast(let limit): return ">= \(number(limit))"
        case .atMost(let limit): return "<= \(number(limit))"
        case .inList(let values): return "in [" + values.map(\.jsonText).joined(separator: ", ") + "]"
        case .contains(let text): return "contains \(AttributeValue.string(text).jsonText)"
        case .before(let date): return "before \(TraceTime.iso(date))"
        case .after(let date): return "after \(TraceTime.iso(date))"
        case .withinLast(let seconds): return "within the last \(number(seconds)) s"
        }
    }
}

extension Segment: CustomStringConvertible {
    public var description: String {
        switch self {
        case .everyone: return "everyone"
        case .all(let parts): return "all of (" + parts.map(\.description).joined(separator: "; ") + ")"
        case .any(let parts): return "any of (" + parts.map(\.description).joined(separator: "; ") + ")"
        case .not(let part): return "not (\(part))"
        case .attribute(let name, let condition): return "\(name) \(condition)"
        case .reachable(let channel): return "reachable on \(channel.rawValue)"
        }
    }
}
