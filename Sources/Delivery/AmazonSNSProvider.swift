import ConnectorCore
import CurlTransport
import Foundation

/// Amazon SNS `Publish` to a phone number (SMS), form-encoded and signed with SigV4; the
/// answer is XML (`PublishResult/MessageId`, or `ErrorResponse/Error/Code`). A sender id
/// and the SMS type go as message attributes.
///
/// Errors: `Throttling`/`ThrottledException` and 5xx retryable; `InvalidParameter` about
/// the phone number a bad address; the rest permanent.
public struct AmazonSNSProvider: HTTPProvider {
    /// The configured name, in attempt records.
    public let name: String
    /// Always false: SNS does not deduplicate by the idempotency key.
    public var deduplicates: Bool { false }
    let credentials: AWSSigV4Credentials
    let baseURL: String
    let senderID: String?
    let transactional: Bool
    let timeouts: Timeouts?

    /// - Parameters:
    ///   - name: the configured name, in attempt records.
    ///   - accessKeyID: the AWS access key id (SigV4).
    ///   - secretAccessKey: its secret, never logged.
    ///   - sessionToken: a temporary credential's session token.
    ///   - region: the AWS region (`eu-west-1`).
    ///   - baseURL: default `https://sns.REGION.amazonaws.com`.
    ///   - senderID: `AWS.SNS.SMS.SenderID` (alphanumeric, where the country allows it).
    ///   - transactional: `AWS.SNS.SMS.SMSType` Transactional (default) or Promotional.
    ///   - timeouts: connect and total timeouts of each request.
    public init(name: String = "sns", accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, region: String,
                baseURL: String? = nil, senderID: String? = nil, transactional: Bool = true, timeouts: Timeouts? = nil) {
        self.name = name
        credentials = AWSSigV4Credentials(accessKeyID: accessKeyID, secretAccessKey: secretAccessKey, sessionToken: sessionToken,
                                          region: region, service: "sns")
        self.baseURL = DeclarativeProviderFile.trimmed(baseURL ?? "https://sns.\(region).amazonaws.com")
        self.senderID = senderID
        self.transactional = transactional
        self.timeouts = timeouts
    }

    /// The `Publish` request of a text message; another channel is an error.
    public func request(for message: OutgoingMessage) throws(ProviderRequestError) -> HTTPRequest {
        guard case .sms(let sms) = message.message else { throw ProviderRequestError("SNS sends SMS, not \(message.message.channel.rawValue)") }
        var fields = [("Action", "Publish"), ("Version", "2010-03-31"), ("PhoneNumber", sms.to), ("Message", sms.body)]
        var attributes = [("AWS.SNS.SMS.SMSType", transactional ? "Transactional" : "Promotional")]
        if let sender = sms.from ?? senderID { attributes.append(("AWS.SNS.SMS.SenderID", sender)) }
        for (index, (name, value)) in attributes.enumerated() {
            let prefix = "MessageAttributes.entry.\(index + 1)"
            fields += [("\(prefix).Name", name), ("\(prefix).Value.DataType", "String"), ("\(prefix).Value.StringValue", value)]
        }
        let body = fields.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
        return HTTPRequest(method: .post, url: "\(baseURL)/", headers: ["Content-Type": "application/x-www-form-urlencoded"],
                           body: Array(body.utf8), timeouts: timeouts, authentication: .awsSigV4(credentials))
    }

    /// Sent with SNS's `MessageId`; throttling, 429 and 5xx retryable; an invalid phone number
    /// a bad address; the rest permanent.
    public func classify(_ response: HTTPResponse, for message: OutgoingMessage) -> ProviderOutcome {
        let xml = response.bodyText
        if (200..<300).contains(response.status) { return .sent(providerMessageID: AWSError.xmlValue("MessageId", in: xml)) }
        let code = AWSError.xmlValue("Code", in: xml) ?? "unknown"
        let reason = "HTTP \(response.status) \(code)"
        if AWSError.isThrottling(code) || response.status >= 500 || response.status == 429 {
            return .retryable(after: response.headers.first(name: "Retry-After").flatMap { RetryPolicy.retryAfter($0, now: message.sentAt) },
                              reason: reason)
        }
        if code == "InvalidParameter", AWSError.xmlValue("Message", in: xml)?.contains("PhoneNumber") == true {
            return .badAddress(reason: reason)
        }
        return .permanent(reason: reason)
    }
}

/// `application/x-www-form-urlencoded` as botocore writes it (Python's `quote_plus`):
/// a space as `+`, everything but `A-Za-z0-9-_.~` as %XX.
func formEncode(_ text: String) -> String {
    var out = ""
    for byte in text.utf8 {
        if byte == 32 {
            out += "+"
        } else if (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122) || (byte >= 48 && byte <= 57) || byte == 45 || byte == 95 || byte == 46 || byte == 126 {
            out.unicodeScalars.append(Unicode.Scalar(byte))
        } else {
            out += String(format: "%%%02X", byte)
        }
    }
    return out
}
