import Crypto
import Foundation
import HTTPTypes

/// A key that opens the `/v1` API, with what it may do. Compared in constant time; never
/// logged or echoed.
public struct APIKey: Sendable {
    /// What a key may do.
    public enum Scope: String, Sendable, CaseIterable {
        /// Send events and users (`POST /v1/events`, Segment's and Braze's endpoints).
        case ingest
        /// Change campaigns, users and the virtual clock.
        case admin
        /// Read traces, the outbox, deliveries and the sandbox.
        case read
    }

    /// A label for logs and metrics (never the secret).
    public var name: String
    let digest: [UInt8]
    public var scopes: Set<Scope>

    public init(name: String, secret: String, scopes: Set<Scope>) {
        self.name = name
        digest = Array(SHA256.hash(data: Data(secret.utf8)))
        self.scopes = scopes
    }

    /// Whether `presented` is this key. Both sides are hashed first, so the comparison
    /// takes the same time whatever the lengths and wherever the first difference is.
    func matches(_ presented: String) -> Bool {
        let other = Array(SHA256.hash(data: Data(presented.utf8)))
        var difference: UInt8 = 0
        for (a, b) in zip(digest, other) { difference |= a ^ b }
        return difference == 0
    }
}

/// The keys of a service and how a request presents one.
struct KeyRing: Sendable {
    var keys: [APIKey]
    /// The app-facing key (feeds, push opens), if configured.
    var sdk: APIKey?

    /// The secret a request carries: `Authorization: Bearer KEY`, `Authorization: Basic`
    /// with the key as the user name (as Segment's clients send their write key), or
    /// `X-API-Key: KEY`.
    static func presented(_ headers: HTTPFields) -> String? {
        if let value = headers[.authorization] {
            let parts = value.split(separator: " ", maxSplits: 1)
            if parts.count == 2 {
                switch parts[0].lowercased() {
                case "bearer": return String(parts[1]).trimmingCharacters(in: .whitespaces)
                case "basic":
                    guard let data = Data(base64Encoded: String(parts[1]).trimmingCharacters(in: .whitespaces)),
                          let text = String(data: data, encoding: .utf8) else { return nil }
                    return String(text.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                default: return nil
                }
            }
        }
        if let name = HTTPField.Name("X-API-Key"), let value = headers[name] { return value }
        return nil
    }

    /// The key that grants `scope`, or the reason to refuse (every key is compared, so the
    /// time does not tell which one nearly matched).
    func authorize(_ headers: HTTPFields, _ scope: APIKey.Scope) throws(APIError) -> APIKey {
        try authorize(secret: Self.presented(headers), scope)
    }

    /// The key `secret` is, if it grants `scope`.
    func authorize(secret: String?, _ scope: APIKey.Scope) throws(APIError) -> APIKey {
        guard let secret, !secret.isEmpty else { throw APIError.unauthorized }
        var found: APIKey?
        for key in keys where key.matches(secret) && found == nil { found = key }
        guard let key = found else { throw APIError.unauthorized }
        guard key.scopes.contains(scope) else {
            throw APIError(.forbidden, "this key may not do that: it needs the \(scope.rawValue) scope", field: nil)
        }
        return key
    }

    /// The SDK key (or any API key with the ingest scope) for app-facing endpoints.
    func authorizeSDK(_ headers: HTTPFields) throws(APIError) {
        guard let secret = Self.presented(headers), !secret.isEmpty else { throw APIError.unauthorized }
        if let sdk, sdk.matches(secret) { return }
        _ = try authorize(headers, .ingest)
    }
}
