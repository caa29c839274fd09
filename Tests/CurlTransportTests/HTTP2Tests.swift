import PeerSupport
import CurlTransport
import Foundation
import Testing

/// What `h2_peer.py` answers.
private struct H2Echo: Decodable {
    let http_version: String
    let method: String
    let path: String
    let body_len: Int
}

@Suite("HTTP/2: h2c with prior knowledge and TLS with ALPN (hypercorn peer)")
struct HTTP2Tests {
    @Test("h2c with prior knowledge negotiates HTTP/2, sequentially and concurrently")
    func h2cPriorKnowledge() async throws {
        let peer = try await Peer.start("h2c_peer.py", needs: "h2")
        let (sequential, concurrent) = try await withClient { client in
            var sequential: [HTTPResponse] = []
            for i in 0..<5 {
                sequential.append(try await client.execute(HTTPRequest(
                    method: .post, url: peer.url("/3/device/\(i)"), body: patternBytes(100 + i),
                    httpVersion: .http2PriorKnowledge
                )))
            }
            let concurrent = try await withThrowingTaskGroup(of: HTTPResponse.self) { group in
                for i in 0..<20 {
                    group.addTask {
                        try await client.execute(HTTPRequest(url: peer.url("/c/\(i)"), httpVersion: .http2PriorKnowledge))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            return (sequential, concurrent)
        }
        let responses = sequential
        for (i, response) in responses.enumerated() {
            #expect(response.version == .http2)
            let echo = try decode(H2Echo.self, response)
            #expect(echo.http_version == "2")
            #expect(echo.path == "/3/device/\(i)")
            #expect(echo.body_len == 100 + i)
            #expect(response.headers.first(name: "x-peer") == "h2-peer")
        }
        #expect(concurrent.allSatisfy { $0.version == .http2 })
        if LibcurlInfo.reusesPriorKnowledgeConnections {
            #expect(responses.map(\.newConnections) == [1, 0, 0, 0, 0])
        } else {
            // libcurl \(LibcurlInfo.version) cannot reuse h2c connections: one each, and all succeed.
            #expect(responses.map(\.newConnections) == [1, 1, 1, 1, 1])
        }
        #expect(Set(try concurrent.map { try decode(H2Echo.self, $0).path }) == Set((0..<20).map { "/c/\($0)" }))
    }

    @Test("50 concurrent HTTPS requests are multiplexed as HTTP/2 streams on one connection")
    func multiplexing() async throws {
        let peer = try await Peer.start("h2_peer.py", ["tls", "WORKDIR"], needs: "hypercorn, h2, cryptography")
        let ca = try #require(peer.caPath)
        let responses = try await withClient(.init(tls: TLSConfiguration(caBundlePath: ca))) { client in
            try await withThrowingTaskGroup(of: HTTPResponse.self) { group in
                for i in 0..<50 {
                    group.addTask {
                        try await client.execute(HTTPRequest(
                            method: .post, url: peer.url("/3/device/\(i)", scheme: "https", host: "localhost"),
                            body: patternBytes(100 + i)
                        ))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        #expect(responses.count == 50)
        #expect(responses.allSatisfy { $0.version == .http2 })
        #expect(Set(try responses.map { try decode(H2Echo.self, $0).body_len }) == Set(100..<150))
        let connections = responses.reduce(0) { $0 + $1.newConnections }
        #expect(connections == 1, "50 streams should share one HTTP/2 connection, used \(connections)")
    }

    @Test("HTTPS negotiates HTTP/2 through ALPN when the peer's CA is trusted")
    func tlsALPN() async throws {
        let peer = try await Peer.start("h2_peer.py", ["tls", "WORKDIR"], needs: "hypercorn, h2, cryptography")
        let ca = try #require(peer.caPath)
        let response = try await withClient(.init(tls: TLSConfiguration(caBundlePath: ca))) { client in
            try await client.execute(HTTPRequest(url: peer.url("/tls", scheme: "https", host: "localhost")))
        }
        #expect(response.version == .http2)
        #expect(try decode(H2Echo.self, response).http_version == "2")
        #expect(response.timing.tlsHandshake > .zero)
    }

    @Test("an untrusted certificate is refused, not retried")
    func tlsVerificationIsOnByDefault() async throws {
        let peer = try await Peer.start("h2_peer.py", ["tls", "WORKDIR"], needs: "hypercorn, h2, cryptography")
        let error = try await withClient { client in
            await expectTransportError {
                _ = try await client.execute(HTTPRequest(url: peer.url("/tls", scheme: "https", host: "localhost")))
            }
        }
        #expect(error?.reason == .tlsCertificateRejected)
        #expect(error?.isRetryable == false)
    }

    @Test("HTTP/1.1 can be forced over TLS")
    func forceHTTP1() async throws {
        let peer = try await Peer.start("h2_peer.py", ["tls", "WORKDIR"], needs: "hypercorn, h2, cryptography")
        let ca = try #require(peer.caPath)
        let response = try await withClient { client in
            try await client.execute(HTTPRequest(
                url: peer.url("/one", scheme: "https", host: "127.0.0.1"),
                httpVersion: .http1_1, tls: TLSConfiguration(caBundlePath: ca)
            ))
        }
        #expect(response.version == .http1_1)
        #expect(try decode(H2Echo.self, response).http_version == "1.1")
    }
}

@Suite("Mutual TLS (hypercorn requiring a client certificate)")
struct MutualTLSTests {
    @Test("a client certificate is presented when configured, and required by the peer")
    func clientCertificate() async throws {
        let peer = try await Peer.start("h2_peer.py", ["mtls", "WORKDIR"], needs: "hypercorn, h2, cryptography")
        let ca = try #require(peer.caPath)
        let folder = URL(fileURLWithPath: ca).deletingLastPathComponent()
        let url = peer.url("/mtls", scheme: "https", host: "localhost")
        try await withClient(.init(tls: TLSConfiguration(caBundlePath: ca))) { client in
            let refused = await expectTransportError { _ = try await client.execute(HTTPRequest(url: url)) }
            #expect(refused != nil, "the peer must refuse a client without a certificate")
            #expect(refused?.reason != .invalidRequest)

            let withCertificate = TLSConfiguration(
                caBundlePath: ca,
                clientCertificatePath: folder.appendingPathComponent("client.pem").path,
                clientKeyPath: folder.appendingPathComponent("client-key.pem").path
            )
            let response = try await client.execute(HTTPRequest(url: url, tls: withCertificate))
            #expect(response.status == 200)
            #expect(response.version == .http2)
        }
    }
}
