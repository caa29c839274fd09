import ConnectorCore
import Crypto
import CurlTransport
import Foundation
import Synchronization

/// Apple Push Notification service over HTTP/2 with a provider token (ES256 JWT signed
/// with the team's .p8 key, `{"alg":"ES256","kid":KEY_ID}` / `{"iss":TEAM_ID,"iat":...}`).
/// The token is minted once and reused for 40 minutes (Apple refuses tokens older than
/// an hour and throttles ones renewed more often than every 20 minutes); a 403
/// `ExpiredProviderToken` mints a new one and retries once.
///
/// The payload: `aps.alert` (title, subtitle, body), sound, badge, category (the app's
/// registered actions for the buttons), `mutable-content` when there is an image or story
/// pages (a notification service extension shows them), `thread-id` from the collapse id;
/// custom keys `dispatch_id`, `deep_link`, `image`, `buttons`, `story_pages` and the
/// message's data; the campaign's `apns` fields are merged last. `apns-id` is a UUID
/// derived from the dispatch, which APNs reports back.
///
/// Answers: 200 sent; 410 `Unregistered`, 400 `BadDeviceToken`/`DeviceTokenNotForTopic` a
/// bad address; 429, 500, 503 retryable; others permanent.
public struct APNsProvider: Provider {
    /// Which APNs servers it sends to by default.
    public enum Environment: String, Sendable {
        /// `https://api.push.apple.com`, for apps not signed for development (the default).
        case production
        /// `https://api.sandbox.push.apple.com`, for development builds.
        case sandbox
    }

    /// The configured name, in attempt records.
    public let name: String
    /// Always false: a resend could notify twice.
    public var deduplicates: Bool { false }
    let teamID: String
    let keyID: String
    /// The key's raw bytes (the key type is not Sendable here; one is made per mint).
    let keyBytes: Data
    let topic: String
    let baseURL: String
    let httpVersion: HTTPVersionPreference
    let tls: TLSConfiguration?
    let timeouts: Timeouts?
    let tokens: ProviderTokenCache

    /// - Parameters:
    ///   - name: the configured name, in attempt records.
    ///   - teamID: the Apple developer team id (the token's `iss`).
    ///   - keyID: the signing key's id (the token's `kid`).
    ///   - privateKey: the .p8 file's PEM (`-----BEGIN PRIVATE KEY-----`).
    ///   - topic: the app's bundle id.
    ///   - environment: production or sandbox (picks the default base URL).
    ///   - baseURL: default `https://api.push.apple.com` (sandbox: `https://api.sandbox.push.apple.com`).
    ///   - httpVersion: HTTP/2 (APNs needs it; h2c prior knowledge only for tests).
    ///   - tls: a CA bundle or client certificate, if not the system's.
    ///   - timeouts: connect and total timeouts of each request.
    public init(name: String = "apns", teamID: String, keyID: String, privateKey: String, topic: String, environment: Environment = .production,
                baseURL: String? = nil, httpVersion: HTTPVersionPreference = .http2, tls: TLSConfiguration? = nil,
                timeouts: Timeouts? = nil) throws(ProviderRequestError) {
        guard let key = try? P256.Signing.PrivateKey(pemRepresentation: privateKey) else {
            throw ProviderRequestError("the APNs key is not a PEM P-256 private key (the .p8 file's contents)")
        }
        self.name = name
        self.teamID = teamID
        self.keyID = keyID
        keyBytes = key.rawRepresentation
        self.topic = topic
        self.baseURL = DeclarativeProviderFile.trimmed(baseURL ?? (environment == .production ? "https://api.push.apple.com" : "https://api.sandbox.push.apple.com"))
        self.httpVersion = httpVersion
        self.tls = tls
        self.timeouts = timeouts
        tokens = ProviderTokenCache(lifetime: 40 * 60)
    }

    /// A provider token issued at `now`.
    func mint(at now: Date) -> String {
        let header = #"{"alg":"ES256","kid":"\#(keyID)"}"#
        let claims = #"{"iss":"\#(teamID)","iat":\#(Int(now.timeIntervalSince1970))}"#
        let signingInput = base64URL(Data(header.utf8)) + "." + base64URL(Data(claims.utf8))
        // ES256 in a JWT is the raw r || s, not DER.
        let key = try? P256.Signing.PrivateKey(rawRepresentation: keyBytes)
        let signature = (try? key?.signature(for: Data(signingInput.utf8)).rawRepresentation) ?? Data()
        return signingInput + "." + base64URL(signature)
    }

    func payload(_ push: PushMessage, dispatch: Dispatch) throws(ProviderRequestError) -> Data {
        var alert: [String: Any] = ["body": push.body]
        if let title = push.title { alert["title"] = title }
        if let subtitle = push.subtitle { alert["subtitle"] = subtitle }
        var aps: [String: Any] = ["alert": alert]
        if let sound = push.sound { aps["sound"] = sound }
        if let badge = push.badge { aps["badge"] = badge }
        if let category = push.category { aps["category"] = category }
        if let collapse = push.collapseID { aps["thread-id"] = collapse }
        if push.image != nil || !push.storyPages.isEmpty { aps["mutable-content"] = 1 }
        var body: [String: Any] = ["aps": aps, "dispatch_id": dispatch.id]
        if let link = push.deepLink { body["deep_link"] = link }
        if let image = push.image { body["image"] = image }
        if !push.buttons.isEmpty { body["buttons"] = push.buttons.map(Self.button) }
        if !push.storyPages.isEmpty {
            body["story_pages"] = push.storyPages.map { page -> [String: Any] in
                var item: [String: Any] = ["image": page.image]
                if let title = page.title { item["title"] = title }
                if let text = page.body { item["body"] = text }
                if let link = page.deepLink { item["deep_link"] = link }
                return item
            }
        }
        for (key, value) in push.data where key != "aps" { body[key] = value }
        for (key, value) in push.apns {
            // `aps` fields merge into aps; other keys replace.
            if key == "aps", case .object(let fields) = value {
                for (name, field) in fields { aps[name] = field.foundationValue }
                body["aps"] = aps
            } else {
                body[key] = value.foundationValue
            }
        }
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw ProviderRequestError("the payload could not be encoded: \(error)")
        }
        guard data.count <= 4096 else { throw ProviderRequestError("the payload is \(data.count) bytes; APNs takes at most 4096") }
        return data
    }

    static func button(_ button: RenderedButton) -> [String: Any] {
        var item: [String: Any] = ["id": button.id, "text": button.text]
        switch button.action {
        case .deepLink(let link): item["deep_link"] = link
        case .url(let link): item["url"] = link
        case .close: item["close"] = true
        }
        return item
    }

    func request(for message: OutgoingMessage, token: String) throws(ProviderRequestError) -> HTTPRequest {
        guard case .push(let push) = message.message else { throw ProviderRequestError("APNs sends push, not \(message.message.channel.rawValue)") }
        let device = push.token.lowercased()
        guard !device.isEmpty, device.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            throw ProviderRequestError("the device token is not hexadecimal")
        }
        var headers: HTTPHeaders = [
            "authorization": "bearer \(token)", "apns-topic": topic, "apns-push-type": "alert",
            "apns-priority": push.priority == .high ? "10" : "5",
            "apns-id": DeclarativeProvider.uuid(message.dispatch.id),
            "content-type": "application/json",
        ]
        headers.add(name: "apns-expiration", value: push.timeToLive.map { String(Int(message.sentAt.timeIntervalSince1970) + $0) } ?? "0")
        if let collapse = push.collapseID { headers.add(name: "apns-collapse-id", value: String(collapse.prefix(64))) }
        return HTTPRequest(method: .post, url: "\(baseURL)/3/device/\(device)", headers: headers,
                           body: Array(try payload(push, dispatch: message.dispatch)), timeouts: timeouts, httpVersion: httpVersion,
                           maxResponseSize: 64 << 10, tls: tls)
    }

    /// Sends with the cached provider token; a 403 `ExpiredProviderToken` mints a new one and
    /// sends once more.
    public func send(_ message: OutgoingMessage, context: ProviderContext) async -> ProviderResult {
        var renewed = false
        while true {
            let token = tokens.token(at: message.sentAt) { mint(at: message.sentAt) }
            let request: HTTPRequest
            do {
                request = try self.request(for: message, token: token)
            } catch {
                return ProviderResult(.permanent(reason: error.message))
            }
            let response: HTTPResponse
            do {
                response = try await context.client.execute(request)
            } catch {
                return ProviderResult(transportOutcome(error, deduplicates: deduplicates))
            }
            let reason = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["reason"] as? String ?? ""
            if response.status == 403, reason == "ExpiredProviderToken", !renewed {
                tokens.discard(token)
                renewed = true
                continue
            }
            return ProviderResult(classify(response, reason: reason, at: message.sentAt), statusCode: response.status)
        }
    }

    func classify(_ response: HTTPResponse, reason: String, at now: Date) -> ProviderOutcome {
        let text = "HTTP \(response.status) \(reason)"
        switch response.status {
        case 200: return .sent(providerMessageID: response.headers.first(name: "apns-id"))
        case 410: return .badAddress(reason: text)
        case 400 where reason == "BadDeviceToken" || reason == "DeviceTokenNotForTopic": return .badAddress(reason: text)
        case 429, 500, 503:
            return .retryable(after: response.headers.first(name: "Retry-After").flatMap { RetryPolicy.retryAfter($0, now: now) }, reason: text)
        default: return .permanent(reason: text)
        }
    }
}

/// A bearer token minted on demand and shared until it ages out; one caller mints while
/// the others wait on the lock, so many sends at once make one token.
final class ProviderTokenCache: Sendable {
    private let state = Mutex<(token: String, issued: Date)?>(nil)
    let lifetime: TimeInterval

    init(lifetime: TimeInterval) { self.lifetime = lifetime }

    func token(at now: Date, mint: () -> String) -> String {
        state.withLock { current in
            if let current, now.timeIntervalSince(current.issued) < lifetime, now >= current.issued { return current.token }
            let token = mint()
            current = (token, now)
            return token
        }
    }

    /// Forgets `token` (the service refused it), unless another caller already replaced it.
    func discard(_ token: String) {
        state.withLock { current in
            if current?.token == token { current = nil }
        }
    }
}

func base64URL(_ data: Data) -> String { TrackingTokens.base64URL(data) }

/// What a transport failure means for a provider that sends by itself.
func transportOutcome(_ error: CurlTransportError, deduplicates: Bool) -> ProviderOutcome {
    if error.requestMayHaveBeenProcessed && !deduplicates {
        return .possiblySent(reason: "\(error.reason): the request went out but no answer came back")
    }
    if error.isRetryable { return .retryable(after: nil, reason: "\(error.reason)") }
    return .permanent(reason: "\(error.reason)")
}

extension AttributeValue {
    /// The value as JSONSerialization takes it.
    var foundationValue: Any {
        switch self {
        case .null: return NSNull()
        case .bool(let flag): return flag
        case .number(let number): return number.rounded() == number && abs(number) < 9e15 ? Int(number) as Any : number
        case .string(let text): return text
        case .array(let items): return items.map(\.foundationValue)
        case .object(let fields): return fields.mapValues(\.foundationValue)
        }
    }
}
