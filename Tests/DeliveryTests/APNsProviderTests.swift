import ConnectorCore
import ConnectorStore
import Crypto
import CurlTransport
import Delivery
import Foundation
import PeerSupport
import Testing

/// APNs over HTTP/2 and TLS against a peer that verifies the ES256 provider token with the
/// public key.
@Suite("APNs: HTTP/2, ES256 provider tokens reused and renewed, payload and answers")
struct APNsProviderTests {
    @Test("pushes go over HTTP/2 with a verified token, minted once and renewed once on ExpiredProviderToken; Unregistered suppresses")
    func apns() async throws {
        let key = P256.Signing.PrivateKey()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("apns-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let publicKey = folder.appendingPathComponent("public.pem")
        try key.publicKey.pemRepresentation.write(to: publicKey, atomically: true, encoding: .utf8)
        let peer = try await Peer.start("apns_peer.py", ["WORKDIR", publicKey.path, "TEAM123456", "KEY1234567"], needs: "hypercorn, h2, cryptography")

        let tokens = ["a1b2c3d4e5f60718", "dead0000beef0001", "ee00000000000002"]
        let users = tokens.enumerated().map { index, token in
            User(id: UserID("u\(index)"), attributes: ["first_name": .string("User \(index)")], addresses: [.push: token])
        }
        let content = PushContent(title: "Hi {{ ${first_name} }}", body: "15% off", image: "https://img.example/p.png", deepLink: "app://sale",
                                  buttons: [MessageButton(id: "shop", text: "Shop", action: .deepLink("app://shop"))],
                                  data: ["coupon": "FIFTEEN"], badge: 1, sound: "default", category: "SALE", timeToLive: 3600,
                                  collapseID: "spring", priority: .high, apns: ["aps": .object(["interruption-level": .string("time-sensitive")])])
        let bench = try await DeliveryBench(channel: .push, content: .push(content), users: users)
        let provider = try APNsProvider(teamID: "TEAM123456", keyID: "KEY1234567", privateKey: key.pemRepresentation, topic: "com.example.shop",
                                        baseURL: peer.url("", scheme: "https"), tls: TLSConfiguration(caBundlePath: peer.caPath))
        let client = CurlClient()
        let clock = TestClock(Date())  // Apple refuses tokens issued more than an hour ago: real time
        let worker = Dispatcher(store: bench.store, routes: routes(.push, [ProviderRoute(provider)]), client: client,
                                configuration: Dispatcher.Configuration(worker: "w", concurrency: 1), now: { clock.now })
        let report = try await worker.drain()
        await client.shutdown()
        #expect(report.counts == [.sent: 2, .badAddress: 1])
        #expect(try bench.store.suppression(of: "dead0000beef0001", on: .push)?.reason.text.contains("Unregistered") == true)

        let lines = try String(contentsOf: peer.workdir.appendingPathComponent("requests.jsonl"), encoding: .utf8).split(separator: "\n")
        let requests = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(requests.count == 4, "three pushes and one retry after ExpiredProviderToken")
        #expect(requests.allSatisfy { $0["http_version"] as? String == "2" && $0["jwt_ok"] as? Bool == true })
        #expect(Set(requests.compactMap { $0["jwt"] as? String }).count == 2, "one token for all, one more after the peer called it expired")

        let first = try #require(requests.first { ($0["path"] as? String) == "/3/device/a1b2c3d4e5f60718" })
        let headers = try #require(first["headers"] as? [String: String])
        let item = try bench.item("u0")
        #expect(headers["apns-topic"] == "com.example.shop" && headers["apns-push-type"] == "alert" && headers["apns-priority"] == "10")
        #expect(headers["apns-collapse-id"] == "spring" && Int(headers["apns-expiration"] ?? "") == Int(clock.now.timeIntervalSince1970) + 3600)
        #expect(headers["apns-id"].flatMap(UUID.init(uuidString:)) != nil && item.providerMessageID == headers["apns-id"])
        let body = try #require(try JSONSerialization.jsonObject(with: Data((first["body"] as? String ?? "").utf8)) as? [String: Any])
        let aps = try #require(body["aps"] as? [String: Any])
        #expect(aps["alert"] as? [String: String] == ["title": "Hi User 0", "body": "15% off"])
        #expect(aps["badge"] as? Int == 1 && aps["sound"] as? String == "default" && aps["category"] as? String == "SALE")
        #expect(aps["mutable-content"] as? Int == 1 && aps["thread-id"] as? String == "spring" && aps["interruption-level"] as? String == "time-sensitive")
        #expect(body["dispatch_id"] as? String == item.dispatch.id && body["deep_link"] as? String == "app://sale" && body["coupon"] as? String == "FIFTEEN")
        #expect((body["buttons"] as? [[String: String]]) == [["id": "shop", "text": "Shop", "deep_link": "app://shop"]])
    }

    @Test("a payload over 4 KB and a non-hex token are refused before sending")
    func refusedBeforeSending() async throws {
        let key = P256.Signing.PrivateKey()
        let provider = try APNsProvider(teamID: "T", keyID: "K", privateKey: key.pemRepresentation, topic: "t", baseURL: "https://127.0.0.1:9")
        let big = PushMessage(token: "abcdef", body: String(repeating: "x", count: 5000))
        let dispatch = Dispatch(entry: WaitingEntry(followUp: "F", campaignVersion: 1, userID: "u", triggerEventID: "e", triggerTime: deliveryStart,
                                                    dueAt: deliveryStart), channel: .push, campaignVersion: 1, createdAt: deliveryStart)
        let client = CurlClient()
        defer { Task { await client.shutdown() } }
        let store = try SQLiteStore(path: FileManager.default.temporaryDirectory.appendingPathComponent("apns-\(UUID().uuidString).sqlite").path)
        let context = ProviderContext(client: client, store: store)
        let tooBig = await provider.send(OutgoingMessage(message: .push(big), dispatch: dispatch, sentAt: deliveryStart), context: context)
        #expect(tooBig.outcome == .permanent(reason: "the payload is 5041 bytes; APNs takes at most 4096") || tooBig.outcome.code == "permanent")
        let notHex = await provider.send(OutgoingMessage(message: .push(PushMessage(token: "ExponentPushToken[x]", body: "x")), dispatch: dispatch,
                                                         sentAt: deliveryStart), context: context)
        #expect(notHex.outcome == .permanent(reason: "the device token is not hexadecimal"))
    }
}
