/// The one error the transport throws.
///
/// ``reason`` says what went wrong in a form without associated values (usable as a
/// metric label); ``detail`` says it for a person; ``isRetryable`` says whether sending
/// the same request again could help; ``requestMayHaveBeenProcessed`` warns that the
/// server may already have acted on it (a retry can then duplicate, unless the
/// provider deduplicates by an idempotency key).
///
/// Descriptions never contain credentials or query strings.
public struct CurlTransportError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public struct Reason: Hashable, Sendable, CustomStringConvertible {
        enum Base: String, Hashable, Sendable {
            case invalidRequest
            case connectionRefused
            case nameResolutionFailed
            case connectTimeout
            case timeoutBeforeRequestSent
            case timeoutAfterRequestSent
            case connectionClosed
            case tlsHandshakeFailed
            case tlsCertificateRejected
            case responseTooLarge
            case tooManyRedirects
            case authenticationFailed
            case smtpRejected
            case protocolError
            case cancelled
            case clientShutdown
            case unknown
        }

        let base: Base

        /// The request was malformed (bad URL, unsupported scheme, a line break in a header).
        public static let invalidRequest = Reason(base: .invalidRequest)
        /// The peer refused the TCP connection. Nothing was sent.
        public static let connectionRefused = Reason(base: .connectionRefused)
        /// The host name could not be resolved.
        public static let nameResolutionFailed = Reason(base: .nameResolutionFailed)
        /// No connection within the connect timeout. Nothing was sent.
        public static let connectTimeout = Reason(base: .connectTimeout)
        /// Timed out before the whole request was sent: the server cannot have acted on it.
        public static let timeoutBeforeRequestSent = Reason(base: .timeoutBeforeRequestSent)
        /// Timed out after the whole request was sent, waiting for the answer: the server
        /// may have acted on it.
        public static let timeoutAfterRequestSent = Reason(base: .timeoutAfterRequestSent)
        /// The connection broke (reset, closed early, nothing received).
        public static let connectionClosed = Reason(base: .connectionClosed)
        /// The TLS handshake failed (often transient).
        public static let tlsHandshakeFailed = Reason(base: .tlsHandshakeFailed)
        /// The peer's certificate was not trusted, or a local certificate/key could not be used.
        public static let tlsCertificateRejected = Reason(base: .tlsCertificateRejected)
        /// The response body exceeded the allowed size.
        public static let responseTooLarge = Reason(base: .responseTooLarge)
        /// More redirects than the policy allows.
        public static let tooManyRedirects = Reason(base: .tooManyRedirects)
        /// The server refused the credentials (SMTP `AUTH`).
        public static let authenticationFailed = Reason(base: .authenticationFailed)
        /// The SMTP server refused the message or a recipient; see ``CurlTransportError/smtpReplyCode``.
        public static let smtpRejected = Reason(base: .smtpRejected)
        /// The peer broke the protocol.
        public static let protocolError = Reason(base: .protocolError)
        /// The calling task was cancelled; the transfer was aborted.
        public static let cancelled = Reason(base: .cancelled)
        /// The client was shut down before the transfer finished.
        public static let clientShutdown = Reason(base: .clientShutdown)
        /// Any other libcurl failure; see ``CurlTransportError/curlCode``.
        public static let unknown = Reason(base: .unknown)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public var reason: Reason
    /// A sentence for a person: what happened and, where known, what to do.
    public var detail: String
    /// The libcurl result code, when libcurl reported the failure.
    public var curlCode: Int?
    /// The SMTP reply code, when an SMTP server refused.
    public var smtpReplyCode: Int?
    /// The request's URL without credentials or query string.
    public var url: String?
    /// Whether the server may already have acted on the request.
    public var requestMayHaveBeenProcessed: Bool

    /// Creates an error.
    public init(
        reason: Reason,
        detail: String,
        curlCode: Int? = nil,
        smtpReplyCode: Int? = nil,
        url: String? = nil,
        requestMayHaveBeenProcessed: Bool = false
    ) {
        self.reason = reason
        self.detail = detail
        self.curlCode = curlCode
        self.smtpReplyCode = smtpReplyCode
        self.url = url
        self.requestMayHaveBeenProcessed = requestMayHaveBeenProcessed
    }

    /// Whether sending the same request again could succeed.
    ///
    /// True for refused connections, name resolution, timeouts, broken connections,
    /// TLS handshake failures and SMTP 4xx replies; false for invalid requests,
    /// untrusted certificates, oversize responses, redirect loops, authentication
    /// failures, SMTP 5xx replies, cancellation and shutdown.
    public var isRetryable: Bool {
        switch reason.base {
        case .connectionRefused, .nameResolutionFailed, .connectTimeout,
             .timeoutBeforeRequestSent, .timeoutAfterRequestSent, .connectionClosed,
             .tlsHandshakeFailed:
            return true
        case .smtpRejected:
            return (smtpReplyCode ?? 500) < 500
        case .invalidRequest, .tlsCertificateRejected, .responseTooLarge, .tooManyRedirects,
             .authenticationFailed, .protocolError, .cancelled, .clientShutdown, .unknown:
            return false
        }
    }

    public var description: String {
        var text = "CurlTransportError.\(reason): \(detail)"
        if let url { text += " [url: \(url)]" }
        if let curlCode { text += " [curl code \(curlCode)]" }
        if requestMayHaveBeenProcessed { text += " [the server may have processed the request]" }
        return text
    }
}

extension CurlTransportError {
    /// A URL with user info and query removed, safe for logs and errors.
    static func redact(_ url: String) -> String {
        var text = Substring(url)
        if let q = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = text[..<q] }
        if let schemeEnd = text.range(of: "://") {
            let authorityStart = schemeEnd.upperBound
            let rest = text[authorityStart...]
            let authorityEnd = rest.firstIndex(of: "/") ?? rest.endIndex
            if let at = rest[..<authorityEnd].lastIndex(of: "@") {
                text = text[..<authorityStart] + text[text.index(after: at)...]
            }
        }
        return String(text)
    }
}
