import Foundation

/// Where tracked links point and how their tokens are signed: the click redirect, the
/// open pixel, SMS short links and one-click unsubscribe, all on the service's public
/// base URL (the HTTP endpoints are the service's).
public struct Tracking: Sendable {
    /// The service's public base URL, such as `https://t.example.com` (no trailing slash).
    public let baseURL: String
    /// Makes and verifies the signed tokens in its URLs.
    public let tokens: TrackingTokens

    /// - Parameters:
    ///   - baseURL: an http(s) URL; a trailing slash is dropped.
    ///   - key: the signing key, at least 32 bytes (from the configuration; never logged).
    public init(baseURL: String, key: Data) throws(TrackingTokens.InvalidKey) {
        var base = baseURL
        while base.hasSuffix("/") { base.removeLast() }
        self.baseURL = base
        tokens = try TrackingTokens(key: key)
    }

    /// The click URL of link `index` (with its alias) of `dispatch`, redirecting to `url`.
    public func clickURL(dispatch: String, index: Int, alias: String?, url: String) -> String {
        "\(baseURL)/c/\(tokens.token(for: TrackedLink(dispatchID: dispatch, linkIndex: index, alias: alias, url: url)))"
    }

    /// The open pixel of `dispatch`.
    public func pixelURL(dispatch: String) -> String {
        "\(baseURL)/o/\(tokens.token(for: TrackedLink(dispatchID: dispatch, linkIndex: nil)))"
    }

    /// The tracked link of link `index` of an SMS, redirecting to `url`.
    public func shortURL(dispatch: String, index: Int, url: String) -> String {
        "\(baseURL)/s/\(tokens.token(for: TrackedLink(dispatchID: dispatch, linkIndex: index, url: url)))"
    }

    /// The one-click unsubscribe URL of `dispatch` (RFC 8058).
    public func unsubscribeURL(dispatch: String) -> String {
        "\(baseURL)/u/\(tokens.token(for: TrackedLink(dispatchID: dispatch, linkIndex: nil, alias: "unsubscribe")))"
    }
}
