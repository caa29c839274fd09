import ChildProcess
import ConnectorCore
import Delivery
import Foundation
import PeerSupport
import Testing

/// Each provider's request next to what the service's official Python SDK sends for the
/// same message, both captured by the same loopback sink: the bodies must be equal field
/// by field; the differences that remain are deliberate and named here.
@Suite("Fidelity: our requests against the official SDKs' (sendgrid, twilio, postmarker, resend, exponent_server_sdk)")
struct SDKFidelityTests {
    let catalogue = ProviderCatalogueTests()

    /// Runs Tests/Peers/sdk_send.py for `sdk` with `message` against `base`.
    func sdkSend(_ sdk: String, base: String, message: [String: Any]) async throws {
        let spec = String(decoding: try JSONSerialization.data(withJSONObject: ["sdk": sdk, "base": base, "message": message]), as: UTF8.self)
        let script = Peer.repositoryRoot.appendingPathComponent("Tests/Peers/sdk_send.py").path
        let process = try ChildProcess(executable: "/usr/bin/env", arguments: [Peer.python, script, spec], standardError: .standardOutput)
        let (output, _) = await process.outputAndTermination()
        let text = String(decoding: output, as: UTF8.self)
        #expect(text.hasSuffix("SENT\n"), "the \(sdk) SDK did not send (install the SDKs with scripts/install-peers.sh): \(text.suffix(1500))")
    }

    func object(_ data: Data) -> NSObject? { (try? JSONSerialization.jsonObject(with: data)) as? NSObject }

    @Test("SendGrid: the same JSON as sendgrid-python 6.12 (Mail with from name, reply-to, both contents, headers, custom args, category, tracking off)")
    func sendgrid() async throws {
        let sink = try await Sink.start()
        try await sink.script("/v3/mail/send", [["status": 202, "body": ""], ["status": 202, "body": ""]])
        let (_, ours, _, _) = try await catalogue.deliver("sendgrid", .email(ProviderCatalogueTests.email), settings: "{ api_key: SG.key, category: spring }",
                                                          path: "/v3/mail/send", sink: sink)
        let mine = try #require(ours.first)
        let body = mine.json
        let contents = try #require(body["content"] as? [[String: String]])
        let headers = try #require(body["headers"] as? [String: String])
        let customArgs = try #require(body["custom_args"] as? [String: String])
        try await sdkSend("sendgrid", base: sink.url(""), message: [
            "api_key": "SG.key", "from_address": "shop@example.com", "from_name": "Shop Ö", "to": "ada@example.com", "subject": "Ada, 15% off ✨",
            "text": contents[0]["value"] ?? "", "html": contents[1]["value"] ?? "", "reply_to": "help@example.com", "category": "spring",
            "headers": headers.sorted { $0.key < $1.key }.map { [$0.key, $0.value] },
            "custom_args": customArgs.sorted { $0.key < $1.key }.map { [$0.key, $0.value] },
        ])
        let sdk = try #require(try await sink.requests("/v3/mail/send").last)
        #expect(object(mine.body) == object(sdk.body), "ours: \(mine.text)\nsdk:  \(sdk.text)")
        #expect(mine.header("Authorization") == sdk.header("Authorization") && mine.method == sdk.method && mine.path == sdk.path)
    }

    @Test("Twilio: the same form as twilio-python 9.13 (To, From, Body, StatusCallback) and the same basic auth")
    func twilio() async throws {
        let sink = try await Sink.start()
        let path = "/2010-04-01/Accounts/AC123/Messages.json"
        let created: [String: Any] = ["status": 201, "body": "{\"sid\": \"SM0001\", \"status\": \"queued\"}"]
        try await sink.script(path, [created, created])
        let (_, _, item, _) = try await catalogue.deliver(
            "twilio", .sms(ProviderCatalogueTests.sms),
            settings: "{ account_sid: AC123, auth_token: tok, from: '+15550199', status_callback: 'https://hooks.example.com/twilio/status' }", path: path, sink: sink)
        try await sdkSend("twilio", base: sink.url(""), message: [
            "account_sid": "AC123", "auth_token": "tok", "to": "+15550100", "from": "+15550199", "body": "Ada: code FIFTEEN",
            "status_callback": "https://hooks.example.com/twilio/status?dispatch_id=\(item.dispatch.id)",
        ])
        let requests = try await sink.requests(path)
        let (mine, sdk) = (try #require(requests.first), try #require(requests.last))
        #expect(requests.count == 2 && catalogue.form(mine) == catalogue.form(sdk), "ours: \(mine.text)\nsdk:  \(sdk.text)")
        #expect(mine.header("Authorization") == sdk.header("Authorization"))
        #expect(mine.header("Content-Type") == sdk.header("Content-Type"))
    }

    @Test("Postmark: the same JSON as postmarker 1.0 (PascalCase fields, Headers as Name/Value pairs, Metadata, stream, tracking off)")
    func postmark() async throws {
        let sink = try await Sink.start()
        let ok: [String: Any] = ["status": 200, "body": "{\"ErrorCode\": 0, \"Message\": \"OK\", \"MessageID\": \"m1\", \"To\": \"ada@example.com\"}"]
        try await sink.script("/email", [ok, ok])
        let (_, ours, _, _) = try await catalogue.deliver("postmark", .email(ProviderCatalogueTests.email), settings: "{ server_token: pm-token }",
                                                          path: "/email", sink: sink)
        let mine = try #require(ours.first)
        let body = mine.json
        let headers = try #require(body["Headers"] as? [[String: String]])
        try await sdkSend("postmarker", base: sink.url(""), message: [
            "server_token": "pm-token", "From": body["From"] ?? "", "To": "ada@example.com", "Subject": body["Subject"] ?? "",
            "TextBody": body["TextBody"] ?? "", "HtmlBody": body["HtmlBody"] ?? "", "ReplyTo": "help@example.com",
            "Headers": Dictionary(headers.map { ($0["Name"] ?? "", $0["Value"] ?? "") }, uniquingKeysWith: { $1 }),
            "Metadata": body["Metadata"] ?? [:], "MessageStream": "outbound",
        ])
        let sdk = try #require(try await sink.requests("/email").last)
        // postmarker writes the headers object in the order of the dictionary it was given:
        // compared as sets of pairs.
        var (left, right) = (body, sdk.json)
        let ourHeaders = Set(headers.map { "\($0["Name"] ?? ""): \($0["Value"] ?? "")" })
        let sdkHeaders = Set(((right["Headers"] as? [[String: String]]) ?? []).map { "\($0["Name"] ?? ""): \($0["Value"] ?? "")" })
        #expect(ourHeaders == sdkHeaders)
        left["Headers"] = nil
        right["Headers"] = nil
        // Deliberate: postmarker writes every field it knows, null or empty (Tag, Cc, Bcc,
        // Attachments); we leave out what the message does not have.
        for (key, value) in right where value is NSNull || (value as? [Any])?.isEmpty == true { right[key] = nil }
        #expect(NSDictionary(dictionary: left) == NSDictionary(dictionary: right), "ours: \(mine.text)\nsdk:  \(sdk.text)")
        #expect(mine.header("X-Postmark-Server-Token") == sdk.header("X-Postmark-Server-Token") && mine.header("Accept") == sdk.header("Accept"))
    }

    @Test("Resend: the same JSON as resend-python 2.52 and the same Idempotency-Key header")
    func resend() async throws {
        let sink = try await Sink.start()
        let ok: [String: Any] = ["status": 200, "body": "{\"id\": \"49a3999c\"}"]
        try await sink.script("/emails", [ok, ok])
        let (_, ours, _, _) = try await catalogue.deliver("resend", .email(ProviderCatalogueTests.email), settings: "{ api_key: re_123 }",
                                                          path: "/emails", sink: sink)
        let mine = try #require(ours.first)
        try await sdkSend("resend", base: sink.url(""), message: [
            "api_key": "re_123", "params": mine.json, "idempotency_key": mine.header("Idempotency-Key") ?? "",
        ])
        let sdk = try #require(try await sink.requests("/emails").last)
        #expect(object(mine.body) == object(sdk.body), "ours: \(mine.text)\nsdk:  \(sdk.text)")
        #expect(mine.header("Idempotency-Key") == sdk.header("Idempotency-Key") && mine.header("Authorization") == sdk.header("Authorization"))
    }

    @Test("Expo: the same ticket request as exponent_server_sdk 2.2 for the fields both send")
    func expo() async throws {
        let sink = try await Sink.start()
        let ok: [String: Any] = ["status": 200, "body": "{\"data\": [{\"status\": \"ok\", \"id\": \"XXXX-1\"}]}"]
        try await sink.script("/--/api/v2/push/send", [ok, ok])
        let (_, ours, _, _) = try await catalogue.deliver("expo", .push(ProviderCatalogueTests.push), settings: "{}", path: "/--/api/v2/push/send", sink: sink)
        let mine = try #require(ours.first)
        let message = try #require((try JSONSerialization.jsonObject(with: mine.body) as? [[String: Any]])?.first)
        try await sdkSend("exponent_server_sdk", base: sink.url(""), message: [
            "to": message["to"] ?? "", "title": message["title"] ?? NSNull(), "subtitle": NSNull(), "body": message["body"] ?? "",
            "data": message["data"] ?? [:], "ttl": message["ttl"] ?? NSNull(), "priority": message["priority"] ?? NSNull(),
            "sound": message["sound"] ?? NSNull(), "badge": message["badge"] ?? NSNull(), "category": NSNull(),
        ])
        let sdk = try #require(try await sink.requests("/--/api/v2/push/send").last)
        let theirs = try #require((try JSONSerialization.jsonObject(with: sdk.body) as? [[String: Any]])?.first)
        for key in Set(message.keys).intersection(theirs.keys) {
            #expect((message[key] as? NSObject) == (theirs[key] as? NSObject), "\(key): ours \(String(describing: message[key])), sdk \(String(describing: theirs[key]))")
        }
        // Deliberate: the SDK always writes its defaults (channelId, mutableContent, ...);
        // we send only what the campaign sets. Every field we send, the SDK sends too.
        #expect(Set(message.keys).isSubset(of: Set(theirs.keys)), "ours only: \(Set(message.keys).subtracting(theirs.keys))")
    }
}

@Suite("Fidelity: SES v2 and SNS against boto3 (botocore)")
struct AWSFidelityTests {
    let fidelity = SDKFidelityTests()

    @Test("SES v2 SendEmail: the same JSON as boto3's sesv2.send_email, signed for the same service and region")
    func ses() async throws {
        let sink = try await Sink.start()
        let ok: [String: Any] = ["status": 200, "body": "{\"MessageId\": \"0100018e\"}"]
        try await sink.script("/v2/email/outbound-emails", [ok, ok])
        let bench = try await DeliveryBench(channel: .email, content: .email(ProviderCatalogueTests.email), users: [ProviderCatalogueTests.user])
        let provider = AmazonSESProvider(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret", region: "eu-west-1", baseURL: sink.url(""),
                                         configurationSet: "follow-ups")
        _ = try await dispatcher(bench, routes(.email, [ProviderRoute(provider)]), clock: TestClock(bench.queuedAt), client: sink.client,
                                 tracking: testTracking).drain()
        let mine = try #require(try await sink.requests("/v2/email/outbound-emails").first)
        try await fidelity.sdkSend("boto3_ses", base: sink.url(""), message: [
            "region": "eu-west-1", "key": "AKIDEXAMPLE", "secret": "secret", "params": mine.json,
        ])
        let sdk = try #require(try await sink.requests("/v2/email/outbound-emails").last)
        #expect(fidelity.object(mine.body) == fidelity.object(sdk.body), "ours: \(mine.text)\nsdk:  \(sdk.text)")
        // Both sign for ses in eu-west-1 with the same key (the dates differ).
        func scope(_ request: Sink.Recorded) -> String? {
            request.header("Authorization")?.split(separator: " ").first { $0.hasPrefix("Credential=") }.map { String($0.split(separator: "/").dropFirst(2).joined(separator: "/")) }
        }
        #expect(scope(mine) != nil && scope(mine) == scope(sdk))
        #expect(mine.header("Authorization")?.hasPrefix("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/") == true)
    }

    @Test("SNS Publish: the same form fields as boto3's sns.publish with the SMS attributes")
    func sns() async throws {
        let sink = try await Sink.start()
        let ok: [String: Any] = ["status": 200, "headers": [["Content-Type", "text/xml"]],
                                 "body": "<PublishResponse><PublishResult><MessageId>m-1</MessageId></PublishResult></PublishResponse>"]
        try await sink.script("/", [ok, ok])
        let bench = try await DeliveryBench(channel: .sms, content: .sms(ProviderCatalogueTests.sms), users: [ProviderCatalogueTests.user])
        let provider = AmazonSNSProvider(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "secret", region: "eu-west-1", baseURL: sink.url(""), senderID: "Shop")
        _ = try await dispatcher(bench, routes(.sms, [ProviderRoute(provider)]), clock: TestClock(bench.queuedAt), client: sink.client).drain()
        let mine = try #require(try await sink.requests("/").first)
        try await fidelity.sdkSend("boto3_sns", base: sink.url(""), message: [
            "region": "eu-west-1", "key": "AKIDEXAMPLE", "secret": "secret",
            "params": ["PhoneNumber": "+15550100", "Message": "Ada: code FIFTEEN", "MessageAttributes": [
                "AWS.SNS.SMS.SMSType": ["DataType": "String", "StringValue": "Transactional"],
                "AWS.SNS.SMS.SenderID": ["DataType": "String", "StringValue": "Shop"],
            ]],
        ])
        let sdk = try #require(try await sink.requests("/").last)
        // The attribute map's entries are numbered in the order of the map the SDK was
        // given: compared by name.
        func normalized(_ request: Sink.Recorded) -> [String: String] {
            let fields = ProviderCatalogueTests().form(request)
            var out = fields.filter { !$0.key.hasPrefix("MessageAttributes.") }
            for (key, name) in fields where key.hasPrefix("MessageAttributes.entry.") && key.hasSuffix(".Name") {
                let prefix = String(key.dropLast(".Name".count))
                out["attribute \(name)"] = "\(fields[prefix + ".Value.DataType"] ?? "")=\(fields[prefix + ".Value.StringValue"] ?? "")"
            }
            return out
        }
        #expect(normalized(mine) == normalized(sdk), "ours: \(mine.text)\nsdk:  \(sdk.text)")
        #expect(normalized(mine)["attribute AWS.SNS.SMS.SenderID"] == "String=Shop")
    }
}
