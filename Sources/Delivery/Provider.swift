import ConnectorCore
import ConnectorStore
import CurlTransport
import Foundation
import Logging

/// How a provider's try at sending ended.
public enum ProviderOutcome: Sendable, Equatable {
    /// Accepted (R22), with the service's id for the message if it gave one.
    case sent(providerMessageID: String?)
    /// Not sent, worth trying again (after `after` seconds if the service said so).
    case retryable(after: TimeInterval?, reason: String)
    /// Not sent and never will be as it is (a refused payload, bad credentials).
    case permanent(reason: String)
    /// The address is bad (bounced, invalid number, dead push token): suppress it.
    case badAddress(reason: String)
    /// The service may have acted on the request, but the answer was lost. A resend
    /// could deliver twice unless the provider deduplicates.
    case possiblySent(reason: String)

    /// A stable code for metrics and attempt records.
    public var code: String {
        switch self {
        case .sent: return "sent"
        case .retryable: return "retryable"
        case .permanent: return "permanent"
        case .badAddress: return "bad_address"
        case .possiblySent: return "possibly_sent"
        }
    }
}

/// One try's result: the outcome and what the attempt record keeps.
public struct ProviderResult: Sendable, Equatable {
    /// How the try ended.
    public var outcome: ProviderOutcome
    /// The HTTP status or SMTP reply code, if the service answered.
    public var statusCode: Int?

    /// A try's result.
    ///
    /// - Parameters:
    ///   - outcome: how the try ended.
    ///   - statusCode: the HTTP status or SMTP reply code, if the service answered.
    public init(_ outcome: ProviderOutcome, statusCode: Int? = nil) {
        self.outcome = outcome
        self.statusCode = statusCode
    }
}

/// A message on its way: the rendered message and the dispatch it belongs to.
public struct OutgoingMessage: Sendable {
    /// The rendered message to send.
    public var message: ChannelMessage
    /// The dispatch it belongs to: its id, user, campaign, channel and idempotency key.
    public var dispatch: Dispatch
    /// The time of this try on the dispatcher's clock: for timestamps and signatures, and
    /// to read a `Retry-After` date against.
    public var sentAt: Date
    /// The dispatch's idempotency key (R25): providers that honour one send it.
    public var idempotencyKey: String { dispatch.idempotencyKey }

    /// A message on its way.
    ///
    /// - Parameters:
    ///   - message: the rendered message.
    ///   - dispatch: the dispatch it belongs to.
    ///   - sentAt: the time of this try, on the dispatcher's clock.
    public init(message: ChannelMessage, dispatch: Dispatch, sentAt: Date) {
        self.message = message
        self.dispatch = dispatch
        self.sentAt = sentAt
    }
}

/// What providers send with: the HTTP/SMTP client, the store (for providers that keep
/// messages), the clock and the logger.
public struct ProviderContext: Sendable {
    /// The shared libcurl client, for HTTP requests and SMTP sends.
    public var client: CurlClient
    /// The store, for providers that keep messages (the sandbox and the feed).
    public var store: any Store
    /// The dispatcher's clock.
    public var now: @Sendable () -> Date
    /// The dispatcher's logger (keep secrets and message bodies out of it).
    public var logger: Logger

    /// What providers send with.
    ///
    /// - Parameters:
    ///   - client: the shared libcurl client.
    ///   - store: the store.
    ///   - now: the clock; the system's by default.
    ///   - logger: the logger; one labelled `delivery` by default.
    public init(client: CurlClient, store: any Store, now: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "delivery")) {
        self.client = client
        self.store = store
        self.now = now
        self.logger = logger
    }
}

/// Sends channel messages through one service.
///
/// An HTTP service is easiest as an ``HTTPProvider``: build the request, classify the
/// response. Implement ``send(_:context:)`` directly for anything else (SMTP, a store).
public protocol Provider: Sendable {
    /// The configured name (`sendgrid`, `webhook-crm`), in attempt records and logs.
    var name: String { get }
    /// Whether the service deduplicates by the idempotency key, so that a send whose
    /// outcome was lost (a crash, a timeout after the request) can safely be sent again.
    var deduplicates: Bool { get }
    /// Sends one message. Never throws: every failure is an outcome.
    func send(_ message: OutgoingMessage, context: ProviderContext) async -> ProviderResult
}

/// A provider that speaks HTTP: one request per message, one classified answer.
public protocol HTTPProvider: Provider {
    /// The request for `message`. Throw ``ProviderRequestError`` for a message this
    /// service cannot carry (it becomes a permanent outcome).
    func request(for message: OutgoingMessage) throws(ProviderRequestError) -> HTTPRequest
    /// What the service's answer means.
    func classify(_ response: HTTPResponse, for message: OutgoingMessage) -> ProviderOutcome
}

/// A message the provider cannot build a request for (a missing field, a wrong channel).
public struct ProviderRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What is wrong; it becomes the permanent outcome's reason.
    public var message: String
    /// An error saying `message`.
    public init(_ message: String) { self.message = message }
    /// The ``message``.
    public var description: String { message }
}

extension HTTPProvider {
    /// Builds the request, executes it with the context's client and classifies the answer.
    /// A request that cannot be built is permanent; a failure in transit is retryable or
    /// permanent, or possibly sent when the request may have reached a service that does
    /// not deduplicate.
    public func send(_ message: OutgoingMessage, context: ProviderContext) async -> ProviderResult {
        let request: HTTPRequest
        do {
            request = try self.request(for: message)
        } catch {
            return ProviderResult(.permanent(reason: error.message))
        }
        do {
            let response = try await context.client.execute(request)
            return ProviderResult(classify(response, for: message), statusCode: response.status)
        } catch {
            return ProviderResult(transportOutcome(error, deduplicates: deduplicates))
        }
    }
}

/// The usual meaning of HTTP statuses for a JSON API: 2xx sent, 408/425/429/5xx
/// retryable (with `Retry-After`, read against `now`), other 4xx permanent.
public func standardOutcome(of response: HTTPResponse, messageID: String? = nil, now: Date) -> ProviderOutcome {
    switch response.status {
    case 200..<300: return .sent(providerMessageID: messageID)
    case 408, 425, 429, 500..<600:
        let after = response.headers.first(name: "Retry-After").flatMap { RetryPolicy.retryAfter($0, now: now) }
        return .retryable(after: after, reason: "HTTP \(response.status)")
    default: return .permanent(reason: "HTTP \(response.status)")
    }
}
