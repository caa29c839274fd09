import Delivery
import Foundation
import Testing

@Suite("Standard Webhooks signatures")
struct StandardWebhookSignatureTests {
    let secret = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    let id = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"
    let timestamp = 1_674_087_231
    let body = Data(#"{"type":"email.opened","timestamp":"2023-01-19T00:13:51Z","data":{"message_id":"m-1"}}"#.utf8)

    @Test("the test vector of PROVIDERS.md")
    func vector() throws {
        let signer = try StandardWebhookSignature(secret: secret)
        #expect(signer.signature(id: id, timestamp: timestamp, body: body) == "v1,ExV0XJjHwy2HbP3h+/bamzanMgfSIU3jEPgtoyusEq4=")
        #expect(signer.headers(id: id, timestamp: timestamp, body: body).map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
    }

    @Test("verification: the right signature among several passes; a changed byte, an old timestamp or another key fail")
    func verification() throws {
        let signer = try StandardWebhookSignature(secret: secret)
        let now = Date(timeIntervalSince1970: Double(timestamp) + 60)
        let header = "v1,bm90IHRoaXMgb25l " + signer.signature(id: id, timestamp: timestamp, body: body)
        #expect(signer.verify(header: header, id: id, timestamp: timestamp, body: body, now: now))
        var changed = body
        changed[10] ^= 1
        #expect(!signer.verify(header: header, id: id, timestamp: timestamp, body: changed, now: now))
        #expect(!signer.verify(header: header, id: id + "x", timestamp: timestamp, body: body, now: now))
        #expect(!signer.verify(header: header, id: id, timestamp: timestamp, body: body, now: now.addingTimeInterval(3600)), "a replay an hour later")
        let other = try StandardWebhookSignature(secret: "whsec_" + Data(repeating: 7, count: 32).base64EncodedString())
        #expect(!other.verify(header: header, id: id, timestamp: timestamp, body: body, now: now))
    }

    @Test("a secret that is not base64 is refused without repeating it")
    func badSecret() {
        #expect(throws: StandardWebhookSignature.InvalidSecret.self) { try StandardWebhookSignature(secret: "whsec_not*base64!") }
        do {
            _ = try StandardWebhookSignature(secret: "whsec_s3cr3t*value")
        } catch {
            #expect(!error.description.contains("s3cr3t"))
        }
    }
}
