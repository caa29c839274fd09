/// Which HTTP version a request should use.
public enum HTTPVersionPreference: Sendable, Equatable {
    /// HTTP/1.1 only.
    case http1_1
    /// HTTP/2 when TLS negotiates it through ALPN, else HTTP/1.1 (libcurl's default).
    case http2
    /// HTTP/2 without TLS and without an upgrade ("h2c with prior knowledge"), or over
    /// TLS without falling back. For peers known to speak HTTP/2.
    case http2PriorKnowledge
}

/// The HTTP version a response arrived with.
public enum HTTPVersion: Sendable, Equatable, CustomStringConvertible {
    case http1_0
    case http1_1
    case http2
    case http3
    /// A version libcurl reported that this library does not name.
    case unknown(Int)

    init(curlValue: Int) {
        switch curlValue {
        case 1: self = .http1_0
        case 2: self = .http1_1
        case 3: self = .http2
        case 30: self = .http3
        default: self = .unknown(curlValue)
        }
    }

    public var description: String {
        switch self {
        case .http1_0: return "HTTP/1.0"
        case .http1_1: return "HTTP/1.1"
        case .http2: return "HTTP/2"
        case .http3: return "HTTP/3"
        case .unknown(let value): return "HTTP/unknown(\(value))"
        }
    }
}
