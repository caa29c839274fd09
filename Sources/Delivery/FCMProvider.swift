import _CryptoExtras
import ConnectorCore
import Crypto
import CurlTransport
import Foundation
import Synchronization

/// Firebase Cloud Messaging HTTP v1 (`POST /v1/projects/{project}/messages:send`) with an
/// OAuth 2 access token obtained from the service account: a JWT (RS256,
/// `{"alg":"RS256","typ":"JWT","kid":private_key_id}`, claims iss, scope, aud, iat, exp)
/// exchanged at the account's `token_uri`. The token is fetched by one task however many
/// sends need it at once, reused until five minutes before it expires, and refreshed
/// once when FCM answers 401.
///
/// The message: `token`, `notification` (title, body, image), `data` (string values:
/// `dispatch_id`, `deep_link`, `buttons` and `story_pages` as JSON, the message's data),
/// `android` (ttl, priority, collapse key, sound, tag) and `apns` (headers and aps for iOS
/// devices reached through FCM); the campaign's `fcm` fields are merged into `message`.
///
/// Answers: 200 sent (`name`); 404 `UNREGISTERED`, and 400 `INVALID_ARGUMENT` about the
/// token, a bad address; 429, 500, 503 retryable; the rest permanent.
public struct FCMProvider: Provider {
    /// The fields of a service account JSON file that FCM needs.
    public struct ServiceAccount: Sendable, Decodable {
        /// The Firebase project id (`project_id`).
        public var projectID: String
        /// The account's email (`client_email`), the token's issuer.
        public var clientEmail: String
        /// The account's RSA private key, PEM (`private_key`).
        public var privateKey: String
        /// The key's id (`private_key_id`).
        public var privateKeyID: String
        /// Where access tokens are obtained (`token_uri`).
        public var tokenURI: String

        enum CodingKeys: String, CodingKey {
            case projectID = "project_id", clientEmail = "client_email", privateKey = "private_key", privateKeyID = "private_key_id"
            case tokenURI = "token_uri"
        }

        /// Reads a service account JSON document.
        public init(json: Data) throws(ProviderRequestError) {
            do {
                self = try JSONDecoder().decode(ServiceAccount.self, from: json)
            } catch {
                throw ProviderRequestError("not a service account JSON file (project_id, client_email, private_key, private_key_id, token_uri)")
            }
        }
    }

    /// The configured name, in attempt records.
    public let name: String
    /// Always false: a resend could notify twice.
    public var deduplicates: Bool { false }
    let account: ServiceAccount
    let key: _RSA.Signing.PrivateKey
    let baseURL: String
    let tls: TLSConfiguration?
    let timeouts: Timeouts?
    let tokens: AccessTokenCache

    /// - Parameters:
    ///   - name: the configured name, in attempt records.
    ///   - account: the Firebase service account (project, client email, private key).
    ///   - baseURL: default `https://fcm.googleapis.com`.
    ///   - tls: a CA bundle or client certificate, if not the system's.
    ///   - timeouts: connect and total timeouts of each request.
    public init(name: String = "fcm", account: ServiceAccount, baseURL: String? = nil, tls: TLSConfiguration? = nil,
                timeouts: Timeouts? = nil) throws(ProviderRequestError) {
        guard let key = try? _RSA.Signing.PrivateKey(pemRepresentation: account.privateKey) else {
            throw ProviderRequestError("the service account's private_key is not a PEM RSA key")
        }
        self.name = name
        self.account = account
        self.key = key
        self.baseURL = DeclarativeProviderFile.trimmed(baseURL ?? "https://fcm.googleapis.com")
        self.tls = tls
        self.timeouts = timeouts
        tokens = AccessTokenCache()
    }

    /// The signed assertion exchanged for an access token, issued at `now`.
    func assertion(at now: Date) -> String {
        let header = #"{"alg":"RS256","typ":"JWT","kid":"\#(account.privateKeyID)"}"#
        let issued = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = ["iss": account.clientEmail, "scope": "https://www.googleapis.com/auth/firebase.messaging",
                                     "aud": account.tokenURI, "iat": issued, "exp": issued + 3600]
        let body = (try? JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
        let input = base64URL(Data(header.utf8)) + "." + base64URL(body)
        let signature = (try? key.signature(for: Data(input.utf8), padding: .insecurePKCS1v1_5).rawRepresentation) ?? Data()
        return input + "." + base64URL(signature)
    }

    /// Exchanges an assertion for an access token.
    func fetchToken(_ client: CurlClient, at now: Date) async -> Result<(String, Date), TokenFailure> {
        let form = "grant_type=" + formEncode("urn:ietf:params:oauth:grant-type:jwt-bearer") + "&assertion=" + assertion(at: now)
        let request = HTTPRequest(method: .post, url: account.tokenURI, headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                  body: Array(form.utf8), timeouts: timeouts, maxResponseSize: 64 << 10, tls: tls)
        do {
            let response = try await client.execute(request)
            guard response.status == 200, let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                  let token = json["access_token"] as? String else {
                let outcome: ProviderOutcome = response.status >= 500 || response.status == 429
                    ? .retryable(after: nil, reason: "OAuth token endpoint HTTP \(response.status)")
                    : .permanent(reason: "OAuth token endpoint refused the service account: HTTP \(response.status)")
                return .failure(TokenFailure(outcome: outcome))
            }
            let lifetime = (json["expires_in"] as? Double) ?? 3600
            return .success((token, now.addingTimeInterval(lifetime)))
        } catch {
            return .failure(TokenFailure(outcome: error.isRetryable ? .retryable(after: nil, reason: "OAuth token endpoint: \(error.reason)")
                                                                    : .permanent(reason: "OAuth token endpoint: \(error.reason)")))
        }
    }

    func body(_ push: PushMessage, dispatch: Dispatch, sentAt: Date) throws(ProviderRequestError) -> Data {
        var notification: [String: Any] = ["body": push.body]
        if let title = push.title { notification["title"] = title }
        if let image = push.image { notification["image"] = image }
        var data = push.data
        data["dispatch_id"] = dispatch.id
        if let link = push.deepLink { data["deep_link"] = link }
        if let subtitle = push.subtitle { data["subtitle"] = subtitle }
        if !push.buttons.isEmpty { data["buttons"] = Self.json(push.buttons.map(APNsProvider.button)) }
        if !push.storyPages.isEmpty {
            data["story_pages"] = Self.json(push.storyPages.map { ["image": $0.image, "title": $0.title as Any, "body": $0.body as Any, "deep_link": $0.deepLink as Any] })
        }
        var androidNotification: [String: Any] = [:]
        if let sound = push.sound { androidNotification["sound"] = sound }
        if let collapse = push.collapseID { androidNotification["tag"] = collapse }
        if let category = push.category { androidNotification["click_action"] = category }
        var android: [String: Any] = ["priority": push.priority == .high ? "HIGH" : "NORMAL"]
        if let ttl = push.timeToLive { android["ttl"] = "\(ttl)s" }
        if let collapse = push.collapseID { android["collapse_key"] = collapse }
        if !androidNotification.isEmpty { android["notification"] = androidNotification }
        var aps: [String: Any] = [:]
        if let sound = push.sound { aps["sound"] = sound }
        if let badge = push.badge { aps["badge"] = badge }
        if let category = push.category { aps["category"] = category }
        if push.image != nil { aps["mutable-content"] = 1 }
        var apnsHeaders = ["apns-priority": push.priority == .high ? "10" : "5"]
        if let ttl = push.timeToLive { apnsHeaders["apns-expiration"] = String(Int(sentAt.timeIntervalSince1970) + ttl) }
        if let collapse = push.collapseID { apnsHeaders["apns-collapse-id"] = collapse }
        var message: [String: Any] = ["token": push.token, "notification": notification, "data": data, "android": android,
                                      "apns": ["headers": apnsHeaders, "payload": ["aps": aps]]]
        for (key, value) in push.fcm { message[key] = value.foundationValue }
        do {
            return try JSONSerialization.data(withJSONObject: ["message": message], options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw ProviderRequestError("the message could not be encoded: \(error)")
        }
    }

    static func json(_ value: Any) -> String {
        (try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes])).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }

    /// Sends with the cached access token; a 401 refreshes it and sends once more.
    public func send(_ message: OutgoingMessage, context: ProviderContext) async -> ProviderResult {
        guard case .push(let push) = message.message else { return ProviderResult(.permanent(reason: "FCM sends push")) }
        let payload: Data
        do {
            payload = try body(push, dispatch: message.dispatch, sentAt: message.sentAt)
        } catch {
            return ProviderResult(.permanent(reason: error.message))
        }
        var refreshed = false
        while true {
            let token: String
            switch await tokens.token(at: message.sentAt, fetch: { await fetchToken(context.client, at: message.sentAt) }) {
            case .success(let value): token = value
            case .failure(let failure): return ProviderResult(failure.outcome)
            }
            let request = HTTPRequest(method: .post, url: "\(baseURL)/v1/projects/\(account.projectID)/messages:send",
                                      headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json; charset=UTF-8"],
                                      body: Array(payload), timeouts: timeouts, maxResponseSize: 64 << 10, tls: tls)
            let response: HTTPResponse
            do {
                response = try await context.client.execute(request)
            } catch {
                return ProviderResult(transportOutcome(error, deduplicates: deduplicates))
            }
            if response.status == 401, !refreshed {
                tokens.discard(token)
                refreshed = true
                continue
            }
            return ProviderResult(classify(response, at: message.sentAt), statusCode: response.status)
        }
    }

    func classify(_ response: HTTPResponse, at now: Date) -> ProviderOutcome {
        let error = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"] as? [String: Any]
        let status = error?["status"] as? String ?? ""
        let code = ((error?["details"] as? [[String: Any]]) ?? []).compactMap { $0["errorCode"] as? String }.first ?? status
        let text = "HTTP \(response.status) \(code)"
        switch response.status {
        case 200:
            let name = (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["name"] as? String
            return .sent(providerMessageID: name)
        case 404 where code == "UNREGISTERED": return .badAddress(reason: text)
        case 400 where code == "INVALID_ARGUMENT" && (error?["message"] as? String ?? "").contains("registration token"):
            return .badAddress(reason: text)
        case 403 where code == "SENDER_ID_MISMATCH": return .badAddress(reason: text)
        case 429, 500, 503:
            return .retryable(after: response.headers.first(name: "Retry-After").flatMap { RetryPolicy.retryAfter($0, now: now) }, reason: text)
        default: return .permanent(reason: text)
        }
    }
}

/// Why no access token could be had: the outcome the send reports.
struct TokenFailure: Error {
    var outcome: ProviderOutcome
}

/// An OAuth access token shared by every send, fetched by one task at a time: callers
/// that need it while a fetch runs wait for that fetch instead of starting their own.
final class AccessTokenCache: Sendable {
    private struct State {
        var token: (value: String, expires: Date)?
        var fetching: Task<Result<(String, Date), TokenFailure>, Never>?
    }

    private let state = Mutex(State())
    /// Refreshed this long before it expires.
    let margin: TimeInterval = 300

    func token(at now: Date, fetch: @escaping @Sendable () async -> Result<(String, Date), TokenFailure>) async -> Result<String, TokenFailure> {
        let task = state.withLock { state -> Task<Result<(String, Date), TokenFailure>, Never>? in
            if let token = state.token, token.expires.timeIntervalSince(now) > margin { return nil }
            if let running = state.fetching { return running }
            let started = Task { await fetch() }
            state.fetching = started
            return started
        }
        guard let task else {
            return state.withLock { $0.token.map { .success($0.value) } } ?? .failure(TokenFailure(outcome: .retryable(after: nil, reason: "no token")))
        }
        let result = await task.value
        state.withLock { state in
            if state.fetching == task {
                state.fetching = nil
                if case .success(let token) = result { state.token = (token.0, token.1) }
            }
        }
        return result.map(\.0)
    }

    /// Forgets `token` (FCM refused it), unless it was replaced already.
    func discard(_ token: String) {
        state.withLock { state in
            if state.token?.value == token { state.token = nil }
        }
    }
}
