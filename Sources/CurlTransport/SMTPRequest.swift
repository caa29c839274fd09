/// One message to hand to an SMTP server with ``CurlClient/send(_:logger:)``.
///
/// The message is a complete RFC 5322 message (headers, blank line, body) with CRLF
/// line ends; the envelope (``mailFrom``, ``recipients``) is separate from its `From`
/// and `To` headers, as in SMTP itself.
public struct SMTPRequest: Sendable {
    /// The server to connect to.
    public var server: SMTPServer
    /// The envelope sender (`MAIL FROM`), a bare address such as `news@example.com`.
    public var mailFrom: String
    /// The envelope recipients (`RCPT TO`). If the server refuses any, nothing is sent.
    public var recipients: [String]
    /// The RFC 5322 message bytes.
    public var message: [UInt8]
    /// The login, if the server needs `AUTH`.
    public var credentials: SMTPCredentials?
    /// Time limits; `nil` uses the client's defaults.
    public var timeouts: Timeouts?
    /// TLS settings for this request; `nil` uses the client's.
    public var tls: TLSConfiguration?

    /// Creates an SMTP request.
    public init(
        server: SMTPServer,
        mailFrom: String,
        recipients: [String],
        message: [UInt8],
        credentials: SMTPCredentials? = nil,
        timeouts: Timeouts? = nil,
        tls: TLSConfiguration? = nil
    ) {
        self.server = server
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.message = message
        self.credentials = credentials
        self.timeouts = timeouts
        self.tls = tls
    }
}

/// Where and how to reach an SMTP server.
public struct SMTPServer: Sendable, Equatable {
    /// How the connection is protected.
    public enum Security: Sendable, Equatable {
        /// Plain connection upgraded with `STARTTLS`; fails if the server cannot (port 587).
        case startTLSRequired
        /// TLS from the first byte, `smtps` (port 465).
        case implicitTLS
        /// No TLS at all. Only for loopback test servers and trusted relays.
        case none
    }

    /// The host name or IP address (IPv6 without brackets).
    public var host: String
    /// The TCP port.
    public var port: Int
    /// How the connection is protected. Default ``Security/startTLSRequired``.
    public var security: Security
    /// The domain the client names in `EHLO`. Default `localhost`.
    public var ehloDomain: String

    /// Creates a server description.
    public init(host: String, port: Int = 587, security: Security = .startTLSRequired, ehloDomain: String = "localhost") {
        self.host = host
        self.port = port
        self.security = security
        self.ehloDomain = ehloDomain
    }

    /// The libcurl URL: `smtp[s]://host:port/EHLO-DOMAIN`.
    var curlURL: String {
        let scheme = security == .implicitTLS ? "smtps" : "smtp"
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart):\(port)/\(ehloDomain)"
    }
}

/// A user name and password for SMTP `AUTH`. The password never appears in descriptions.
public struct SMTPCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    public var username: String
    public var password: String

    /// Creates credentials.
    public init(username: String, password: String) {
        self.username = username
        self.password = password
    }

    public var description: String { "SMTPCredentials(username: \(username), password: <redacted>)" }
    public var debugDescription: String { description }
}

/// The server's answer to a delivered message.
public struct SMTPResponse: Sendable {
    /// The final reply code, normally 250.
    public var replyCode: Int
    /// The final reply line(s) without the code, for example `OK queued as 12345`.
    public var replyText: String
    /// How long each phase of the transfer took.
    public var timing: TransferTiming

    /// Creates an SMTP response.
    public init(replyCode: Int, replyText: String, timing: TransferTiming = TransferTiming()) {
        self.replyCode = replyCode
        self.replyText = replyText
        self.timing = timing
    }
}
