import ConnectorCore
import Foundation

/// Event webhook kinds written in Swift outside this module, by the name a service
/// configuration's `webhooks:` entry gives as its `kind`: the fields of its entry and how
/// to make the verifier from them.
///
/// ```swift
/// var kinds = WebhookKinds()
/// kinds.register("acme", fields: ["signing_key"]) { entry in
///     AcmeEvents(secret: SymmetricKey(data: Data(try entry.child("signing_key").string().utf8)))
/// }
/// ```
///
/// The service posts nothing to it: the provider calls `POST /v1/webhooks/NAME`, the
/// verifier checks the call (``EventWebhook/events(from:now:)`` throwing
/// ``WebhookVerificationError`` answers 400 or 401 and records nothing) and its events
/// become interactions and suppressions like those of the built-in kinds. Every entry also
/// takes `kind` and `provider`; other unknown fields are refused with their line.
public struct WebhookKinds: Sendable {
    /// Makes a verifier from its configuration entry. A ``ConfigurationError`` reaches the
    /// caller as it is; any other error becomes a bad value of the entry.
    public typealias Factory = @Sendable (_ entry: ConfigNode) throws -> any EventWebhook

    struct Kind: Sendable {
        var fields: [String]
        var make: Factory
    }

    var kinds: [String: Kind] = [:]

    /// The kinds built into the service.
    public static let builtIn = ["sendgrid", "mailgun", "postmark", "twilio", "resend", "ses"]

    /// No registered kinds.
    public init() {}

    /// Registers `kind`, reading `fields` of its entry.
    public mutating func register(_ kind: String, fields: [String] = [], _ make: @escaping Factory) {
        precondition(!Self.builtIn.contains(kind), "'\(kind)' is a built-in webhook kind; register under another name")
        kinds[kind] = Kind(fields: fields, make: make)
    }

    /// The registered kind names, sorted.
    public var names: [String] { kinds.keys.sorted() }

    /// The verifier of an entry of a registered `kind`, or nil if `kind` is not registered.
    public func verifier(_ kind: String, entry: ConfigNode, common: [String]) throws(ConfigurationError) -> (any EventWebhook)? {
        guard let registered = kinds[kind] else { return nil }
        try entry.allowOnly(common + registered.fields)
        do {
            return try registered.make(entry)
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw entry.fail(.badValue, "\(kind): \(error)")
        }
    }
}
