import PeerSupport
import CurlTransport
import Foundation
import Testing

@Suite("Concurrency, connection reuse and shutdown")
struct ConcurrencyTests {
    @Test("1,000 concurrent requests all succeed over far fewer connections")
    func thousandConcurrent() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let count = 1000
        let configuration = CurlClient.Configuration(maxConnectionsPerHost: 16)
        let (mismatches, stats) = try await withClient(configuration) { client in
            let mismatches = try await withThrowingTaskGroup(of: Bool.self) { group in
                for i in 0..<count {
                    group.addTask {
                        let body = Array("request-\(i)".utf8)
                        let response = try await client.execute(HTTPRequest(method: .post, url: peer.url("/echo?i=\(i)"), body: body))
                        let echo = try decode(Echo.self, response)
                        return response.status == 200 && echo.body == body && echo.path == "/echo?i=\(i)"
                    }
                }
                var bad = 0
                for try await ok in group where !ok { bad += 1 }
                return bad
            }
            let stats = try await client.execute(HTTPRequest(url: peer.url("/stats")))
            return (mismatches, stats.bodyText)
        }
        #expect(mismatches == 0)
        let json = try JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Int]
        let connections = json?["connections"] ?? -1
        #expect(json?["requests"] == count + 1)
        #expect(connections >= 1 && connections <= 16, "connections used: \(connections)")
    }

    @Test("shutdown fails every pending request and refuses new ones")
    func shutdownFailsPending() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let client = CurlClient()
        let tasks = (0..<5).map { _ in Task { try await client.execute(HTTPRequest(url: peer.url("/hold?key=pending"))) } }
        try await peer.waitForHeld("pending", count: 5)  // all five are in flight
        let started = ContinuousClock.now
        await client.shutdown()
        for task in tasks {
            let result = await task.result
            guard case .failure(let error as CurlTransportError) = result else {
                Issue.record("expected shutdown error, got \(result)")
                continue
            }
            #expect(error.reason == .clientShutdown)
        }
        // The held requests would answer only when released (or after 60 s).
        #expect(ContinuousClock.now - started < .seconds(30))
        let late = await expectTransportError { _ = try await client.execute(HTTPRequest(url: peer.url("/echo"))) }
        #expect(late?.reason == .clientShutdown)
        await client.shutdown()  // a second call returns at once
        try await peer.release("pending")
    }

    @Test("shutdown with a grace period lets running requests finish")
    func gracefulShutdown() async throws {
        let peer = try await Peer.start("http_peer.py", needs: "none (standard library)")
        let client = CurlClient()
        let task = Task { try await client.execute(HTTPRequest(url: peer.url("/hold?key=graceful"))) }
        try await peer.waitForHeld("graceful")
        let shutdown = Task { await client.shutdown(gracePeriod: .seconds(30)) }
        // The shutdown has begun once the client refuses new requests; only then is the
        // held request let go, so it finishes inside the grace period.
        while await expectTransportError({ _ = try await client.execute(HTTPRequest(url: peer.url("/echo"))) })?.reason != .clientShutdown {
            await Task.yield()
        }
        try await peer.release("graceful")
        let response = try await task.value
        await shutdown.value
        #expect(response.status == 200)
        #expect(response.bodyText == "released")
    }
}
