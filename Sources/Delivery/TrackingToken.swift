import Crypto
import Foundation

/// What a tracked link (or the open pixel) stands for: the dispatch, which link of the
/// message (nil for the open pixel), the link's alias, if it has one, and where it leads.
///
/// The destination travels signed inside the token, so a click redirects without a
/// lookup and a link of a dispatch the store no longer holds still leads where it did.
public struct TrackedLink: Sendable, Equatable {
    /// The dispatch whose message holds the link.
    public var dispatchID: String
    /// The link's index among the message's links (``FoundLink/index``); nil for the open pixel
    /// and unsubscribe.
    public var linkIndex: Int?
    /// The link's alias, if it has one (`unsubscribe` for the unsubscribe URL).
    public var alias: String?
    /// The original URL a click redirects to (nil for the open pixel and unsubscribe).
    public var url: String?

    /// A tracked link.
    ///
    /// - Parameters:
    ///   - dispatchID: the dispatch whose message holds the link.
    ///   - linkIndex: the link's index; nil for the open pixel and unsubscribe.
    ///   - alias: the link's alias, if any.
    ///   - url: where a click redirects, if anywhere.
    public init(dispatchID: String, linkIndex: Int?, alias: String? = nil, url: String? = nil) {
        self.dispatchID = dispatchID
        self.linkIndex = linkIndex
        self.alias = alias
        self.url = url
    }
}

/// Signed, URL-safe tokens for click and open tracking: the link's fields and a truncated
/// HMAC-SHA256 (128 bits) under the workspace's tracking key, base64url without padding.
/// Changing any byte makes ``verify(_:)`` fail; the comparison takes constant time.
public struct TrackingTokens: Sendable {
    /// The key's bytes (SymmetricKey is not Sendable here; one is made per use).
    private let keyBytes: Data
    private var key: SymmetricKey { SymmetricKey(data: keyBytes) }

    /// - Parameter key: at least 32 bytes (from the configuration; never logged).
    public init(key: Data) throws(InvalidKey) {
        guard key.count >= 32 else { throw InvalidKey() }
        keyBytes = key
    }

    /// A tracking key shorter than 32 bytes.
    public struct InvalidKey: Error, Equatable, CustomStringConvertible {
        /// Says the key must be at least 32 bytes.
        public var description: String { "the tracking key must be at least 32 bytes" }
    }

    /// The token for `link`.
    public func token(for link: TrackedLink) -> String {
        let payload = Data(Self.encode(link).utf8)
        return Self.base64URL(payload) + "." + Self.base64URL(mac(payload))
    }

    /// The link a token stands for, or nil if it was not made with this key or was changed.
    public func verify(_ token: String) -> TrackedLink? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, let payload = Self.decodeBase64URL(parts[0]), let tag = Self.decodeBase64URL(parts[1]),
              tag.count == 16 else { return nil }
        // Only the canonical spelling: base64's last character carries spare bits that a
        // decoder ignores, so another spelling of the same bytes is a changed token.
        guard Self.base64URL(payload) == parts[0], Self.base64URL(tag) == parts[1] else { return nil }
        // Constant time: the full code is recomputed and compared without an early exit.
        let expected = mac(payload)
        var difference: UInt8 = 0
        for (a, b) in zip(expected, tag) { difference |= a ^ b }
        guard difference == 0 else { return nil }
        return Self.decode(String(decoding: payload, as: UTF8.self))
    }

    private func mac(_ payload: Data) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: payload, using: key)).prefix(16)
    }

    /// `dispatch|index|alias|url`, each percent-encoded so `|` cannot appear inside.
    private static func encode(_ link: TrackedLink) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(link.dispatchID.utf8.count + (link.alias?.utf8.count ?? 0) + 8)
        for (position, field) in [link.dispatchID, link.linkIndex.map(String.init) ?? "", link.alias ?? "", link.url ?? ""].enumerated() {
            if position > 0 { bytes.append(UInt8(ascii: "|")) }
            for byte in field.utf8 {
                if Self.unreserved(byte) {
                    bytes.append(byte)
                } else {
                    bytes.append(UInt8(ascii: "%"))
                    bytes.append(Self.hexDigits[Int(byte >> 4)])
                    bytes.append(Self.hexDigits[Int(byte & 0x0F)])
                }
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// ASCII letters, digits, `-`, `_` and `.`: the bytes kept as they are.
    private static func unreserved(_ byte: UInt8) -> Bool {
        (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 45 || byte == 95 || byte == 46
    }

    private static func decode(_ text: String) -> TrackedLink? {
        let fields = text.split(separator: "|", omittingEmptySubsequences: false).map { $0.removingPercentEncoding }
        guard fields.count == 4, let dispatch = fields[0] ?? nil, !dispatch.isEmpty, let index = fields[1] ?? nil,
              let alias = fields[2] ?? nil, let url = fields[3] ?? nil else { return nil }
        let linkIndex: Int?
        if index.isEmpty { linkIndex = nil } else {
            guard let number = Int(index), number >= 0 else { return nil }
            linkIndex = number
        }
        return TrackedLink(dispatchID: dispatch, linkIndex: linkIndex, alias: alias.isEmpty ? nil : alias, url: url.isEmpty ? nil : url)
    }

    static func base64URL(_ data: Data) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(data.count * 4 / 3 + 3)
        for byte in data.base64EncodedData() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(UInt8(ascii: "-"))
            case UInt8(ascii: "/"): bytes.append(UInt8(ascii: "_"))
            case UInt8(ascii: "="): break
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    static func decodeBase64URL(_ text: Substring) -> Data? {
        guard text.utf8.allSatisfy({ ($0 >= 65 && $0 <= 90) || ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) else {
            return nil
        }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}
