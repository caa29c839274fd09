import ConnectorCore
import ConnectorService
import Crypto
import CurlTransport
import Delivery
import Foundation
import Logging
import Testing

/// An event webhook kind registered by a package, configured under `webhooks:` and served
/// at `/v1/webhooks/NAME` by an embedded service, over real HTTP.
@Suite("Webhook kinds registered from Swift")
struct ServiceWebhookKindTests {
    /// ACME signs the body with HMAC-SHA256, hex in `X-Acme-Signature`.
    struct AcmeEvents: EventWebhook {
        let key: Data
        func events(from request: WebhookRequest, now: Date) throws(WebhookVerificationError) -> [ProviderEvent] {
            guard let given = request.header("X-Acme-Signature").flatMap(Self.bytes(hex:)),
                  HMAC<SHA256>.isValidAuthenticationCode(given, authenticating: request.body, using: SymmetricKey(data: key)) else {
                throw WebhookVerificationError(.badSignature, "the signature does not match")
            }
            guard let object = (try? JSONSerialization.jsonObject(with: request.body)) as? [String: Any],
                  let id = object["id"] as? String, let dispatch = object["dispatch_id"] as? String else {
                throw WebhookVerificationError(.malformed, "expected {id, dispatch_id}")
            }
            return [ProviderEvent(id: id, kind: .delivered, dispatchID: dispatch, time: now)]
        }
        static func bytes(hex: String) -> [UInt8]? {
            let digits = Array(hex.utf8)
            guard digits.count % 2 == 0 else { return nil }
            var bytes: [UInt8] = []
            for index in stride(from: 0, to: digits.count, by: 2) {
                guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
                bytes.append(byte)
            }
            return bytes
        }
    }

    static var kinds: WebhookKinds {
        var kinds = WebhookKinds()
        kinds.register("acme", fields: ["signing_key"]) { entry in
            let key = try entry.child("signing_key").string()
            guard key.utf8.count >= 16 else { throw entry.child("signing_key").fail(.badValue, "use at least 16 characters") }
            return AcmeEvents(key: Data(key.utf8))
        }
        return kinds
    }

    static func configuration(_ webhooks: String, folder: URL) throws -> ServiceConfiguration {
        let file = folder.appendingPathComponent("connector.yaml")
        try """
            store: \(folder.appendingPathComponent("connector.sqlite").path)
            listen: "127.0.0.1:0"
            api_keys: [ { name: test, key: "webhook-kind-test-key-1", scopes: [ingest, admin, read] } ]
            tracking: { base_url: "http://127.0.0.1", key: "\(String(repeating: "t", count: 32))" }
            webhooks:
            \(webhooks)
            """.write(to: file, atomically: true, encoding: .utf8)
        return try ServiceConfiguration.load(contentsOf: file, environment: ["ACME_KEY": "acme-signing-key-0001"], webhookKinds: kinds)
    }

    @Test("a registered kind is configured by name; its own checks, unknown fields and unknown kinds fail with the line")
    func configured() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-kinds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = try Self.configuration("  acme: { kind: acme, signing_key: \"${ACME_KEY}\" }", folder: folder)
        #expect(good.webhooks["acme"]?.provider == "acme")
        for (entry, expected) in [
            ("  acme: { kind: acme, signing_key: short }", "webhooks.acme.signing_key: use at least 16 characters"),
            ("  acme: { kind: acme, signing_key: \"${ACME_KEY}\", colour: red }", "webhooks.acme.colour: unknown field"),
            ("  acme: { kind: acmee, signing_key: x }", "unknown webhook kind 'acmee'; known: sendgrid, mailgun, postmark, twilio, resend, ses, acme"),
        ] {
            do {
                _ = try Self.configuration(entry, folder: folder)
                Issue.record("loaded: \(entry)")
            } catch {
                #expect("\(error)".contains(expected) && "\(error)".contains("connector.yaml:6"), "\(error)")
            }
        }
    }

    @Test("R25: the service serves a registered kind: a signed call is accepted, a forged one is 401 and records nothing")
    func served() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-kinds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let configuration = try Self.configuration("  acme: { kind: acme, signing_key: \"${ACME_KEY}\" }", folder: folder)
        var logger = Logger(label: "webhook-kind-test")
        logger.logLevel = .error
        let service = try await ConnectorService.open(configuration, clock: .system, logger: logger)
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let running = Task { try await service.run { port in continuation.yield(port) } }
        var iterator = ports.makeAsyncIterator()
        let port = try #require(await iterator.next())
        let client = CurlClient()
        func post(_ body: String, signature: String) async throws -> HTTPResponse {
            try await client.execute(HTTPRequest(method: .post, url: "http://127.0.0.1:\(port)/v1/webhooks/acme",
                                                 headers: ["Content-Type": "application/json", "X-Acme-Signature": signature],
                                                 body: Array(body.utf8), httpVersion: .http1_1))
        }
        let body = #"{"id": "evt-1", "dispatch_id": "d_unknown"}"#
        let mac = HMAC<SHA256>.authenticationCode(for: Data(body.utf8), using: SymmetricKey(data: Data("acme-signing-key-0001".utf8)))
        let signature = mac.map { String(format: "%02x", $0) }.joined()
        do {
            let signed = try await post(body, signature: signature)
            #expect(signed.status == 200 && signed.bodyText.contains(#""events":1"#) && signed.bodyText.contains(#""unknown_dispatch":1"#),
                    "\(signed.bodyText)")
            let forged = try await post(body.replacingOccurrences(of: "evt-1", with: "evt-2"), signature: signature)
            #expect(forged.status == 401, "\(forged.bodyText)")
            let unsigned = try await post(body, signature: "00")
            #expect(unsigned.status == 401)
        } catch {
            Issue.record("\(error)")
        }
        await client.shutdown()
        await service.shutdown()
        try await running.value
    }
}
