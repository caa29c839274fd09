/// A string identifier whose `Tag` keeps kinds apart: a `UserID` is not a `CampaignID`.
public struct Identifier<Tag>: Hashable, Comparable, Codable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public let rawValue: String

    public init(_ rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { rawValue = value }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    public static func < (lhs: Identifier, rhs: Identifier) -> Bool { lhs.rawValue < rhs.rawValue }
    public var description: String { rawValue }
}

public enum UserTag {}
public enum CampaignTag {}
public enum EventTag {}

/// A user's external id.
public typealias UserID = Identifier<UserTag>
/// A campaign's id (stable across its versions).
public typealias CampaignID = Identifier<CampaignTag>
/// An event's id as the client sent it (R25: the same id twice has no further effect).
public typealias EventID = Identifier<EventTag>
