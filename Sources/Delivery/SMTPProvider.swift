import ConnectorCore
import CurlTransport
import Foundation

/// Sends email through an SMTP server (STARTTLS by default) as an RFC 5322 / MIME message
/// built by ``MIMEMessage``: multipart/alternative text and HTML, encoded-word headers,
/// `Message-ID` from the dispatch, `List-Unsubscribe` with one-click `List-Unsubscribe-Post`.
///
/// Reply codes: 2xx sent; 550, 551, 553 and 5.1.x bad address; other 5xx permanent; 4xx
/// and connection failures retryable; a timeout after the data was sent possibly sent.
public struct SMTPProvider: Provider {
    /// The configured name, in attempt records.
    public let name: String
    /// Always false: SMTP servers do not deduplicate by the idempotency key.
    public var deduplicates: Bool { false }
    let server: SMTPServer
    let credentials: SMTPCredentials?
    /// The sender when the campaign names none.
    let defaultFrom: MIMEMessage.Mailbox?
    let tls: TLSConfiguration?
    let timeouts: Timeouts?

    /// An SMTP provider.
    ///
    /// - Parameters:
    ///   - name: the configured name, in attempt records.
    ///   - server: the SMTP server: host, port, security and EHLO domain.
    ///   - credentials: the login, if the server needs one.
    ///   - defaultFrom: the sender when the campaign names none.
    ///   - tls: a CA bundle or client certificate, if not the system's.
    ///   - timeouts: connect and total timeouts of each send.
    public init(name: String = "smtp", server: SMTPServer, credentials: SMTPCredentials? = nil, defaultFrom: MIMEMessage.Mailbox? = nil,
                tls: TLSConfiguration? = nil, timeouts: Timeouts? = nil) {
        self.name = name
        self.server = server
        self.credentials = credentials
        self.defaultFrom = defaultFrom
        self.tls = tls
        self.timeouts = timeouts
    }

    /// The message's bytes and envelope sender.
    public func mime(for message: OutgoingMessage, date: Date) throws(MIMEError) -> (from: String, bytes: Data) {
        guard case .email(let email) = message.message else {
            throw MIMEError(code: "wrong_channel", message: "the SMTP provider sends email, not \(message.message.channel.rawValue)")
        }
        let from: MIMEMessage.Mailbox
        if !email.fromAddress.isEmpty {
            from = MIMEMessage.Mailbox(name: email.fromName ?? defaultFrom?.name, address: email.fromAddress)
        } else if let defaultFrom {
            from = MIMEMessage.Mailbox(name: email.fromName ?? defaultFrom.name, address: defaultFrom.address)
        } else {
            throw MIMEError(code: "bad_address", message: "no sender: give the campaign a from address or the provider a from")
        }
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "localhost"
        let mime = MIMEMessage(
            from: from, to: [MIMEMessage.Mailbox(address: email.to)], replyTo: email.replyTo.map { MIMEMessage.Mailbox(address: $0) },
            subject: email.subject, html: email.html, text: email.text,
            headers: email.headers.map { ($0.name, $0.value) } + [("X-Dispatch-ID", message.dispatch.id)],
            listUnsubscribe: email.listUnsubscribe, oneClickUnsubscribe: email.listUnsubscribe?.hasPrefix("https://") == true,
            messageID: "\(message.dispatch.id)@\(domain)", date: date)
        return (from.address, try mime.rendered())
    }

    /// Sends the MIME message to the recipient; sent with the `Message-ID` as the message id,
    /// or the reply code classified.
    public func send(_ message: OutgoingMessage, context: ProviderContext) async -> ProviderResult {
        let built: (from: String, bytes: Data)
        do {
            built = try mime(for: message, date: message.sentAt)
        } catch {
            return ProviderResult(error.code == "bad_address" && error.message.contains("To") ? .badAddress(reason: error.description) : .permanent(reason: error.description))
        }
        guard case .email(let email) = message.message else { return ProviderResult(.permanent(reason: "not an email")) }
        let request = SMTPRequest(server: server, mailFrom: built.from, recipients: [email.to], message: Array(built.bytes),
                                  credentials: credentials, timeouts: timeouts, tls: tls)
        do {
            let response = try await context.client.send(request, logger: context.logger)
            let domain = built.from.split(separator: "@").last.map(String.init) ?? "localhost"
            return ProviderResult(.sent(providerMessageID: "<\(message.dispatch.id)@\(domain)>"), statusCode: response.replyCode)
        } catch {
            return ProviderResult(Self.outcome(of: error), statusCode: error.smtpReplyCode)
        }
    }

    static func outcome(of error: CurlTransportError) -> ProviderOutcome {
        if let code = error.smtpReplyCode {
            switch code {
            case 550, 551, 553: return .badAddress(reason: "SMTP \(code): \(error.detail)")
            case 500..<600: return .permanent(reason: "SMTP \(code): \(error.detail)")
            default: return .retryable(after: nil, reason: "SMTP \(code): \(error.detail)")
            }
        }
        if error.reason == .authenticationFailed { return .permanent(reason: "the SMTP server refused the credentials") }
        if error.requestMayHaveBeenProcessed { return .possiblySent(reason: "\(error.reason): the message went out but no answer came back") }
        if error.isRetryable { return .retryable(after: nil, reason: "\(error.reason)") }
        return .permanent(reason: "\(error.reason)")
    }
}
