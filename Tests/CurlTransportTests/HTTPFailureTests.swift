import PeerSupport
import CurlTransport
import Foundation
import Testing

@Suite("Failures: limits, timeouts, refused connections, cancellation, redirects")
struct HTTPFailureTests {
    @Test("a response over the size cap fails cleanly, with or without Content-Length", arguments: [false, true])
    func responseSizeCap(chunked: Bool) async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        try await withClient { client in
            let error = await expectTransportError {
                _ = try await client.execute(HTTPRequest(
                    url: peer.url("/bytes?n=\(2 << 20)\(chunked ? "&chunked=1" : "")"),
                    maxResponseSize: 1 << 20
                ))
            }
            #expect(error?.reason == .responseTooLarge)
            #expect(error?.isRetryable == false)
            // The client is still usable, and a body under the cap passes.
            let small = try await client.execute(HTTPRequest(url: peer.url("/bytes?n=1000"), maxResponseSize: 1 << 20))
            #expect(small.body.count == 1000)
        }
    }

    @Test("a timeout after the request was sent says the server may have processed it")
    func timeoutAfterSend() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let started = ContinuousClock.now
        let error = try await withClient { client in
            await expectTransportError {
                _ = try await client.execute(HTTPRequest(
                    method: .post, url: peer.url("/sleep?ms=30000"), body: Array("hello".utf8),
                    timeouts: Timeouts(connect: .seconds(2), total: .milliseconds(300))
                ))
            }
        }
        #expect(error?.reason == .timeoutAfterRequestSent)
        #expect(error?.requestMayHaveBeenProcessed == true)
        #expect(error?.isRetryable == true)
        // Far below the server's 30 s (it did not wait for the answer), with room for a
        // test run whose synchronous tests keep both cooperative threads busy for seconds.
        #expect(ContinuousClock.now - started < .seconds(15))
    }

    @Test("a timeout while the body is still being sent says nothing was processed")
    func timeoutBeforeSend() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let error = try await withClient { client in
            await expectTransportError {
                _ = try await client.execute(HTTPRequest(
                    method: .post, url: peer.url("/stall"), body: patternBytes(48 << 20),
                    timeouts: Timeouts(connect: .seconds(2), total: .milliseconds(700))
                ))
            }
        }
        #expect(error?.reason == .timeoutBeforeRequestSent)
        #expect(error?.requestMayHaveBeenProcessed == false)
        #expect(error?.isRetryable == true)
    }

    @Test("a refused connection is retryable and nothing was sent")
    func connectionRefused() async throws {
        let port = closedLoopbackPort()
        let error = try await withClient { client in
            await expectTransportError {
                _ = try await client.execute(HTTPRequest(method: .post, url: "http://127.0.0.1:\(port)/v3/mail/send", body: [1, 2, 3]))
            }
        }
        #expect(error?.reason == .connectionRefused)
        #expect(error?.isRetryable == true)
        #expect(error?.requestMayHaveBeenProcessed == false)
        #expect(error?.curlCode == 7)
    }

    @Test("cancelling the task aborts the transfer at once; the client keeps working")
    func cancellation() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        try await withClient { client in
            let started = ContinuousClock.now
            let task = Task { try await client.execute(HTTPRequest(url: peer.url("/hold?key=cancel"))) }
            try await peer.waitForHeld("cancel")  // the request is at the server, waiting for its answer
            task.cancel()
            let result = await task.result
            let elapsed = ContinuousClock.now - started
            guard case .failure(let error as CurlTransportError) = result else {
                Issue.record("expected a CurlTransportError, got \(result)")
                return
            }
            #expect(error.reason == .cancelled)
            #expect(elapsed < .seconds(30), "far below the server's 60 s hold: the transfer did not wait for it")
            let after = try await client.execute(HTTPRequest(url: peer.url("/echo")))
            #expect(after.status == 200)
            try await peer.release("cancel")
        }
    }

    @Test("a task cancelled before it starts never sends")
    func cancelledBeforeStart() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        try await withClient { client in
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return try await client.execute(HTTPRequest(method: .post, url: peer.url("/echo"), body: [1]))
            }
            let result = await task.result
            guard case .failure(let error as CurlTransportError) = result else {
                Issue.record("expected cancellation, got \(result)")
                return
            }
            #expect(error.reason == .cancelled)
            let stats = try await client.execute(HTTPRequest(url: peer.url("/stats")))
            #expect(stats.bodyText.contains("\"requests\": 1"), "only the stats request reached the server: \(stats.bodyText)")
        }
    }

    @Test("redirects are not followed unless asked")
    func redirects() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let (plain, followed) = try await withClient { client in
            (try await client.execute(HTTPRequest(url: peer.url("/redirect"))),
             try await client.execute(HTTPRequest(url: peer.url("/redirect"), redirects: .follow(max: 3))))
        }
        #expect(plain.status == 302)
        #expect(plain.headers.first(name: "Location") == "/echo")
        #expect(followed.status == 200)
        #expect(try decode(Echo.self, followed).path == "/echo")
    }

    @Test("header injection and non-HTTP URLs are refused before anything is sent")
    func invalidRequests() async throws {
        try await withClient { client in
            let injected = await expectTransportError {
                _ = try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/", headers: ["X-Name": "a\r\nX-Evil: 1"]))
            }
            #expect(injected?.reason == .invalidRequest)
            #expect(injected?.detail.contains("X-Name") == true)
            let file = await expectTransportError {
                _ = try await client.execute(HTTPRequest(url: "file:///etc/passwd"))
            }
            #expect(file?.reason == .invalidRequest)
            let badName = await expectTransportError {
                _ = try await client.execute(HTTPRequest(url: "http://127.0.0.1:1/", headers: ["Bad Name": "x"]))
            }
            #expect(badName?.reason == .invalidRequest)
        }
    }

    @Test("errors never show credentials or query strings")
    func redaction() async throws {
        let port = closedLoopbackPort()
        let error = try await withClient { client in
            await expectTransportError {
                _ = try await client.execute(HTTPRequest(
                    url: "http://user:hunter2@127.0.0.1:\(port)/hook?api_key=SECRET123",
                    authentication: .basic(username: "api", password: "key-hunter3")
                ))
            }
        }
        let text = "\(String(describing: error))"
        #expect(error?.reason == .connectionRefused)
        #expect(!text.contains("hunter2"))
        #expect(!text.contains("SECRET123"))
        #expect(error?.url == "http://127.0.0.1:\(port)/hook")
        let auth = HTTPAuthentication.awsSigV4(.init(accessKeyID: "AKID", secretAccessKey: "s3cr3t", region: "us-east-1", service: "ses"))
        #expect(!"\(auth)".contains("s3cr3t"))
        #expect(!"\(HTTPAuthentication.bearer("tok-123"))".contains("tok-123"))
        #expect(!"\(SMTPCredentials(username: "u", password: "pw-999"))".contains("pw-999"))
    }
}
