import PeerSupport
import CurlTransport
import Foundation
import Testing

@Suite("HTTP round trips against a real loopback server")
struct HTTPRoundTripTests {
    @Test("method, path, headers and body arrive exactly", arguments: [HTTPMethod.get, .post, .put, .delete, .patch])
    func methodRoundTrip(method: HTTPMethod) async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let body: [UInt8]? = method == .get ? nil : Array("{\"n\":\"\(method)\",\"ü\":\"€\"}".utf8)
        let response = try await withClient { client in
            try await client.execute(HTTPRequest(
                method: method,
                url: peer.url("/echo?x=1&y=two"),
                headers: ["Content-Type": "application/json", "X-Campaign": "c-42", "X-Empty": ""],
                body: body
            ))
        }
        #expect(response.status == 200)
        #expect(response.version == .http1_1)
        let echo = try decode(Echo.self, response)
        #expect(echo.method == method.rawValue)
        #expect(echo.path == "/echo?x=1&y=two")
        #expect(echo.values("X-Campaign") == ["c-42"])
        #expect(echo.values("X-Empty") == [""])
        #expect(echo.body == (body ?? []))
        if body != nil {
            #expect(echo.values("Content-Type") == ["application/json"])
            #expect(echo.values("Content-Length") == ["\(body?.count ?? 0)"])
        }
        #expect(echo.values("Expect").isEmpty, "no 100-continue round trip")
    }

    @Test("a body without Content-Type is not labelled as a form")
    func noImplicitContentType() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let response = try await withClient { client in
            try await client.execute(HTTPRequest(method: .post, url: peer.url("/echo"), body: Array("raw".utf8)))
        }
        let echo = try decode(Echo.self, response)
        #expect(echo.values("Content-Type").isEmpty)
        #expect(echo.body == Array("raw".utf8))
    }

    @Test("POST without a body sends Content-Length: 0")
    func emptyPost() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let response = try await withClient { client in
            try await client.execute(HTTPRequest(method: .post, url: peer.url("/echo")))
        }
        let echo = try decode(Echo.self, response)
        #expect(echo.method == "POST")
        #expect(echo.values("Content-Length") == ["0"])
    }

    @Test("repeated request and response headers keep every value in order")
    func repeatedHeaders() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        var headers = HTTPHeaders()
        headers.add(name: "X-Multi", value: "one")
        headers.add(name: "X-Multi", value: "two")
        let (echoResponse, cookies) = try await withClient { client in
            (try await client.execute(HTTPRequest(url: peer.url("/echo"), headers: headers)),
             try await client.execute(HTTPRequest(url: peer.url("/cookies"))))
        }
        #expect(try decode(Echo.self, echoResponse).values("x-multi") == ["one", "two"])
        #expect(cookies.headers["set-cookie"] == ["a=1", "b=2"])
        #expect(cookies.headers["X-Repeat"] == ["first", "second"])
        #expect(cookies.headers.first(name: "content-length") == "2")
    }

    @Test("HEAD returns headers and no body")
    func head() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let response = try await withClient { client in
            try await client.execute(HTTPRequest(method: .head, url: peer.url("/bytes?n=1000")))
        }
        #expect(response.status == 200)
        #expect(response.headers.first(name: "Content-Length") == "1000")
        #expect(response.body.isEmpty)
    }

    @Test("error statuses are responses, with their headers")
    func errorStatusIsAResponse() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let response = try await withClient { client in
            try await client.execute(HTTPRequest(url: peer.url("/status?code=503&retry_after=7")))
        }
        #expect(response.status == 503)
        #expect(!response.isSuccess)
        #expect(response.headers.first(name: "retry-after") == "7")
        #expect(response.bodyText == "{\"status\": 503}")
    }

    @Test("a 12 MB body goes up and a 12 MB body comes down intact")
    func largeBodies() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let size = 12 << 20
        let upload = patternBytes(size)
        let (echoed, fixed, chunked) = try await withClient(.init(maxResponseSize: 64 << 20)) { client in
            (try await client.execute(HTTPRequest(method: .put, url: peer.url("/echo"), body: upload)),
             try await client.execute(HTTPRequest(url: peer.url("/bytes?n=\(size)"))),
             try await client.execute(HTTPRequest(url: peer.url("/bytes?n=\(size)&chunked=1"))))
        }
        #expect(try decode(Echo.self, echoed).body == upload)
        #expect(fixed.body.count == size)
        #expect(fixed.body == peerPattern(size))
        #expect(chunked.body == peerPattern(size))
    }

    @Test("timing says how long the transfer took")
    func timing() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let (first, second) = try await withClient { client in
            (try await client.execute(HTTPRequest(url: peer.url("/sleep?ms=50"))),
             try await client.execute(HTTPRequest(url: peer.url("/echo"))))
        }
        #expect(first.newConnections == 1)
        #expect(second.newConnections == 0, "the second request reuses the kept-alive connection")
        #expect(first.timing.connect > .zero)
        #expect(first.timing.firstByte >= .milliseconds(50))
        #expect(first.timing.total >= first.timing.firstByte)
        #expect(second.timing.total > .zero)
    }
}
