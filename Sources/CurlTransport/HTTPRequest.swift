/// An HTTP request to send with ``CurlClient/execute(_:logger:)``.
///
/// Only `http` and `https` URLs are accepted. Header names and values must not contain
/// line breaks (the client refuses them rather than let a template inject headers).
public struct HTTPRequest: Sendable {
    /// The request method. Default `GET`.
    public var method: HTTPMethod
    /// The absolute `http` or `https` URL.
    public var url: String
    /// The header fields, sent in order. libcurl adds `Host`, `Content-Length` and, for
    /// HTTP/2, the pseudo-headers; a `Content-Type` is sent only when given here.
    public var headers: HTTPHeaders
    /// The body bytes, or `nil` for none. Any method may carry a body.
    public var body: [UInt8]?
    /// Time limits; `nil` uses the client's defaults.
    public var timeouts: Timeouts?
    /// Which HTTP version to use. Default ``HTTPVersionPreference/http2`` (HTTP/2 over
    /// TLS when the server offers it, else HTTP/1.1).
    public var httpVersion: HTTPVersionPreference
    /// How the request authenticates, if at all.
    public var authentication: HTTPAuthentication?
    /// Whether redirects are followed. Default ``RedirectPolicy/none``: a webhook or
    /// provider call must not be sent on to wherever a 3xx points.
    public var redirects: RedirectPolicy
    /// The largest response body accepted; `nil` uses the client's limit.
    public var maxResponseSize: Int?
    /// TLS settings for this request; `nil` uses the client's.
    public var tls: TLSConfiguration?

    /// Creates a request.
    public init(
        method: HTTPMethod = .get,
        url: String,
        headers: HTTPHeaders = [:],
        body: [UInt8]? = nil,
        timeouts: Timeouts? = nil,
        httpVersion: HTTPVersionPreference = .http2,
        authentication: HTTPAuthentication? = nil,
        redirects: RedirectPolicy = .none,
        maxResponseSize: Int? = nil,
        tls: TLSConfiguration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.httpVersion = httpVersion
        self.authentication = authentication
        self.redirects = redirects
        self.maxResponseSize = maxResponseSize
        self.tls = tls
    }
}

/// Whether a client follows HTTP redirects.
public enum RedirectPolicy: Sendable, Equatable {
    /// Return the 3xx response as it is.
    case none
    /// Follow up to `max` redirects, to `http` and `https` URLs only.
    case follow(max: Int)
}
