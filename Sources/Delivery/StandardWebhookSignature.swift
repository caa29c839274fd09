import Crypto
import Foundation

/// Signs and verifies webhook requests as Standard Webhooks does
/// (https://www.standardwebhooks.com): `webhook-id`, `webhook-timestamp` and
/// `webhook-signature: v1,BASE64(HMAC-SHA256(key, "{id}.{timestamp}.{body}"))`, the key
/// being the base64 decoding of the secret after its `whsec_` prefix.
///
/// The secret never appears in a description, an error or a log line.
public struct StandardWebhookSignature: Sendable {
    /// The key's bytes (SymmetricKey is not Sendable here; one is made per use).
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// Why a secret cannot be used; the reason never contains the secret.
    public struct InvalidSecret: Error, Equatable, CustomStringConvertible {
        /// What is wrong with the secret.
        public let reason: String
        /// `invalid webhook secret:` and the reason.
        public var description: String { "invalid webhook secret: \(reason)" }
    }

    /// - Parameter secret: `whsec_` followed by the base64 key (the prefix may be left out).
    public init(secret: String) throws(InvalidSecret) {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst("whsec_".count)) : secret
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else {
            throw InvalidSecret(reason: "expected 'whsec_' followed by a base64 key")
        }
        keyBytes = bytes
    }

    /// The `webhook-signature` header value for a message.
    public func signature(id: String, timestamp: Int, body: Data) -> String {
        "v1," + Data(HMAC<SHA256>.authenticationCode(for: Self.signedContent(id: id, timestamp: timestamp, body: body), using: key)).base64EncodedString()
    }

    /// The headers a request carries: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    public func headers(id: String, timestamp: Int, body: Data) -> [(name: String, value: String)] {
        [("webhook-id", id), ("webhook-timestamp", String(timestamp)), ("webhook-signature", signature(id: id, timestamp: timestamp, body: body))]
    }

    /// Whether `header` (space-separated `v1,...` signatures, as receivers get them during a
    /// key rotation) holds a valid signature of the message, with a timestamp within
    /// `tolerance` of `now` (replays are refused). The comparison takes constant time.
    public func verify(header: String, id: String, timestamp: Int, body: Data, now: Date, tolerance: TimeInterval = 300) -> Bool {
        guard abs(now.timeIntervalSince1970 - Double(timestamp)) <= tolerance else { return false }
        let content = Self.signedContent(id: id, timestamp: timestamp, body: body)
        for part in header.split(separator: " ") where part.hasPrefix("v1,") {
            guard let mac = Data(base64Encoded: String(part.dropFirst(3))) else { continue }
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: content, using: key) { return true }
        }
        return false
    }

    private static func signedContent(id: String, timestamp: Int, body: Data) -> Data {
        Data("\(id).\(timestamp).".utf8) + body
    }
}
