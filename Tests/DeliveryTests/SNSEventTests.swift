import _CryptoExtras
import Crypto
import CurlTransport
import Delivery
import Foundation
import PeerSupport
import Testing
import X509

/// SES events through SNS: the SNS message signature checked with the signing certificate
/// (fetched only from an SNS host), then the SES event read.
@Suite("SES events via SNS: signing certificates, signature versions 1 and 2, events")
struct SNSEventTests {
    let key: _RSA.Signing.PrivateKey
    let certificate: String

    init() throws {
        key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName("sns.amazonaws.com") }
        let cert = try Certificate(version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: Certificate.PublicKey(key.publicKey),
                                   notValidBefore: Date().addingTimeInterval(-60), notValidAfter: Date().addingTimeInterval(3600),
                                   issuer: name, subject: name, signatureAlgorithm: .sha256WithRSAEncryption, extensions: Certificate.Extensions(),
                                   issuerPrivateKey: Certificate.PrivateKey(key))
        certificate = try cert.serializeAsPEM().pemString
    }

    /// An SNS message of `fields`, signed (version `version`) unless `signature` is given.
    func message(_ fields: [String: String], version: String = "2", certURL: String, tamper: Bool = false) throws -> Data {
        var object = fields
        object["SignatureVersion"] = version
        object["SigningCertURL"] = certURL
        object["Signature"] = Data([0]).base64EncodedString()
        let unsigned = try SNSMessage(json: try JSONSerialization.data(withJSONObject: object))
        let text = Data(unsigned.stringToSign.utf8)
        let signature = version == "1" ? try key.signature(for: Insecure.SHA1.hash(data: text), padding: .insecurePKCS1v1_5)
                                       : try key.signature(for: SHA256.hash(data: text), padding: .insecurePKCS1v1_5)
        object["Signature"] = signature.rawRepresentation.base64EncodedString()
        if tamper { object["Message"] = (object["Message"] ?? "") + " " }
        return try JSONSerialization.data(withJSONObject: object)
    }

    @Test("certificate URLs: only https on sns.REGION.amazonaws.com, ending in .pem")
    func certificateURLs() {
        #expect(SNSMessage.isAllowedCertificateURL("https://sns.us-east-1.amazonaws.com/SimpleNotificationService-7506a1e35b36ef5a444dd1a8e7cc3ed8.pem"))
        #expect(!SNSMessage.isAllowedCertificateURL("http://sns.us-east-1.amazonaws.com/SimpleNotificationService-x.pem"))
        #expect(!SNSMessage.isAllowedCertificateURL("https://sns.us-east-1.amazonaws.com.evil.example/x.pem"))
        #expect(!SNSMessage.isAllowedCertificateURL("https://evil.example/sns.us-east-1.amazonaws.com/x.pem"))
        #expect(!SNSMessage.isAllowedCertificateURL("https://sns.us-east-1.amazonaws.com/x.txt"))
    }

    @Test("a signed notification (versions 1 and 2) gives the SES event with the dispatch tag; tampered or unfetched is refused")
    func notifications() async throws {
        let sink = try await Sink.start()
        let certURL = sink.url("/SimpleNotificationService-test.pem")
        try await sink.script("/SimpleNotificationService-test.pem", [], fallback: ["status": 200, "body": certificate,
                                                                                      "headers": [["Content-Type", "application/x-pem-file"]]])
        let certificates = SNSCertificates(extraHosts: ["127.0.0.1"], requireHTTPS: false)
        let hook = SESEventWebhook(certificates: certificates, topics: ["arn:aws:sns:us-east-1:123456789012:ses-events"])
        let ses = #"{"eventType": "Click", "mail": {"messageId": "0100018e-ses", "destination": ["ada@example.com"], "tags": {"dispatch_id": ["d_1234"]}}, "click": {"link": "https://shop.example/sale"}}"#
        let fields = ["Type": "Notification", "MessageId": "sns-msg-1", "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events",
                      "Message": ses, "Timestamp": "2026-03-02T10:05:00.000Z"]
        let request = WebhookRequest(url: "https://c.example/ses", headers: [], body: try message(fields, certURL: certURL))
        #expect(throws: WebhookVerificationError(.badSignature, "the signing certificate has not been fetched")) {
            try hook.events(from: request, now: deliveryStart)
        }
        let client = CurlClient()
        #expect(await certificates.certificate(at: certURL, client: client) == certificate)
        #expect(await certificates.certificate(at: "https://evil.example/x.pem", client: client) == nil)
        await client.shutdown()
        let events = try hook.events(from: request, now: deliveryStart)
        #expect(events == [ProviderEvent(id: "sns-msg-1", kind: .clicked, dispatchID: "d_1234", providerMessageID: "0100018e-ses",
                                         recipient: "ada@example.com", url: "https://shop.example/sale",
                                         time: ISO8601DateFormatter().date(from: "2026-03-02T10:05:00Z") ?? deliveryStart)])
        let version1 = WebhookRequest(url: "", headers: [], body: try message(fields, version: "1", certURL: certURL))
        #expect(try hook.events(from: version1, now: deliveryStart).map(\.kind) == [.clicked])
        let tampered = WebhookRequest(url: "", headers: [], body: try message(fields, certURL: certURL, tamper: true))
        #expect(throws: WebhookVerificationError(.badSignature, "the signature does not match")) { try hook.events(from: tampered, now: deliveryStart) }
        var otherTopic = fields
        otherTopic["TopicArn"] = "arn:aws:sns:us-east-1:123456789012:other"
        #expect(throws: WebhookVerificationError.self) {
            try hook.events(from: WebhookRequest(url: "", headers: [], body: try message(otherTopic, certURL: certURL)), now: deliveryStart)
        }
        let bounce = #"{"notificationType": "Bounce", "bounce": {"bounceType": "Permanent"}, "mail": {"messageId": "m2", "destination": ["gone@example.com"]}}"#
        var bounced = fields
        bounced["Message"] = bounce
        #expect(try hook.events(from: WebhookRequest(url: "", headers: [], body: try message(bounced, certURL: certURL)), now: deliveryStart)
            .first?.suppresses == true)
    }

    @Test("a subscription confirmation verifies and carries the SubscribeURL to visit; it gives no events")
    func confirmation() async throws {
        let sink = try await Sink.start()
        let certURL = sink.url("/SimpleNotificationService-test.pem")
        try await sink.script("/SimpleNotificationService-test.pem", [], fallback: ["status": 200, "body": certificate])
        let certificates = SNSCertificates(extraHosts: ["127.0.0.1"], requireHTTPS: false)
        let client = CurlClient()
        _ = await certificates.certificate(at: certURL, client: client)
        await client.shutdown()
        let fields = ["Type": "SubscriptionConfirmation", "MessageId": "sns-confirm-1", "Token": "2336412f37fb687f5d51e6e2425",
                      "TopicArn": "arn:aws:sns:us-east-1:123456789012:ses-events", "Message": "You have chosen to subscribe...",
                      "SubscribeURL": "https://sns.us-east-1.amazonaws.com/?Action=ConfirmSubscription&Token=2336412f37fb687f5d51e6e2425",
                      "Timestamp": "2026-03-02T10:00:00.000Z"]
        let body = try message(fields, certURL: certURL)
        #expect(try SESEventWebhook(certificates: certificates).events(from: WebhookRequest(url: "", headers: [], body: body), now: deliveryStart).isEmpty)
        let parsed = try SNSMessage(json: body)
        #expect(parsed.isSigned(byCertificate: certificate) && parsed.subscribeURL?.contains("ConfirmSubscription") == true)
    }
}
