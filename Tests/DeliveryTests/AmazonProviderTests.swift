import ConnectorCore
import ConnectorStore
import CurlTransport
import Delivery
import Foundation
import PeerSupport
import Testing

/// SES v2 and SNS against moto_server with SigV4 checking (what moto stored is read back),
/// and their error answers against the scripted sink.
@Suite("Amazon SES v2 and SNS: signed requests moto accepts, errors classified")
struct AmazonProviderTests {
    /// moto with signature checking, and an IAM user's key to sign with.
    func moto() async throws -> (Peer, key: String, secret: String) {
        let peer = try await Peer.start("moto_peer.py", ["3"], needs: "moto[server]")
        let client = CurlClient()
        defer { Task { await client.shutdown() } }
        let bootstrap = AWSSigV4Credentials(accessKeyID: "AKIDBOOTSTRAP", secretAccessKey: "bootstrap", region: "us-east-1", service: "iam")
        func iam(_ fields: [(String, String)]) async throws -> String {
            let body = (fields + [("Version", "2010-05-08")]).map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
                .joined(separator: "&")
            let response = try await client.execute(HTTPRequest(method: .post, url: peer.url("/"), headers: ["Content-Type": "application/x-www-form-urlencoded"],
                                                                body: Array(body.utf8), authentication: .awsSigV4(bootstrap)))
            #expect(response.status == 200, "IAM bootstrap: \(response.bodyText)")
            return response.bodyText
        }
        _ = try await iam([("Action", "CreateUser"), ("UserName", "connector")])
        let keys = try await iam([("Action", "CreateAccessKey"), ("UserName", "connector")])
        _ = try await iam([("Action", "PutUserPolicy"), ("UserName", "connector"), ("PolicyName", "all"),
                           ("PolicyDocument", #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#)])
        func value(_ name: String) -> String {
            guard let start = keys.range(of: "<\(name)>"), let end = keys.range(of: "</\(name)>") else { return "" }
            return String(keys[start.upperBound..<end.lowerBound])
        }
        return (peer, value("AccessKeyId"), value("SecretAccessKey"))
    }

    func motoData(_ peer: Peer) async throws -> [String: Any] {
        let client = CurlClient()
        let response = try await client.execute(HTTPRequest(url: peer.url("/moto-api/data.json")))
        await client.shutdown()
        return try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
    }

    @Test("SES v2: a signed SendEmail moto stores (sender, recipient, subject, both bodies); the message id recorded; a wrong secret is refused for good")
    func ses() async throws {
        let (peer, key, secret) = try await moto()
        let client = CurlClient()
        // SES sends only from verified identities.
        let verify = try await client.execute(HTTPRequest(
            method: .post, url: peer.url("/v2/email/identities"), headers: ["Content-Type": "application/json"],
            body: Array(#"{"EmailIdentity":"shop@example.com"}"#.utf8),
            authentication: .awsSigV4(AWSSigV4Credentials(accessKeyID: key, secretAccessKey: secret, region: "us-east-1", service: "ses"))))
        #expect(verify.status == 200, "\(verify.bodyText)")
        let bench = try await DeliveryBench(channel: .email, content: .email(ProviderCatalogueTests.email), users: [ProviderCatalogueTests.user])
        let provider = AmazonSESProvider(accessKeyID: key, secretAccessKey: secret, region: "us-east-1", baseURL: peer.url(""), configurationSet: nil)
        let report = try await dispatcher(bench, routes(.email, [ProviderRoute(provider)]), clock: TestClock(bench.queuedAt), client: client,
                                          tracking: testTracking).drain()
        #expect(report.counts == [.sent: 1])
        let item = try bench.item("ada")
        let messages = ((try await motoData(peer))["ses"] as? [String: Any])?["Message"] as? [[String: Any]] ?? []
        let stored = try #require(messages.first, "moto stored no message")
        #expect(messages.count == 1 && (stored["id"] as? String) == item.providerMessageID)
        #expect((stored["source"] as? String)?.contains("shop@example.com") == true)
        #expect((stored["destinations"] as? [String: Any])?["ToAddresses"] as? [String] == ["ada@example.com"])
        #expect(stored["subject"] as? String == "Ada, 15% off ✨" && (stored["body"] as? String)?.contains("https://t.example.com/c/") == true)

        let forged = AmazonSESProvider(accessKeyID: key, secretAccessKey: "not-the-secret", region: "us-east-1", baseURL: peer.url(""))
        let again = try await DeliveryBench(channel: .email, content: .email(ProviderCatalogueTests.email), users: [ProviderCatalogueTests.user])
        let refused = try await dispatcher(again, routes(.email, [ProviderRoute(forged)]), clock: TestClock(again.queuedAt), client: client).drain()
        await client.shutdown()
        #expect(refused.counts == [.dead: 1])
        let reason = try again.item("ada").reason?.text ?? ""
        #expect(reason.contains("SignatureDoesNotMatch"), "\(reason)")
    }

    @Test("SNS: a signed Publish to the phone number moto stores, with the message id from the XML answer")
    func sns() async throws {
        let (peer, key, secret) = try await moto()
        let client = CurlClient()
        let bench = try await DeliveryBench(channel: .sms, content: .sms(ProviderCatalogueTests.sms), users: [ProviderCatalogueTests.user])
        let provider = AmazonSNSProvider(accessKeyID: key, secretAccessKey: secret, region: "us-east-1", baseURL: peer.url(""), senderID: "Shop")
        let report = try await dispatcher(bench, routes(.sms, [ProviderRoute(provider)]), clock: TestClock(bench.queuedAt), client: client).drain()
        await client.shutdown()
        #expect(report.counts == [.sent: 1])
        let item = try bench.item("ada")
        #expect(item.providerMessageID?.isEmpty == false, "\(String(describing: item.reason))")
        let sms = ((try await motoData(peer))["sns"] as? [String: Any])?["SMS"] as? [[String: Any]] ?? []
        #expect(sms.count == 1, "moto stored: \(sms)")
        #expect(sms.first?["phone_number"] as? String == "+15550100" && sms.first?["message"] as? String == "Ada: code FIFTEEN")
    }

    @Test("AWS errors: throttling (x-amzn-ErrorType, XML Code) retried, a paused account retried later, a bad phone number a bad address")
    func errors() async throws {
        let sink = try await Sink.start()
        let ses = AmazonSESProvider(accessKeyID: "AKID", secretAccessKey: "secret", region: "eu-west-1", baseURL: sink.url(""))
        for (answer, expected) in [(["status": 400, "headers": [["x-amzn-ErrorType", "TooManyRequestsException:http://internal.amazon.com/"]]] as [String: Any], DispatchState.retrying),
                                   (["status": 400, "body": "{\"__type\": \"MessageRejected\", \"message\": \"Email address is not verified.\"}"], .dead),
                                   (["status": 400, "body": "{\"__type\": \"SendingPausedException\"}"], .retrying)] {
            let bench = try await DeliveryBench(channel: .email, content: .email(ProviderCatalogueTests.email), users: [ProviderCatalogueTests.user])
            try await sink.script("/v2/email/outbound-emails", [answer])
            let report = try await dispatcher(bench, routes(.email, [ProviderRoute(ses)]), clock: TestClock(bench.queuedAt), client: sink.client).drain()
            #expect(report.counts == [expected: 1], "\(answer)")
        }
        let request = try #require(try await sink.requests("/v2/email/outbound-emails").first)
        #expect(request.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID/") == true && request.header("Authorization")?.contains("/eu-west-1/ses/aws4_request") == true)
        let body = request.json
        #expect((body["EmailTags"] as? [[String: String]])?.first?["Name"] == "dispatch_id")
        #expect((body["FromEmailAddress"] as? String) == "=?UTF-8?B?\(Data("Shop Ö".utf8).base64EncodedString())?= <shop@example.com>")

        let sns = AmazonSNSProvider(accessKeyID: "AKID", secretAccessKey: "secret", region: "eu-west-1", baseURL: sink.url(""))
        func xmlError(_ code: String, _ message: String) -> [String: Any] {
            ["status": 400, "headers": [["Content-Type", "text/xml"]],
             "body": "<ErrorResponse><Error><Type>Sender</Type><Code>\(code)</Code><Message>\(message)</Message></Error></ErrorResponse>"]
        }
        for (answer, expected) in [(xmlError("Throttling", "Rate exceeded"), DispatchState.retrying),
                                   (xmlError("InvalidParameter", "Invalid parameter: PhoneNumber Reason: +1555 is not valid"), .badAddress),
                                   (xmlError("AuthorizationError", "not authorized"), .dead)] {
            let bench = try await DeliveryBench(channel: .sms, content: .sms(ProviderCatalogueTests.sms), users: [ProviderCatalogueTests.user])
            try await sink.script("/", [answer])
            let report = try await dispatcher(bench, routes(.sms, [ProviderRoute(sns)]), clock: TestClock(bench.queuedAt), client: sink.client).drain()
            #expect(report.counts == [expected: 1], "\(answer)")
        }
        let publish = try #require(try await sink.requests("/").first)
        #expect(publish.text.hasPrefix("Action=Publish&Version=2010-03-31&PhoneNumber=%2B15550100&Message=Ada%3A+code+FIFTEEN"))
        #expect(publish.text.contains("MessageAttributes.entry.1.Name=AWS.SNS.SMS.SMSType"))
    }
}
