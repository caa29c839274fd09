import _CryptoExtras
import Crypto
import CurlTransport
import Foundation
import Synchronization
import X509

/// An Amazon SNS HTTP(S) delivery: a `SubscriptionConfirmation` first, then
/// `Notification`s (SES publishes its events through SNS), each signed with the RSA key of
/// a certificate SNS names in `SigningCertURL` (SHA1withRSA for signature version 1,
/// SHA256withRSA for 2) over the message's fields in a fixed order.
public struct SNSMessage: Sendable, Equatable {
    /// The message type (`Type`): `SubscriptionConfirmation` or `Notification`, among others.
    public var type: String
    /// SNS's id for the message (`MessageId`).
    public var messageID: String
    /// The topic it was published to (`TopicArn`).
    public var topicARN: String
    /// The notification's subject (`Subject`), if any.
    public var subject: String?
    /// The payload (`Message`): for SES events, the event as JSON text.
    public var message: String
    /// When SNS published it (`Timestamp`, ISO 8601), as written.
    public var timestamp: String
    /// `1` (SHA1withRSA) or `2` (SHA256withRSA), from `SignatureVersion`; `1` when absent.
    public var signatureVersion: String
    /// The signature's bytes (`Signature`, base64-decoded).
    public var signature: Data
    /// Where the signing certificate is (`SigningCertURL`).
    public var signingCertURL: String
    /// The URL that confirms a subscription (`SubscribeURL`), on a `SubscriptionConfirmation`.
    public var subscribeURL: String?
    /// The confirmation token (`Token`), on a `SubscriptionConfirmation`.
    public var token: String?

    /// Reads an SNS message body.
    public init(json body: Data) throws(WebhookVerificationError) {
        guard let object = try jsonObject(body) as? [String: Any], let type = object["Type"] as? String,
              let id = object["MessageId"] as? String, let topic = object["TopicArn"] as? String, let message = object["Message"] as? String,
              let timestamp = object["Timestamp"] as? String, let signature = (object["Signature"] as? String).flatMap({ Data(base64Encoded: $0) }),
              let certificate = object["SigningCertURL"] as? String else {
            throw WebhookVerificationError(.malformed, "not an SNS message (Type, MessageId, TopicArn, Message, Timestamp, Signature, SigningCertURL)")
        }
        self.type = type
        messageID = id
        topicARN = topic
        subject = object["Subject"] as? String
        self.message = message
        self.timestamp = timestamp
        signatureVersion = (object["SignatureVersion"] as? String) ?? "1"
        self.signature = signature
        signingCertURL = certificate
        subscribeURL = object["SubscribeURL"] as? String
        token = object["Token"] as? String
    }

    /// The text SNS signs: name and value lines of the type's fields, in order.
    public var stringToSign: String {
        var fields: [(String, String?)] = [("Message", message), ("MessageId", messageID)]
        if type == "Notification" {
            fields += [("Subject", subject), ("Timestamp", timestamp), ("TopicArn", topicARN), ("Type", type)]
        } else {
            fields += [("SubscribeURL", subscribeURL), ("Timestamp", timestamp), ("Token", token), ("TopicArn", topicARN), ("Type", type)]
        }
        return fields.compactMap { name, value in value.map { "\(name)\n\($0)\n" } }.joined()
    }

    /// Whether the signature is right for the certificate (PEM).
    public func isSigned(byCertificate pem: String) -> Bool {
        guard let certificate = try? Certificate(pemEncoded: pem),
              let der = try? certificate.publicKey.serializeAsPEM().derBytes,
              let key = try? _RSA.Signing.PublicKey(derRepresentation: der) else { return false }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: self.signature)
        let text = Data(stringToSign.utf8)
        switch signatureVersion {
        case "1": return key.isValidSignature(signature, for: Insecure.SHA1.hash(data: text), padding: .insecurePKCS1v1_5)
        case "2": return key.isValidSignature(signature, for: SHA256.hash(data: text), padding: .insecurePKCS1v1_5)
        default: return false
        }
    }

    /// Whether `url` may serve SNS signing certificates: https, a host of the form
    /// `sns.REGION.amazonaws.com` (or one of `extraHosts`), a path ending in `.pem`. A
    /// certificate from anywhere else would let anyone sign messages.
    public static func isAllowedCertificateURL(_ url: String, extraHosts: [String] = [], requireHTTPS: Bool = true) -> Bool {
        guard let components = URLComponents(string: url), let host = components.host?.lowercased(), components.path.hasSuffix(".pem"),
              components.scheme == "https" || (!requireHTTPS && components.scheme == "http") else { return false }
        if extraHosts.contains(host) { return true }
        let parts = host.split(separator: ".")
        return parts.count == 4 && parts[0] == "sns" && parts[2] == "amazonaws" && parts[3] == "com"
            && parts[1].allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }
    }
}

/// The signing certificates of SNS, fetched once per URL (only from allowed URLs) and
/// kept: the service fetches before it verifies.
public final class SNSCertificates: Sendable {
    private let cache = Mutex<[String: String]>([:])
    let extraHosts: [String]
    let requireHTTPS: Bool

    /// An empty cache.
    ///
    /// - Parameters:
    ///   - extraHosts: hosts allowed besides `sns.REGION.amazonaws.com`.
    ///   - requireHTTPS: whether certificate URLs must be https; true by default.
    public init(extraHosts: [String] = [], requireHTTPS: Bool = true) {
        self.extraHosts = extraHosts
        self.requireHTTPS = requireHTTPS
    }

    /// The PEM certificate at `url`, fetched if not cached; nil if the URL is not allowed
    /// or the fetch failed.
    public func certificate(at url: String, client: CurlClient) async -> String? {
        if let cached = cached(url) { return cached }
        guard SNSMessage.isAllowedCertificateURL(url, extraHosts: extraHosts, requireHTTPS: requireHTTPS),
              let response = try? await client.execute(HTTPRequest(url: url, maxResponseSize: 64 << 10)), response.status == 200,
              (try? Certificate(pemEncoded: response.bodyText)) != nil else { return nil }
        cache.withLock { $0[url] = response.bodyText }
        return response.bodyText
    }

    /// A certificate fetched before, if any.
    public func cached(_ url: String) -> String? { cache.withLock { $0[url] } }
}

/// SES events delivered by SNS: the SNS signature verified with the (already fetched)
/// certificate, then the SES event inside (`eventType` from event publishing, or
/// `notificationType` from identity notifications). The dispatch id is the `dispatch_id`
/// tag the SES provider set. A `SubscriptionConfirmation` gives no events: the service
/// confirms it by visiting its `SubscribeURL` (``SNSMessage/subscribeURL``).
public struct SESEventWebhook: EventWebhook {
    let certificates: SNSCertificates
    let topics: [String]

    /// - Parameters:
    ///   - certificates: the cache of SNS signing certificates, filled by the service.
    ///   - topics: the topic ARNs accepted (empty: any).
    public init(certificates: SNSCertificates, topics: [String] = []) {
        self.certificates = certificates
        self.topics = topics
    }

    /// The SES event of a verified SNS notification; a subscription confirmation, or an event
    /// of no interest, gives none.
    public func events(from request: WebhookRequest, now: Date) throws(WebhookVerificationError) -> [ProviderEvent] {
        let message = try SNSMessage(json: request.body)
        guard SNSMessage.isAllowedCertificateURL(message.signingCertURL, extraHosts: certificates.extraHosts, requireHTTPS: certificates.requireHTTPS) else {
            throw WebhookVerificationError(.badSignature, "the signing certificate is not on an SNS host")
        }
        guard let pem = certificates.cached(message.signingCertURL) else {
            throw WebhookVerificationError(.badSignature, "the signing certificate has not been fetched")
        }
        guard message.isSigned(byCertificate: pem) else { throw WebhookVerificationError(.badSignature, "the signature does not match") }
        guard topics.isEmpty || topics.contains(message.topicARN) else {
            throw WebhookVerificationError(.badSignature, "topic \(message.topicARN) is not one this webhook accepts")
        }
        guard message.type == "Notification" else { return [] }
        guard let event = try jsonObject(Data(message.message.utf8)) as? [String: Any] else {
            throw WebhookVerificationError(.malformed, "the notification's Message is not a JSON object")
        }
        let type = (event["eventType"] as? String) ?? (event["notificationType"] as? String) ?? ""
        let mail = event["mail"] as? [String: Any]
        var kind: ProviderEvent.Kind?
        switch type {
        case "Delivery": kind = .delivered
        case "Open": kind = .opened
        case "Click": kind = .clicked
        case "Complaint": kind = .complained
        case "Bounce": kind = ((event["bounce"] as? [String: Any])?["bounceType"] as? String) == "Permanent" ? .bounced : nil
        case "Subscription": kind = .unsubscribed
        default: kind = nil
        }
        guard let kind else { return [] }
        let dispatch = ((mail?["tags"] as? [String: Any])?["dispatch_id"] as? [String])?.first
        return [ProviderEvent(id: message.messageID, kind: kind, dispatchID: dispatch, providerMessageID: mail?["messageId"] as? String,
                              recipient: (mail?["destination"] as? [String])?.first,
                              url: (event["click"] as? [String: Any])?["link"] as? String,
                              time: providerTime(message.timestamp) ?? now)]
    }
}
