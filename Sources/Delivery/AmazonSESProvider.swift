import ConnectorCore
import CurlTransport
import Foundation

/// Amazon SES v2 `SendEmail` (`POST /v2/email/outbound-emails`), signed with SigV4
/// through libcurl. The dispatch id travels as the email tag `dispatch_id` (SES puts tags
/// in every event it publishes through the configuration set).
///
/// Errors are read from `x-amzn-ErrorType` (or the body's `__type`): throttling, limits
/// and 5xx retryable; `SendingPausedException` retryable after five minutes (sending is
/// paused for the account or configuration set); the rest permanent.
public struct AmazonSESProvider: HTTPProvider {
    /// The configured name, in attempt records.
    public let name: String
    /// Always false: SES does not deduplicate by the idempotency key.
    public var deduplicates: Bool { false }
    let credentials: AWSSigV4Credentials
    let baseURL: String
    let configurationSet: String?
    let timeouts: Timeouts?

    /// - Parameters:
    ///   - name: the configured name, in attempt records.
    ///   - accessKeyID: the AWS access key id (SigV4).
    ///   - secretAccessKey: its secret, never logged.
    ///   - sessionToken: a temporary credential's session token.
    ///   - region: the AWS region (`eu-west-1`).
    ///   - baseURL: default `https://email.REGION.amazonaws.com`.
    ///   - configurationSet: the SES configuration set whose event destinations report events.
    ///   - timeouts: connect and total timeouts of each request.
    public init(name: String = "ses", accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String,
                baseURL: String? = nil, configurationSet: String? = nil, timeouts: Timeouts? = nil) {
        self.name = name
        credentials = AWSSigV4Credentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken,
                                          region: region, service: "ses")
        self.baseURL = DeclarativeProviderFile.trimmed(baseURL ?? "https://email.\(region).amazonaws.com")
        self.configurationSet = configurationSet
        self.timeouts = timeouts
    }

    /// The `SendEmail` request of an email, tagged with its dispatch id; another channel or a
    /// missing sender is an error.
    public func request(for message: OutgoingMessage) throws(ProviderRequestError) -> HTTPRequest {
        guard case .email(let email) = message.message else { throw ProviderRequestError("SES sends email, not \(message.message.channel.rawValue)") }
        guard !email.fromAddress.isEmpty else { throw ProviderRequestError("no sender: give the campaign a from address") }
        var body: [String: Any] = [:]
        body["FromEmailAddress"] = mailbox(email.fromName, email.fromAddress)
        body["Destination"] = ["ToAddresses": [email.to]]
        if let replyTo = email.replyTo { body["ReplyToAddresses"] = [replyTo] }
        var content: [String: Any] = ["Subject": ["Data": email.subject, "Charset": "UTF-8"]]
        var parts: [String: Any] = [:]
        if let text = email.text { parts["Text"] = ["Data": text, "Charset": "UTF-8"] }
        if let html = email.html { parts["Html"] = ["Data": html, "Charset": "UTF-8"] }
        content["Body"] = parts
        var headers = email.headers.map { ["Name": $0.name, "Value": $0.value] } + [["Name": "X-Dispatch-ID", "Value": message.dispatch.id]]
        if let unsubscribe = email.listUnsubscribe {
            headers += [["Name": "List-Unsubscribe", "Value": "<\(unsubscribe)>"], ["Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"]]
        }
        content["Headers"] = headers
        body["Content"] = ["Simple": content]
        if let configurationSet { body["ConfigurationSetName"] = configurationSet }
        body["EmailTags"] = [["Name": "dispatch_id", "Value": message.dispatch.id], ["Name": "campaign", "Value": tagValue(message.dispatch.followUp.rawValue)]]
        let json: Data
        do {
            json = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes])
        } catch {
            throw ProviderRequestError("the request could not be encoded: \(error)")
        }
        return HTTPRequest(method: .post, url: "\(baseURL)/v2/email/outbound-emails", headers: ["Content-Type": "application/json"],
                           body: Array(json), timeouts: timeouts, authentication: .awsSigV4(credentials))
    }

    /// Sent with SES's `MessageId`; throttling, 429 and 5xx retryable; paused sending retryable
    /// after five minutes; the rest permanent.
    public func classify(_ response: HTTPResponse, for message: OutgoingMessage) -> ProviderOutcome {
        if (200..<300).contains(response.status) {
            let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any]
            return .sent(providerMessageID: json?["MessageId"] as? String)
        }
        let type = AWSError.type(of: response)
        let reason = "HTTP \(response.status) \(type)"
        if type.contains("SendingPaused") { return .retryable(after: 300, reason: reason) }
        if AWSError.isThrottling(type) || response.status >= 500 || response.status == 429 {
            return .retryable(after: response.headers.first(name: "Retry-After").flatMap { RetryPolicy.retryAfter($0, now: message.sentAt) },
                              reason: reason)
        }
        return .permanent(reason: reason)
    }

    /// `Name <address>`, the name as an RFC 2047 encoded word when it is not plain ASCII.
    func mailbox(_ name: String?, _ address: String) -> String {
        guard let name, !name.isEmpty else { return address }
        if name.utf8.allSatisfy({ $0 >= 32 && $0 < 127 && $0 != UInt8(ascii: "\"") }) { return "\"\(name)\" <\(address)>" }
        return "=?UTF-8?B?\(Data(name.utf8).base64EncodedString())?= <\(address)>"
    }

    /// SES tag values: ASCII letters, digits, `_`, `-`, `.`, `@`; anything else becomes `_`.
    func tagValue(_ text: String) -> String {
        String(text.unicodeScalars.map { scalar -> Character in
            let value = scalar.value
            let keep = (value >= 48 && value <= 57) || (value >= 65 && value <= 90) || (value >= 97 && value <= 122) || "_-.@".unicodeScalars.contains(scalar)
            return keep ? Character(scalar) : "_"
        }.prefix(256))
    }
}

/// How AWS APIs name their errors.
enum AWSError {
    /// The error type of an AWS answer: `x-amzn-ErrorType` (`Type:url`), the JSON
    /// `__type`/`code`, or the XML `<Code>`.
    static func type(of response: HTTPResponse) -> String {
        if let header = response.headers.first(name: "x-amzn-ErrorType") {
            return String(header.split(separator: ":").first ?? Substring(header))
        }
        if let json = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
           let type = (json["__type"] as? String) ?? (json["code"] as? String) {
            return String(type.split(separator: "#").last ?? Substring(type))
        }
        return xmlValue("Code", in: response.bodyText) ?? "unknown"
    }

    static func isThrottling(_ type: String) -> Bool {
        type.contains("Throttl") || type.contains("TooManyRequests") || type.contains("LimitExceeded") || type == "ServiceUnavailable"
    }

    /// The text of the first `<name>` element of a small XML answer.
    static func xmlValue(_ name: String, in xml: String) -> String? {
        guard let start = xml.range(of: "<\(name)>"), let end = xml.range(of: "</\(name)>", range: start.upperBound..<xml.endIndex) else { return nil }
        return String(xml[start.upperBound..<end.lowerBound])
            .replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'").replacingOccurrences(of: "&amp;", with: "&")
    }
}
