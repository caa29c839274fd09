import _CryptoExtras
import ConnectorCore
import ConnectorStore
import CurlTransport
import Delivery
import Foundation
import PeerSupport
import Testing

/// FCM HTTP v1 against a loopback token endpoint that verifies the RS256 assertion and a
/// send endpoint that checks the bearer token.
@Suite("FCM: service-account OAuth (RS256), one token for many sends, refreshed once on 401")
struct FCMProviderTests {
    @Test("sends carry a token the endpoint issued; many at once fetch one token; a 401 refreshes once; UNREGISTERED suppresses")
    func fcm() async throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fcm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let publicKey = folder.appendingPathComponent("public.pem")
        try key.publicKey.pemRepresentation.write(to: publicKey, atomically: true, encoding: .utf8)
        let email = "connector@shop-project.iam.gserviceaccount.com"
        let peer = try await Peer.start("fcm_peer.py", ["WORKDIR", publicKey.path, email, "key-id-1"], needs: "cryptography")
        let account = try FCMProvider.ServiceAccount(json: try JSONSerialization.data(withJSONObject: [
            "type": "service_account", "project_id": "shop-project", "private_key_id": "key-id-1", "private_key": key.pemRepresentation,
            "client_email": email, "token_uri": peer.url("/token"),
        ]))
        let provider = try FCMProvider(account: account, baseURL: peer.url(""))

        let tokens = (0..<8).map { "fcm-token-\($0)" } + ["dead-token", "stale-token"]
        let users = tokens.enumerated().map { User(id: UserID("u\($0.offset)"), attributes: ["first_name": .string("U\($0.offset)")], addresses: [.push: $0.element]) }
        let content = PushContent(title: "Hi {{ ${first_name} }}", body: "15% off", image: "https://img.example/p.png", deepLink: "app://sale",
                                  buttons: [MessageButton(id: "shop", text: "Shop", action: .url("https://shop.example"))],
                                  data: ["coupon": "FIFTEEN"], badge: 2, sound: "default", timeToLive: 600, collapseID: "spring", priority: .normal,
                                  fcm: ["fcm_options": .object(["analytics_label": .string("spring")])])
        let bench = try await DeliveryBench(channel: .push, content: .push(content), users: users)
        let client = CurlClient()
        let clock = TestClock(Date())  // the endpoint checks iat against real time
        let worker = Dispatcher(store: bench.store, routes: routes(.push, [ProviderRoute(provider)]), client: client,
                                configuration: Dispatcher.Configuration(worker: "w", concurrency: 8), now: { clock.now })
        let report = try await worker.drain()
        await client.shutdown()
        #expect(report.counts == [.sent: 9, .badAddress: 1])
        #expect(try bench.store.suppression(of: "dead-token", on: .push)?.reason.text.contains("UNREGISTERED") == true)

        let lines = try String(contentsOf: peer.workdir.appendingPathComponent("requests.jsonl"), encoding: .utf8).split(separator: "\n")
        let requests = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let tokenCalls = requests.filter { $0["path"] as? String == "/token" }
        #expect(tokenCalls.count == 2, "one token for the eight sends in flight, one more after the 401")
        let sends = requests.filter { ($0["path"] as? String) == "/v1/projects/shop-project/messages:send" }
        // Ten sends and the retry after the 401 (a send in flight with the forgotten token
        // retries too, with the one new token).
        #expect(sends.count >= 11)
        let first = try #require(sends.first { ($0["body"] as? String)?.contains("fcm-token-0") == true })
        let body = try #require(try JSONSerialization.jsonObject(with: Data((first["body"] as? String ?? "").utf8)) as? [String: Any])
        let message = try #require(body["message"] as? [String: Any])
        let item = try bench.item("u0")
        #expect(message["token"] as? String == "fcm-token-0" && item.providerMessageID?.hasPrefix("projects/shop-project/messages/") == true)
        #expect(message["notification"] as? [String: String] == ["title": "Hi U0", "body": "15% off", "image": "https://img.example/p.png"])
        let data = try #require(message["data"] as? [String: String])
        #expect(data["dispatch_id"] == item.dispatch.id && data["deep_link"] == "app://sale" && data["coupon"] == "FIFTEEN")
        #expect(data["buttons"] == #"[{"id":"shop","text":"Shop","url":"https://shop.example"}]"#)
        let android = try #require(message["android"] as? [String: Any])
        #expect(android["ttl"] as? String == "600s" && android["priority"] as? String == "NORMAL" && android["collapse_key"] as? String == "spring")
        #expect((message["apns"] as? [String: Any]).flatMap { $0["headers"] as? [String: String] }?["apns-priority"] == "5")
        #expect(message["fcm_options"] as? [String: String] == ["analytics_label": "spring"])
    }
}
