import ConnectorCore
import Foundation

/// Provider kinds written in Swift outside this module, by the name a configuration's
/// `kind:` gives them: each kind says which channels it carries, which fields of its
/// entry it reads, and how to make the provider from them.
///
/// ```swift
/// var kinds = ProviderKinds()
/// kinds.register("pigeon", channels: [.sms], fields: ["loft", "token"]) { entry, channel, name in
///     PigeonProvider(name: name, loft: try entry.child("loft").url(), token: try entry.child("token").string())
/// }
/// let configuration = try DeliveryConfiguration.load(contentsOf: file, providerKinds: kinds)
/// ```
///
/// Every entry also takes the common fields (`kind`, `name`, `failover`, `rate_limit`,
/// `timeout`, `breaker`); other unknown fields are errors with their line, as for the
/// built-in kinds. A registered kind may not reuse a built-in or declarative kind's name.
public struct ProviderKinds: Sendable {
    /// Makes a provider from its configuration entry (`entry`), for `channel`, named `name`.
    /// A ``ConfigurationError`` (from `entry`'s readers, or a field's
    /// ``ConfigNode/fail(_:_:)``) reaches the caller as it is; any other error becomes a
    /// bad value of the entry.
    public typealias Factory = @Sendable (_ entry: ConfigNode, _ channel: Channel, _ name: String) throws -> any Provider

    struct Kind: Sendable {
        var channels: Set<Channel>
        var fields: [String]
        var make: Factory
    }

    var kinds: [String: Kind] = [:]

    /// No registered kinds.
    public init() {}

    /// Registers `kind` for `channels`, reading `fields` of its entry.
    public mutating func register(_ kind: String, channels: Set<Channel>, fields: [String] = [], _ make: @escaping Factory) {
        precondition(!DeliveryConfiguration.builtInKinds.contains(kind), "'\(kind)' is a built-in provider kind; register under another name")
        kinds[kind] = Kind(channels: channels, fields: fields, make: make)
    }

    /// The registered kind names, sorted.
    public var names: [String] { kinds.keys.sorted() }

    subscript(_ kind: String) -> Kind? { kinds[kind] }
}
