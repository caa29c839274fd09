import PeerSupport
import CurlTransport
import Foundation
import Testing

/// One message the SMTP peer accepted.
private struct Delivered: Decodable {
    let mail_from: String
    let rcpt_tos: [String]
    let data_b64: String
    let auth_user: String?
    var data: [UInt8] { Array(Data(base64Encoded: data_b64) ?? Data()) }
}

private func delivered(_ peer: Peer) throws -> [Delivered] {
    let path = peer.workdir.appendingPathComponent("messages.jsonl")
    guard let text = try? String(contentsOf: path, encoding: .utf8) else { return [] }
    return try text.split(separator: "\n").map { try JSONDecoder().decode(Delivered.self, from: Data($0.utf8)) }
}

private func message(to recipient: String, id: String) -> [UInt8] {
    Array("""
        From: Campaign Connector <news@example.com>\r
        To: <\(recipient)>\r
        Subject: Your order has shipped\r
        Message-ID: <\(id)@connector.example>\r
        MIME-Version: 1.0\r
        Content-Type: text/plain; charset=utf-8\r
        \r
        Hi Ada, your order is on its way. Grüße!\r
        .leading dot line stays intact\r

        """.utf8)
}

@Suite("SMTP against a real server (aiosmtpd)")
struct SMTPTests {
    @Test("the delivered message and envelope equal what was sent, with AUTH")
    func deliverWithAuth() async throws {
        let peer = try await Peer.start("smtp_peer.py", ["plain", "WORKDIR"], needs: "aiosmtpd")
        let body = message(to: "ada@example.com", id: "m-1")
        let response = try await withClient { client in
            try await client.send(SMTPRequest(
                server: SMTPServer(host: "127.0.0.1", port: peer.port, security: .none, ehloDomain: "connector.example"),
                mailFrom: "bounces@example.com",
                recipients: ["ada@example.com", "grace@example.com"],
                message: body,
                credentials: SMTPCredentials(username: "connector", password: "s3cret")
            ))
        }
        #expect(response.replyCode == 250)
        #expect(response.replyText.contains("queued as peer-"))
        let messages = try delivered(peer)
        #expect(messages.count == 1)
        #expect(messages.first?.mail_from == "bounces@example.com")
        #expect(messages.first?.rcpt_tos == ["ada@example.com", "grace@example.com"])
        #expect(messages.first?.data == body)
        #expect(messages.first?.auth_user == "connector")
    }

    @Test("550 is a permanent refusal, 451 a retryable one; nothing is delivered", arguments: [
        ("reject-me@example.com", 550, false), ("later-me@example.com", 451, true),
    ])
    func refusals(recipient: String, code: Int, retryable: Bool) async throws {
        let peer = try await Peer.start("smtp_peer.py", ["plain", "WORKDIR"], needs: "aiosmtpd")
        let error = try await withClient { client in
            await expectTransportError {
                _ = try await client.send(SMTPRequest(
                    server: SMTPServer(host: "127.0.0.1", port: peer.port, security: .none),
                    mailFrom: "news@example.com", recipients: [recipient],
                    message: message(to: recipient, id: "m-2")
                ))
            }
        }
        #expect(error?.reason == .smtpRejected)
        #expect(error?.smtpReplyCode == code)
        #expect(error?.isRetryable == retryable)
        #expect(error?.detail.contains(recipient) == true, "the server's reply text is in the error: \(String(describing: error))")
        #expect(try delivered(peer).isEmpty)
    }

    @Test("wrong credentials are an authentication failure, and the password is not in the error")
    func authFailure() async throws {
        let peer = try await Peer.start("smtp_peer.py", ["plain", "WORKDIR"], needs: "aiosmtpd")
        let error = try await withClient { client in
            await expectTransportError {
                _ = try await client.send(SMTPRequest(
                    server: SMTPServer(host: "127.0.0.1", port: peer.port, security: .none),
                    mailFrom: "news@example.com", recipients: ["ada@example.com"],
                    message: message(to: "ada@example.com", id: "m-3"),
                    credentials: SMTPCredentials(username: "connector", password: "wrong-pw-42")
                ))
            }
        }
        #expect(error?.reason == .authenticationFailed)
        #expect(error?.isRetryable == false)
        #expect(!String(describing: error).contains("wrong-pw-42"))
    }

    @Test("STARTTLS required: refused by a server without it, delivered by one with it")
    func startTLS() async throws {
        let plainPeer = try await Peer.start("smtp_peer.py", ["plain", "WORKDIR"], needs: "aiosmtpd")
        let tlsPeer = try await Peer.start("smtp_peer.py", ["starttls", "WORKDIR"], needs: "aiosmtpd, cryptography")
        let ca = try #require(tlsPeer.caPath)
        try await withClient(.init(tls: TLSConfiguration(caBundlePath: ca))) { client in
            let refused = await expectTransportError {
                _ = try await client.send(SMTPRequest(
                    server: SMTPServer(host: "127.0.0.1", port: plainPeer.port, security: .startTLSRequired),
                    mailFrom: "news@example.com", recipients: ["ada@example.com"],
                    message: message(to: "ada@example.com", id: "m-4")
                ))
            }
            #expect(refused?.reason == .protocolError)
            #expect(try delivered(plainPeer).isEmpty)

            let response = try await client.send(SMTPRequest(
                server: SMTPServer(host: "localhost", port: tlsPeer.port, security: .startTLSRequired),
                mailFrom: "news@example.com", recipients: ["ada@example.com"],
                message: message(to: "ada@example.com", id: "m-5"),
                credentials: SMTPCredentials(username: "connector", password: "s3cret")
            ))
            #expect(response.replyCode == 250)
            #expect(try delivered(tlsPeer).first?.auth_user == "connector")
        }
    }

    @Test("implicit TLS (smtps) delivers")
    func implicitTLS() async throws {
        let peer = try await Peer.start("smtp_peer.py", ["smtps", "WORKDIR"], needs: "aiosmtpd, cryptography")
        let ca = try #require(peer.caPath)
        let body = message(to: "ada@example.com", id: "m-6")
        let response = try await withClient { client in
            try await client.send(SMTPRequest(
                server: SMTPServer(host: "localhost", port: peer.port, security: .implicitTLS),
                mailFrom: "news@example.com", recipients: ["ada@example.com"], message: body,
                credentials: SMTPCredentials(username: "connector", password: "s3cret"),
                tls: TLSConfiguration(caBundlePath: ca)
            ))
        }
        #expect(response.replyCode == 250)
        #expect(try delivered(peer).first?.data == body)
    }

    @Test("envelope addresses with line breaks or brackets are refused before connecting")
    func invalidEnvelope() async throws {
        let error = try await withClient { client in
            await expectTransportError {
                _ = try await client.send(SMTPRequest(
                    server: SMTPServer(host: "127.0.0.1", port: 1, security: .none),
                    mailFrom: "news@example.com", recipients: ["ada@example.com>\r\nRCPT TO:<eve@example.com"],
                    message: [65]
                ))
            }
        }
        #expect(error?.reason == .invalidRequest)
    }
}
