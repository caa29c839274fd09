import ConnectorCore
import ConnectorStore
import CurlTransport
import Delivery
import Foundation
import PeerSupport
import Testing

/// The declarative providers of `Templates/providers/` against the scripted sink: the
/// request each service documents (method, path, auth, headers, every body field), and
/// each documented answer classified into the right outcome.
@Suite("Provider catalogue: the services' contracts, request and answers")
struct ProviderCatalogueTests {
    static let folder = Peer.repositoryRoot.appendingPathComponent("Templates/providers")

    static let email = EmailContent(fromName: "Shop Ö", fromAddress: "shop@example.com", replyTo: "help@example.com",
                                    subject: "{{ ${first_name} }}, 15% off ✨", html: "<p>Hi</p><a href=\"https://shop.example/sale\">Sale</a>",
                                    text: "Hi {{ ${first_name} }}", headers: [Header("X-Campaign", "spring")])
    static let sms = SMSContent(body: "{{ ${first_name} }}: code FIFTEEN", trackLinks: false)
    static let push = PushContent(title: "Hi {{ ${first_name} }}", body: "15% off", deepLink: "app://sale",
                                  buttons: [MessageButton(id: "shop", text: "Shop", action: .deepLink("app://shop"))],
                                  data: ["coupon": "FIFTEEN"], badge: 3, sound: "default", timeToLive: 3600, priority: .high)
    static let user = User(id: "ada", attributes: ["first_name": .string("Ada")],
                           addresses: [.email: "ada@example.com", .sms: "+15550100", .push: "ExponentPushToken[abc]"])

    /// Delivers one dispatch of `content` through provider file `kind` (base URL: the sink)
    /// after scripting `answers`; returns the report, the requests the sink saw and the item.
    func deliver(_ kind: String, _ content: ChannelContent, settings: String, path: String, answers: [[String: Any]] = [],
                 sink: Sink, tracking: Tracking? = testTracking) async throws -> (Dispatcher.Report, [Sink.Recorded], OutboxItem, DeliveryBench) {
        let file = try DeclarativeProviderFile(contentsOf: Self.folder.appendingPathComponent("\(kind).yaml"))
        let configuration = try DeliveryConfiguration.parse(
            "providers:\n  \(content.channel.rawValue):\n    - { kind: \(kind), base_url: '\(sink.url(""))', settings: \(settings) }\n",
            file: "p.yaml", environment: [:], declarative: [kind: file])
        let bench = try await DeliveryBench(channel: content.channel, content: content, users: [Self.user])
        if !answers.isEmpty { try await sink.script(path, answers) }
        let clock = TestClock(bench.queuedAt)
        let report = try await dispatcher(bench, configuration.routes, clock: clock, client: sink.client, tracking: tracking).drain()
        return (report, try await sink.requests(path), try bench.item("ada"), bench)
    }

    func form(_ request: Sink.Recorded) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in request.text.split(separator: "&") {
            // Form encoding: `+` is a space (twilio-python writes spaces so; we write %20).
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        return fields
    }

    @Test("SendGrid: bearer key, personalizations, from with name, reply_to, both contents, headers, custom_args; id from X-Message-Id")
    func sendgrid() async throws {
        let sink = try await Sink.start()
        let (report, requests, item, _) = try await deliver("sendgrid", .email(Self.email), settings: "{ api_key: SG.key, category: spring }",
                                                            path: "/v3/mail/send",
                                                            answers: [["status": 202, "headers": [["X-Message-Id", "sg-123"]], "body": ""]], sink: sink)
        #expect(report.counts == [.sent: 1] && item.providerMessageID == "sg-123")
        let request = try #require(requests.first)
        #expect(request.method == "POST" && request.header("Authorization") == "Bearer SG.key" && request.header("Content-Type") == "application/json")
        let body = request.json
        #expect((body["personalizations"] as? [[String: Any]])?.first?["to"] as? [[String: String]] == [["email": "ada@example.com"]])
        #expect(body["from"] as? [String: String] == ["email": "shop@example.com", "name": "Shop Ö"])
        #expect(body["reply_to"] as? [String: String] == ["email": "help@example.com"] && body["subject"] as? String == "Ada, 15% off ✨")
        let contents = try #require(body["content"] as? [[String: String]])
        #expect(contents.map { $0["type"] } == ["text/plain", "text/html"] && contents[0]["value"] == "Hi Ada")
        #expect(contents[1]["value"]?.contains("https://t.example.com/c/") == true)
        let headers = try #require(body["headers"] as? [String: String])
        #expect(headers["X-Campaign"] == "spring" && headers["X-Dispatch-ID"] == item.dispatch.id)
        #expect(headers["List-Unsubscribe"]?.hasPrefix("<https://t.example.com/u/") == true && headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
        #expect(body["custom_args"] as? [String: String] == ["dispatch_id": item.dispatch.id, "campaign": "F"])
        #expect(body["categories"] as? [String] == ["spring"])

        for (answer, expected) in [(["status": 429, "headers": [["Retry-After", "30"]]] as [String: Any], DispatchState.retrying),
                                   (["status": 400, "body": "{\"errors\": [{\"field\": \"from\", \"message\": \"bad\"}]}"], .dead)] {
            let (outcome, _, _, _) = try await deliver("sendgrid", .email(Self.email), settings: "{ api_key: k }", path: "/v3/mail/send",
                                                       answers: [answer], sink: sink)
            #expect(outcome.counts == [expected: 1])
        }
    }

    @Test("Mailgun: basic api:key, form fields (from, to, subject, text, html, h:, o:tracking, v:dispatch_id); id from the JSON")
    func mailgun() async throws {
        let sink = try await Sink.start()
        let (report, requests, item, _) = try await deliver(
            "mailgun", .email(Self.email), settings: "{ api_key: key-1, domain: mg.example.com, tag: spring }", path: "/v3/mg.example.com/messages",
            answers: [["status": 200, "body": "{\"id\": \"<20260302.1@mg.example.com>\", \"message\": \"Queued. Thank you.\"}"]], sink: sink)
        #expect(report.counts == [.sent: 1] && item.providerMessageID == "<20260302.1@mg.example.com>")
        let request = try #require(requests.first)
        #expect(request.header("Authorization") == "Basic " + Data("api:key-1".utf8).base64EncodedString())
        #expect(request.header("Content-Type") == "application/x-www-form-urlencoded")
        let fields = form(request)
        #expect(fields["from"] == "Shop Ö <shop@example.com>" && fields["to"] == "ada@example.com" && fields["subject"] == "Ada, 15% off ✨")
        #expect(fields["text"] == "Hi Ada" && fields["html"]?.contains("https://t.example.com/c/") == true)
        #expect(fields["h:Reply-To"] == "help@example.com" && fields["h:X-Campaign"] == "spring" && fields["o:tag"] == "spring")
        #expect(fields["o:tracking"] == "no" && fields["v:dispatch_id"] == item.dispatch.id)
        #expect(fields["h:List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click")
    }

    @Test("Postmark: server token header, PascalCase fields, Metadata; ErrorCode 406 is a bad address, 422 otherwise permanent")
    func postmark() async throws {
        let sink = try await Sink.start()
        let (report, requests, item, _) = try await deliver(
            "postmark", .email(Self.email), settings: "{ server_token: pm-token }", path: "/email",
            answers: [["status": 200, "body": "{\"To\": \"ada@example.com\", \"ErrorCode\": 0, \"Message\": \"OK\", \"MessageID\": \"b7bc2f4a\"}"]], sink: sink)
        #expect(report.counts == [.sent: 1] && item.providerMessageID == "b7bc2f4a")
        let request = try #require(requests.first)
        #expect(request.header("X-Postmark-Server-Token") == "pm-token" && request.header("Accept") == "application/json")
        let body = request.json
        #expect(body["From"] as? String == "Shop Ö <shop@example.com>" && body["To"] as? String == "ada@example.com")
        #expect(body["TextBody"] as? String == "Hi Ada" && body["ReplyTo"] as? String == "help@example.com")
        #expect(body["MessageStream"] as? String == "outbound" && body["TrackOpens"] as? Bool == false && body["TrackLinks"] as? String == "None")
        #expect(body["Metadata"] as? [String: String] == ["dispatch_id": item.dispatch.id, "campaign": "F"])
        let headers = try #require(body["Headers"] as? [[String: String]])
        #expect(headers.contains(["Name": "X-Campaign", "Value": "spring"]))

        let (inactive, _, _, bench) = try await deliver("postmark", .email(Self.email), settings: "{ server_token: t }", path: "/email",
                                                        answers: [["status": 422, "body": "{\"ErrorCode\": 406, \"Message\": \"Inactive recipient\"}"]], sink: sink)
        #expect(inactive.counts == [.badAddress: 1])
        #expect(try bench.store.suppression(of: "ada@example.com", on: .email) != nil)
        let (invalid, _, _, _) = try await deliver("postmark", .email(Self.email), settings: "{ server_token: t }", path: "/email",
                                                   answers: [["status": 422, "body": "{\"ErrorCode\": 300, \"Message\": \"Invalid email request\"}"]], sink: sink)
        #expect(invalid.counts == [.dead: 1])
    }

    @Test("Resend: bearer key, Idempotency-Key stable per dispatch, from with name, tags; a concurrent idempotent request is retried")
    func resend() async throws {
        let sink = try await Sink.start()
        let (report, requests, item, _) = try await deliver("resend", .email(Self.email), settings: "{ api_key: re_123 }", path: "/emails",
                                                            answers: [["status": 200, "body": "{\"id\": \"49a3999c\"}"]], sink: sink)
        #expect(report.counts == [.sent: 1] && item.providerMessageID == "49a3999c")
        let request = try #require(requests.first)
        #expect(request.header("Authorization") == "Bearer re_123")
        let key = try #require(request.header("Idempotency-Key"))
        #expect(key.count == 64, "a SHA-256 of the dispatch's key")
        let body = request.json
        #expect(body["from"] as? String == "Shop Ö <shop@example.com>" && body["to"] as? [String] == ["ada@example.com"])
        #expect(body["tags"] as? [[String: String]] == [["name": "dispatch_id", "value": item.dispatch.id]])
        let (busy, again, _, _) = try await deliver("resend", .email(Self.email), settings: "{ api_key: re_123 }", path: "/emails",
                                                    answers: [["status": 409, "body": "{\"name\": \"concurrent_idempotent_requests\"}"]], sink: sink)
        #expect(busy.counts == [.retrying: 1])
        #expect(again.last?.header("Idempotency-Key") == key, "the same dispatch sends the same key")
    }

    @Test("Twilio: basic SID:token, form To/From/Body/StatusCallback with the dispatch id; 201 sent; 21610 (unsubscribed) a bad address")
    func twilio() async throws {
        let sink = try await Sink.start()
        let settings = "{ account_sid: AC123, auth_token: tok, from: '+15550199', status_callback: 'https://hooks.example.com/twilio/status' }"
        let (report, requests, item, _) = try await deliver("twilio", .sms(Self.sms), settings: settings, path: "/2010-04-01/Accounts/AC123/Messages.json",
                                                            answers: [["status": 201, "body": "{\"sid\": \"SM0001\", \"status\": \"queued\"}"]], sink: sink)
        #expect(report.counts == [.sent: 1] && item.providerMessageID == "SM0001")
        let request = try #require(requests.first)
        #expect(request.header("Authorization") == "Basic " + Data("AC123:tok".utf8).base64EncodedString())
        let fields = form(request)
        #expect(fields["To"] == "+15550100" && fields["From"] == "+15550199" && fields["Body"] == "Ada: code FIFTEEN")
        #expect(fields["StatusCallback"] == "https://hooks.example.com/twilio/status?dispatch_id=\(item.dispatch.id)")
        let (stopped, _, _, _) = try await deliver("twilio", .sms(Self.sms), settings: settings, path: "/2010-04-01/Accounts/AC123/Messages.json",
                                                   answers: [["status": 400, "body": "{\"code\": 21610, \"message\": \"Attempt to send to unsubscribed recipient\", \"status\": 400}"]], sink: sink)
        #expect(stopped.counts == [.badAddress: 1])
        let (throttled, _, _, _) = try await deliver("twilio", .sms(Self.sms), settings: settings, path: "/2010-04-01/Accounts/AC123/Messages.json",
                                                     answers: [["status": 429, "body": "{\"code\": 20429, \"message\": \"Too Many Requests\"}"]], sink: sink)
        #expect(throttled.counts == [.retrying: 1])
    }

    @Test("Vonage: 200 with a failed status is not sent: '0' sent, '1' throttled retried, '7' barred a bad address, others permanent")
    func vonage() async throws {
        let sink = try await Sink.start()
        let settings = "{ api_key: k1, api_secret: s1, from: Shop }"
        func answer(_ status: String) -> [String: Any] {
            ["status": 200, "body": "{\"message-count\": \"1\", \"messages\": [{\"to\": \"15550100\", \"message-id\": \"0A0000000123ABCD1\", \"status\": \"\(status)\"}]}"]
        }
        let (report, requests, item, _) = try await deliver("vonage", .sms(Self.sms), settings: settings, path: "/sms/json", answers: [answer("0")], sink: sink)
        #expect(report.counts == [.sent: 1] && item.providerMessageID == "0A0000000123ABCD1")
        let fields = form(try #require(requests.first))
        #expect(fields["to"] == "15550100" && fields["from"] == "Shop" && fields["text"] == "Ada: code FIFTEEN" && fields["client-ref"] == item.dispatch.id)
        #expect(fields["type"] == nil, "GSM-7 text is sent as text")
        for (status, expected) in [("1", DispatchState.retrying), ("7", .badAddress), ("4", .dead)] {
            let (outcome, _, _, _) = try await deliver("vonage", .sms(Self.sms), settings: settings, path: "/sms/json", answers: [answer(status)], sink: sink)
            #expect(outcome.counts == [expected: 1], "status \(status)")
        }
    }

    @Test("OneSignal: Key auth, external id, a UUID idempotency key stable per dispatch, contents/headings/buttons/data; 200 without an id sent nothing")
    func onesignal() async throws {
        let sink = try await Sink.start()
        let settings = "{ app_id: app-1, api_key: os-key }"
        let (report, requests, item, _) = try await deliver("onesignal", .push(Self.push), settings: settings, path: "/notifications",
                                                            answers: [["status": 200, "body": "{\"id\": \"b98881cc-1e94-4366-bbd9-db8f3429292b\"}"]], sink: sink)
        #expect(report.counts == [.sent: 1] && item.providerMessageID == "b98881cc-1e94-4366-bbd9-db8f3429292b")
        let request = try #require(requests.first)
        #expect(request.header("Authorization") == "Key os-key")
        let body = request.json
        #expect(body["app_id"] as? String == "app-1" && body["target_channel"] as? String == "push")
        #expect(body["include_aliases"] as? [String: [String]] == ["external_id": ["ada"]])
        let key = try #require(body["idempotency_key"] as? String)
        #expect(UUID(uuidString: key) != nil && key.dropFirst(14).first == "5", "a version 5 UUID")
        #expect(body["contents"] as? [String: String] == ["en": "15% off"] && body["headings"] as? [String: String] == ["en": "Hi Ada"])
        #expect(body["buttons"] as? [[String: String]] == [["id": "shop", "text": "Shop"]] && body["ttl"] as? Int == 3600)
        #expect(body["data"] as? [String: String] == ["dispatch_id": item.dispatch.id, "coupon": "FIFTEEN"])
        let (nothing, again, _, _) = try await deliver("onesignal", .push(Self.push), settings: settings, path: "/notifications",
                                                       answers: [["status": 200, "body": "{\"id\": \"\", \"errors\": [\"All included players are not subscribed\"]}"]], sink: sink)
        #expect(nothing.counts == [.dead: 1])
        #expect(again.last?.json["idempotency_key"] as? String == key)
    }

    @Test("Expo: one ticket per message; DeviceNotRegistered is a bad address, MessageRateExceeded retried, other ticket errors permanent")
    func expo() async throws {
        let sink = try await Sink.start()
        let (report, requests, item, _) = try await deliver("expo", .push(Self.push), settings: "{}", path: "/--/api/v2/push/send",
                                                            answers: [["status": 200, "body": "{\"data\": [{\"status\": \"ok\", \"id\": \"XXXX-1\"}]}"]], sink: sink)
        #expect(report.counts == [.sent: 1] && item.providerMessageID == "XXXX-1")
        let request = try #require(requests.first)
        #expect(request.header("Authorization") == nil, "no access token configured")
        let messages = try #require(try JSONSerialization.jsonObject(with: request.body) as? [[String: Any]])
        #expect(messages.count == 1 && messages[0]["to"] as? String == "ExponentPushToken[abc]" && messages[0]["title"] as? String == "Hi Ada")
        #expect(messages[0]["badge"] as? Int == 3 && messages[0]["ttl"] as? Int == 3600 && messages[0]["priority"] as? String == "high")
        #expect(messages[0]["data"] as? [String: String] == ["dispatch_id": item.dispatch.id, "url": "app://sale", "coupon": "FIFTEEN"])
        for (error, expected) in [("DeviceNotRegistered", DispatchState.badAddress), ("MessageRateExceeded", .retrying), ("MessageTooBig", .dead)] {
            let (outcome, _, _, _) = try await deliver(
                "expo", .push(Self.push), settings: "{ access_token: tok }", path: "/--/api/v2/push/send",
                answers: [["status": 200, "body": "{\"data\": [{\"status\": \"error\", \"message\": \"x\", \"details\": {\"error\": \"\(error)\"}}]}"]], sink: sink)
            #expect(outcome.counts == [expected: 1], "\(error)")
        }
        #expect(try await sink.requests("/--/api/v2/push/send").last?.header("Authorization") == "Bearer tok")
    }
}
