import ConnectorCore
import Foundation

/// A provider's event webhook call as it arrived: verification runs over these exact bytes.
public struct WebhookRequest: Sendable {
    /// The full URL the provider called (Twilio signs it).
    public var url: String
    public var headers: [(name: String, value: String)]
    public var body: Data

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
    public enum Code: String, Sendable {
        /// The signature (or the credentials) do not match.
        case badSignature = "bad_signature"
        /// The signed timestamp is too old (a replay) or too far in the future.
        case stale
        /// The body is not what the provider sends.
        case malformed
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}

/// What a provider reports about a message it was handed.
public struct ProviderEvent: Sendable, Equatable {
    public enum Kind: String, Sendable {
        case delivered, opened, clicked, bounced, complained, unsubscribed, failed
    }

    /// The provider's id for this event (deduplication).
    public var id: String
    public var kind: Kind
    /// The dispatch the connector sent, from the field the provider echoes back.
    public var dispatchID: String?
    public var providerMessageID: String?
    public var recipient: String?
    /// The clicked URL.
    public var url: String?
    public var time: Date

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
