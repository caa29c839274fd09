import ConnectorCore
import Crypto
import CurlTransport
import Foundation
import Liquid

/// An HTTP provider described by a YAML file instead of Swift (see
/// `Templates/providers/` and docs/PROVIDERS.md): the request is Liquid templates fed
/// with the message, the dispatch and the configured settings; the answer is classified
/// by rules on status and body.
///
/// ```yaml
/// name: slack-webhook
/// channels: [webhook, sms, push]
/// settings:
///   webhook_url: { required: true, secret: true }
/// request:
///   method: POST
///   url: "{{ settings.webhook_url }}"
///   headers: { Content-Type: application/json }
///   body: '{"text": {{ message.body | as_json_string }}}'
/// response:
///   message_id: { header: X-Slack-Req-Id }
///   rules:
///     - { status: 404, outcome: bad_address }
/// ```
public struct DeclarativeProvider: HTTPProvider {
    /// How the request authenticates.
    public enum Auth: Sendable {
        /// No authentication.
        case none
        /// HTTP basic authentication with the rendered user name and password.
        case basic(username: Template, password: Template)
        /// `Authorization: Bearer` with the rendered token.
        case bearer(Template)
        /// A header of this name with the rendered value (an API key header, say).
        case header(name: String, value: Template)
        /// AWS Signature Version 4 with the rendered credentials and region, for `service`.
        case sigV4(accessKeyID: Template, secretAccessKey: Template, region: Template, service: String)
    }

    /// Where the service's id for the message is.
    public enum MessageID: Sendable {
        /// The service gives none.
        case none
        /// The value of the answer's header of this name.
        case header(String)
        /// A dotted path into a JSON answer (`id`, `messages.0.id`).
        case json([String])
    }

    /// One classification rule: the first that matches decides.
    public struct Rule: Sendable {
        /// The statuses it matches (`404` is `404...404`, `4xx` is `400...499`); empty matches any.
        public var statuses: [ClosedRange<Int>]
        /// A dotted JSON path and the values (as JSON text) it must equal, if given.
        public var json: (path: [String], values: [String])?
        /// Text the answer's body must contain, if given.
        public var bodyContains: String?
        /// The outcome when it matches: `sent`, `retryable`, `permanent`, `bad_address` or
        /// `possibly_sent`.
        public var outcome: String
    }

    /// The configured name, in attempt records.
    public let name: String
    /// The name of the provider file's kind (`slack-webhook`).
    public let kind: String
    /// Whether the service deduplicates by the idempotency key (the file's `deduplicates`;
    /// false by default).
    public let deduplicates: Bool
    /// The channels it carries (the file's `channels`).
    public let channels: [Channel]
    let method: String
    let url: Template
    let headers: [(String, Template)]
    let body: Template?
    let auth: Auth
    let messageID: MessageID
    let rules: [Rule]
    let settings: LiquidValue
    let baseURL: String
    let timeouts: Timeouts?

    /// The request rendered from the file's templates, authenticated as the file says; a
    /// message of a channel it does not carry is an error.
    public func request(for message: OutgoingMessage) throws(ProviderRequestError) -> HTTPRequest {
        guard channels.contains(message.message.channel) else {
            throw ProviderRequestError("\(kind) does not carry \(message.message.channel.rawValue) messages")
        }
        let data = Self.data(message, settings: settings, baseURL: baseURL)
        func render(_ template: Template, _ field: String) throws(ProviderRequestError) -> String {
            do {
                guard let text = try template.render(data).text else { throw ProviderRequestError("\(kind): \(field) aborted") }
                return text
            } catch let error as ProviderRequestError {
                throw error
            } catch {
                throw ProviderRequestError("\(kind): \(field) could not be rendered: \(error)")
            }
        }
        var request = HTTPRequest(method: HTTPMethod(rawValue: method), url: try render(url, "request.url"))
        request.redirects = .none
        request.maxResponseSize = 256 << 10
        request.timeouts = timeouts
        for (name, value) in headers {
            // A header that renders empty is left out (an optional token, say).
            let text = try render(value, "request.headers.\(name)")
            if !text.isEmpty { request.headers.add(name: name, value: text) }
        }
        if let body { request.body = Array(try render(body, "request.body").utf8) }
        switch auth {
        case .none: break
        case .basic(let username, let password):
            request.authentication = .basic(username: try render(username, "auth.username"), password: try render(password, "auth.password"))
        case .bearer(let token): request.authentication = .bearer(try render(token, "auth.token"))
        case .header(let name, let value): request.headers.replaceOrAdd(name: name, value: try render(value, "auth.value"))
        case .sigV4(let key, let secret, let region, let service):
            request.authentication = .awsSigV4(AWSSigV4Credentials(accessKeyID: try render(key, "auth.access_key_id"),
                                                                   secretAccessKey: try render(secret, "auth.secret_access_key"),
                                                                   region: try render(region, "auth.region"), service: service))
        }
        return request
    }

    /// The outcome of the first rule that matches the answer, or
    /// ``standardOutcome(of:messageID:now:)`` when none does; the message id is read as the
    /// file's `message_id` says.
    public func classify(_ response: HTTPResponse, for message: OutgoingMessage) -> ProviderOutcome {
        let json = (try? JSONSerialization.jsonObject(with: Data(response.body), options: [.fragmentsAllowed]))
        let id: String?
        switch messageID {
        case .none: id = nil
        case .header(let name): id = response.headers.first(name: name)
        case .json(let path): id = json.flatMap { Self.lookup($0, path) }.flatMap(Self.text)
        }
        for rule in rules where rule.statuses.isEmpty || rule.statuses.contains(where: { $0.contains(response.status) }) {
            if let contains = rule.bodyContains, !response.bodyText.contains(contains) { continue }
            if let match = rule.json {
                // A missing field reads as null (OneSignal's 200 without an id).
            let value = json.flatMap { Self.lookup($0, match.path) }.flatMap(Self.jsonText) ?? "null"
            guard match.values.contains(value) else { continue }
            }
            let reason = "HTTP \(response.status) (\(kind) rule: \(rule.outcome))"
            switch rule.outcome {
            case "sent": return .sent(providerMessageID: id)
            case "retryable":
                let after = response.headers.first(name: "Retry-After").flatMap { RetryPolicy.retryAfter($0, now: message.sentAt) }
                return .retryable(after: after, reason: reason)
            case "bad_address": return .badAddress(reason: reason)
            case "possibly_sent": return .possiblySent(reason: reason)
            default: return .permanent(reason: reason)
            }
        }
        return standardOutcome(of: response, messageID: id, now: message.sentAt)
    }

    /// `message` (the rendered message's fields), `dispatch` (id, idempotency_key,
    /// idempotency_uuid, user, campaign, channel), `settings` and `base_url`.
    static func data(_ message: OutgoingMessage, settings: LiquidValue, baseURL: String) -> LiquidValue {
        let fields: LiquidValue
        let encoder = deliveryJSONEncoder()
        let encoded: Data?
        switch message.message {
        case .email(let email): encoded = try? encoder.encode(email)
        case .sms(let sms): encoded = try? encoder.encode(sms)
        case .push(let push): encoded = try? encoder.encode(push)
        case .webhook(let hook): encoded = try? encoder.encode(hook)
        case .inAppMessage(let inApp): encoded = try? encoder.encode(inApp)
        case .contentCard(let card): encoded = try? encoder.encode(card)
        case .custom(let custom): encoded = try? encoder.encode(custom)
        }
        fields = encoded.flatMap { try? LiquidValue(json: String(decoding: $0, as: UTF8.self)) } ?? .nil
        let dispatch: LiquidValue = [
            "id": .string(message.dispatch.id), "idempotency_key": .string(message.idempotencyKey),
            "idempotency_uuid": .string(Self.uuid(message.idempotencyKey)),
            "user": .string(message.dispatch.userID.rawValue), "campaign": .string(message.dispatch.followUp.rawValue),
            "channel": .string(message.dispatch.channel.rawValue),
        ]
        return ["message": fields, "dispatch": dispatch, "settings": settings, "base_url": .string(baseURL)]
    }

    /// A name-based UUID (version 5, SHA-1, RFC 9562) of `name`: the same key always gives
    /// the same UUID, for services whose idempotency key must be a UUID (OneSignal).
    static func uuid(_ name: String) -> String {
        // The RFC's URL namespace, 6ba7b811-9dad-11d1-80b4-00c04fd430c8.
        let namespace: [UInt8] = [0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8]
        var bytes = Array(Insecure.SHA1.hash(data: namespace + Array(name.utf8)).prefix(16))
        bytes[6] = (bytes[6] & 0x0F) | 0x50
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    static func lookup(_ json: Any, _ path: [String]) -> Any? {
        var current: Any? = json
        for key in path {
            if let object = current as? [String: Any] {
                current = object[key]
            } else if let array = current as? [Any], let index = Int(key), array.indices.contains(index) {
                current = array[index]
            } else {
                return nil
            }
        }
        return current
    }

    static func text(_ value: Any) -> String? {
        if let text = value as? String { return text }
        if let number = value as? NSNumber { return number.stringValue }
        return nil
    }

    static func jsonText(_ value: Any) -> String? {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.fragmentsAllowed, .sortedKeys]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
