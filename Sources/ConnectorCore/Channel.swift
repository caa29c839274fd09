import Foundation

/// A channel a campaign can send through: one of the six built in (``email``, ``sms``,
/// ``push``, ``webhook``, ``inAppMessage``, ``contentCard``) or one a package adds, such
/// as `Channel("slack")`, sent by the ``ChannelAdapter`` and provider it registers.
///
/// A channel is its name: lower-case letters, digits and `_`, starting with a letter, at
/// most 40 characters. That name is what campaign files, user addresses, the store and
/// the API use.
public struct Channel: RawRepresentable, Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public let rawValue: String

    /// The channel named `rawValue`, if it is a well-formed name (built in or not).
    public init?(rawValue: String) {
        guard Self.isWellFormed(rawValue) else { return nil }
        self.rawValue = rawValue
    }

    /// A channel of a package's own, by its name. The name must be well formed (see
    /// ``Channel``); a literal that is not stops the program, so use ``init(rawValue:)``
    /// for names read from input.
    public init(_ name: StaticString) {
        let text = name.description
        precondition(Self.isWellFormed(text), "'\(text)' is not a channel name: lower-case letters, digits and _, starting with a letter")
        rawValue = text
    }

    private init(builtIn name: String) { rawValue = name }

    public static let email = Channel(builtIn: "email")
    public static let sms = Channel(builtIn: "sms")
    public static let push = Channel(builtIn: "push")
    public static let webhook = Channel(builtIn: "webhook")
    public static let inAppMessage = Channel(builtIn: "in_app_message")
    public static let contentCard = Channel(builtIn: "content_card")

    /// The six channels built in, in their usual order.
    public static let builtIn: [Channel] = [.email, .sms, .push, .webhook, .inAppMessage, .contentCard]

    /// Whether it is one of the six built-in channels.
    public var isBuiltIn: Bool { Self.builtIn.contains(self) }

    /// Whether a message on it needs an address of the user's: every channel but webhooks
    /// (the campaign names the URL), in-app messages and content cards (the app fetches
    /// them by user id).
    public var needsAddress: Bool { self != .webhook && self != .inAppMessage && self != .contentCard }

    public var description: String { rawValue }

    public static func < (lhs: Channel, rhs: Channel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// Whether `name` can name a channel.
    public static func isWellFormed(_ name: String) -> Bool {
        guard let first = name.utf8.first, (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(first), name.utf8.count <= 40 else { return false }
        return name.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "_") }
    }

    public init(from decoder: any Decoder) throws {
        let name = try decoder.singleValueContainer().decode(String.self)
        guard let channel = Channel(rawValue: name) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(name)' is not a channel name"))
        }
        self = channel
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The error text for a name that is not well formed: what is wrong and what would be right.
    public static func problem(with name: String) -> String {
        "'\(name)' is not a channel name: lower-case letters, digits and _, starting with a letter (built in: \(builtInNames))"
    }

    /// The built-in channels' names, for error texts.
    public static var builtInNames: String { builtIn.map(\.rawValue).joined(separator: ", ") }
}
