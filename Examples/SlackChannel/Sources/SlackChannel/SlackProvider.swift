import ConnectorCore
import CurlTransport
import Delivery
import Foundation

/// Sends Slack messages with `chat.postMessage` and a bot token.
///
/// Slack answers HTTP 200 with `{"ok": true, "channel": ..., "ts": ...}` or
/// `{"ok": false, "error": CODE}`; rate limits are HTTP 429 with `Retry-After` seconds.
/// Classification:
/// - `ok` -> sent, the message id `CHANNEL/TS`;
/// - 429, `ratelimited`, `service_unavailable`, 5xx -> retryable (after `Retry-After`);
/// - `internal_error`, `fatal_error` -> possibly sent (Slack says part of the call may
///   have happened, and `chat.postMessage` does not deduplicate);
/// - `channel_not_found`, `not_in_channel`, `is_archived`, `user_not_found`,
///   `user_disabled`, `cannot_dm_bot`, `messages_tab_disabled` -> bad address (suppressed);
/// - anything else (`invalid_auth`, `missing_scope`, `invalid_blocks`, `msg_too_long`) -> permanent.
public struct SlackProvider: HTTPProvider {
    public static let defaultBaseURL = "https://slack.com/api"

    public let name: String
    let token: String
    let baseURL: String

    /// Slack does not deduplicate `chat.postMessage`: a lost answer is "possibly sent".
    public var deduplicates: Bool { false }

    public init(name: String = "slack", token: String, baseURL: String = SlackProvider.defaultBaseURL) {
        self.name = name
        self.token = token
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    }

    static let badAddress: Set<String> = ["channel_not_found", "not_in_channel", "is_archived", "user_not_found", "user_disabled",
                                          "cannot_dm_bot", "messages_tab_disabled"]
    static let retryable: Set<String> = ["ratelimited", "rate_limited", "service_unavailable", "team_added_to_org"]
    static let possiblySent: Set<String> = ["internal_error", "fatal_error"]

    public func request(for message: OutgoingMessage) throws(ProviderRequestError) -> HTTPRequest {
        guard case .custom(let slack) = message.message, slack.channel == .slack else {
            throw ProviderRequestError("the slack provider carries Slack messages only")
        }
        var body: [String: Any] = ["channel": slack.recipient, "text": slack.fields["text"] ?? ""]
        if let blocks = slack.fields["blocks"] {
            guard let parsed = try? JSONSerialization.jsonObject(with: Data(blocks.utf8)) else {
                throw ProviderRequestError("blocks are not JSON")
            }
            body["blocks"] = parsed
        }
        if let unfurl = slack.fields["unfurl_links"] { body["unfurl_links"] = unfurl == "true" }
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
        } catch {
            throw ProviderRequestError("the message does not encode as JSON")
        }
        return HTTPRequest(method: .post, url: baseURL + "/chat.postMessage",
                           headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json; charset=utf-8"],
                           body: Array(data))
    }

    public func classify(_ response: HTTPResponse, for message: OutgoingMessage) -> ProviderOutcome {
        guard response.status == 200 else { return standardOutcome(of: response, now: message.sentAt) }
        guard let answer = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any], let ok = answer["ok"] as? Bool else {
            return .possiblySent(reason: "Slack answered 200 without an ok field")
        }
        if ok {
            let id = [answer["channel"] as? String, answer["ts"] as? String].compactMap { $0 }.joined(separator: "/")
            return .sent(providerMessageID: id.isEmpty ? nil : id)
        }
        let code = answer["error"] as? String ?? "unknown_error"
        let reason = "Slack: \(code)"
        if Self.badAddress.contains(code) { return .badAddress(reason: reason) }
        if Self.retryable.contains(code) {
            let after = response.headers.first(name: "Retry-After").flatMap { RetryPolicy.retryAfter($0, now: message.sentAt) }
            return .retryable(after: after, reason: reason)
        }
        if Self.possiblySent.contains(code) { return .possiblySent(reason: reason) }
        return .permanent(reason: reason)
    }
}
