import PeerSupport
import CurlTransport
import Foundation
import Testing

/// Text between `<tag>` and `</tag>`.
private func xmlValue(_ tag: String, in text: String) -> String? {
    guard let start = text.range(of: "<\(tag)>"), let end = text.range(of: "</\(tag)>", range: start.upperBound..<text.endIndex) else {
        return nil
    }
    return String(text[start.upperBound..<end.lowerBound])
}

private func form(_ fields: [(String, String)]) -> [UInt8] {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return Array(fields.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
        .joined(separator: "&").utf8)
}

@Suite("AWS SigV4 against moto_server, which checks signatures")
struct SigV4Tests {
    @Test("a signed SES v2 send is accepted; a wrong secret is refused")
    func sesV2() async throws {
        // moto accepts the first 3 requests unsigned (IAM bootstrap), then verifies every signature.
        let peer = try await Peer.start("moto_peer.py", ["3"], needs: "moto[server]")
        try await withClient { client in
            let bootstrap = AWSSigV4Credentials(accessKeyID: "AKIDBOOTSTRAP", secretAccessKey: "bootstrap", region: "us-east-1", service: "iam")
            func iam(_ fields: [(String, String)]) async throws -> String {
                let response = try await client.execute(HTTPRequest(
                    method: .post, url: peer.url("/"),
                    headers: ["Content-Type": "application/x-www-form-urlencoded"],
                    body: form(fields + [("Version", "2010-05-08")]),
                    authentication: .awsSigV4(bootstrap)
                ))
                #expect(response.status == 200, "IAM bootstrap failed: \(response.bodyText)")
                return response.bodyText
            }
            _ = try await iam([("Action", "CreateUser"), ("UserName", "connector")])
            let keyXML = try await iam([("Action", "CreateAccessKey"), ("UserName", "connector")])
            let policy = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#
            _ = try await iam([("Action", "PutUserPolicy"), ("UserName", "connector"), ("PolicyName", "all"), ("PolicyDocument", policy)])
            let keyID = try #require(xmlValue("AccessKeyId", in: keyXML))
            let secret = try #require(xmlValue("SecretAccessKey", in: keyXML))

            let ses = AWSSigV4Credentials(accessKeyID: keyID, secretAccessKey: secret, region: "us-east-1", service: "ses")
            func sesPost(_ path: String, _ json: String, _ credentials: AWSSigV4Credentials) async throws -> HTTPResponse {
                try await client.execute(HTTPRequest(
                    method: .post, url: peer.url(path),
                    headers: ["Content-Type": "application/json"], body: Array(json.utf8),
                    authentication: .awsSigV4(credentials)
                ))
            }
            let identity = try await sesPost("/v2/email/identities", #"{"EmailIdentity":"news@example.com"}"#, ses)
            #expect(identity.status == 200, "\(identity.bodyText)")

            let email = #"{"FromEmailAddress":"news@example.com","Destination":{"ToAddresses":["ada@example.com"]},"Content":{"Simple":{"Subject":{"Data":"Your order has shipped"},"Body":{"Text":{"Data":"Hi Ada"}}}}}"#
            let sent = try await sesPost("/v2/email/outbound-emails", email, ses)
            #expect(sent.status == 200, "\(sent.bodyText)")
            let messageID = try JSONSerialization.jsonObject(with: Data(sent.body)) as? [String: Any]
            #expect((messageID?["MessageId"] as? String)?.isEmpty == false)

            var forged = ses
            forged.secretAccessKey = "not-the-secret"
            let refused = try await sesPost("/v2/email/outbound-emails", email, forged)
            #expect(refused.status == 403)
            #expect(refused.bodyText.contains("SignatureDoesNotMatch"))

            let data = try await client.execute(HTTPRequest(url: peer.url("/moto-api/data.json")))
            let json = try JSONSerialization.jsonObject(with: Data(data.body)) as? [String: Any]
            let messages = (json?["ses"] as? [String: Any])?["Message"] as? [[String: Any]] ?? []
            #expect(messages.count == 1, "exactly the signed message was sent: \(messages.count)")
        }
    }
}
