import ConnectorCore
import Foundation

/// A provider's event webhook call as it arrived: verification runs over these exact bytes.
public struct WebhookRequest: Sendable {
    /// The full URL the provider called (Twilio signs it).
    public var url: String
    /// The headers as received, in order.
    public var headers: [(name: String, value: String)]
    /// The body's exact bytes, which signatures cover.
    public var body: Data

    /// A call as it arrived.
    ///
    /// - Parameters:
    ///   - url: the full URL the provider called.
    ///   - headers: the headers, in order.
    ///   - body: the body's exact bytes.
    public init(url: String, headers: [(name: String, value: String)], body: Data) {
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// The first header of that name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// Why a webhook call was refused. The service answers 401 (or 400) and records nothing.
public struct WebhookVerificationError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why a call was refused, as a stable code.
    public enum Code: String, Sendable {
        /// The signature (or the credentials) do not match.
        case badSignature = "bad_signature"
        /// The signed timestamp is too old (a replay) or too far in the future.
        case stale
        /// The body is not what the provider sends.
        case malformed
    }

    /// Why it was refused.
    public var code: Code
    /// What is wrong, for logs and people.
    public var message: String

    /// A refusal.
    ///
    /// - Parameters:
    ///   - code: why the call was refused.
    ///   - message: what is wrong.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// `code: message`.
    public var description: String { "\(code.rawValue): \(message)" }
}

/// What a provider reports about a message it was handed.
public struct ProviderEvent: Sendable, Equatable {
    /// What happened to the message.
    public enum Kind: String, Sendable {
        /// It reached the recipient's mail server or phone.
        case delivered
        /// The recipient opened the email.
        case opened
        /// The recipient clicked a link of the email (``ProviderEvent/url``).
        case clicked
        /// A hard bounce: the address does not take mail (a soft bounce is not one).
        case bounced
        /// The recipient marked it as spam.
        case complained
        /// The recipient unsubscribed (or replied STOP to a text message).
        case unsubscribed
        /// It was not delivered and will not be: a dead phone number, or a message the service
        /// dropped.
        case failed
    }

    /// The provider's id for this event (deduplication).
    public var id: String
    /// What happened.
    public var kind: Kind
    /// The dispatch the connector sent, from the field the provider echoes back.
    public var dispatchID: String?
    /// The service's id for the message, if the event carries it.
    public var providerMessageID: String?
    /// The address the message went to, if the event carries it.
    public var recipient: String?
    /// The clicked URL.
    public var url: String?
    /// When it happened, by the service's clock (the time of the call when the event has none).
    public var time: Date

    /// An event.
    ///
    /// - Parameters:
    ///   - id: the provider's id for the event (deduplication).
    ///   - kind: what happened.
    ///   - dispatchID: the dispatch, from the field the provider echoes back; nil if absent.
    ///   - providerMessageID: the service's id for the message, if known.
    ///   - recipient: the address the message went to, if known.
    ///   - url: the clicked URL, for a click.
    ///   - time: when it happened.
    public init(id: String, kind: Kind, dispatchID: String?, providerMessageID: String? = nil, recipient: String? = nil,
                url: String? = nil, time: Date) {
        self.id = id
        self.kind = kind
        self.dispatchID = dispatchID
        self.providerMessageID = providerMessageID
        self.recipient = recipient
        self.url = url
        self.time = time
    }

    /// Whether the address must not be sent to again (a hard bounce, a complaint, an
    /// unsubscribe, a permanently failed SMS).
    public var suppresses: Bool { kind == .bounced || kind == .complained || kind == .unsubscribed || kind == .failed }

    /// The interaction this event is for `dispatch` (R23), or nil when it is none:
    /// delivered is the `*_received` receipt, with the id the dispatcher's own receipt
    /// has, so the two are one event (R25); opened and clicked are email interactions.
    public func interaction(for dispatch: Dispatch, provider: String) -> Event? {
        let kind: InteractionKind
        var id = "\(provider):\(self.id)"
        var detail: String?
        switch (self.kind, dispatch.channel) {
        case (.delivered, .email): kind = .emailReceived
        case (.delivered, .sms): kind = .smsReceived
        case (.opened, .email): kind = .emailOpened
        case (.clicked, .email):
            kind = .emailClicked
            detail = url
        default: return nil
        }
        if kind == .emailReceived || kind == .smsReceived { id = "rcpt_" + dispatch.id }
        return Event(id: EventID(id), userID: dispatch.userID, time: time,
                     payload: .interaction(Interaction(kind: kind, campaign: dispatch.followUp, detail: detail)))
    }
}

/// Verifies and reads one provider's event webhook.
public protocol EventWebhook: Sendable {
    /// The events of a call, after checking that the provider made it.
    func events(from request: WebhookRequest, now: Date) throws(WebhookVerificationError) -> [ProviderEvent]
}

/// Byte-wise comparison that takes the same time wherever the first difference is.
func constantTimeEquals<A: Collection, B: Collection>(_ a: A, _ b: B) -> Bool where A.Element == UInt8, B.Element == UInt8 {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}

/// The JSON object of a body, or a malformed error.
func jsonObject(_ body: Data) throws(WebhookVerificationError) -> Any {
    do {
        return try JSONSerialization.jsonObject(with: body)
    } catch {
        throw WebhookVerificationError(.malformed, "the body is not JSON")
    }
}

func hex(_ bytes: some Sequence<UInt8>) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// An RFC 3339 time as providers write it, with or without fractional seconds.
func providerTime(_ text: String?) -> Date? {
    guard let text else { return nil }
    let formatter = ISO8601DateFormatter()
    if let date = formatter.date(from: text) { return date }
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    return formatter.date(from: text)
}
