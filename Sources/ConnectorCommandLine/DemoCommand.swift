import ArgumentParser
import CurlTransport
import Foundation

/// `connector demo`: runs follow-up campaigns from files through the engine and the
/// embedded SQLite store on a virtual clock, then sends a burst of provider-shaped
/// requests through the libcurl transport to a loopback HTTP server, and shows what
/// happened in both.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run example follow-up campaigns through the engine and store, then a burst of requests through the transport."
    )

    @Option(help: "The folder of campaign files (YAML/JSON) for the follow-up part.")
    var campaigns = "Examples/campaigns"

    @Option(help: "Keep the demo's SQLite database at this path (default: a temporary file).")
    var database: String?

    @Option(help: "How many requests to send.")
    var requests = 2000

    @Option(help: "How many requests in flight at once.")
    var concurrency = 64

    @Option(help: "The most connections the client opens to the server.")
    var connections = 16

    func validate() throws {
        guard requests > 0, concurrency > 0, connections > 0 else {
            throw ValidationError("--requests, --concurrency and --connections must be positive")
        }
    }

    func run() async throws {
        try await FollowUpDemo(campaignFolder: URL(fileURLWithPath: campaigns), databasePath: database).run()

        let peer = try LoopbackPeer.start()
        defer { peer.stop() }
        let client = CurlClient(configuration: .init(maxConnectionsPerHost: connections))
        print("Campaign Connector transport demo (libcurl \(LibcurlInfo.version))")
        print("loopback server: http://127.0.0.1:\(peer.port) (Tests/Peers/http_peer.py, pid \(peer.process.pid))")
        fflush(nil)
        print("sending \(requests) POSTs of a SendGrid-shaped message, \(concurrency) at a time, over at most \(connections) connections...")

        let started = ContinuousClock.now
        let outcomes = await send(client: client, port: peer.port)
        let elapsed = started.duration(to: .now)

        let stats = try await client.execute(HTTPRequest(url: "http://127.0.0.1:\(peer.port)/stats"))
        let refusedPort = peer.port == 1 ? 2 : 1
        var refusal = "none"
        do {
            _ = try await client.execute(HTTPRequest(method: .post, url: "http://127.0.0.1:\(refusedPort)/v3/mail/send", body: [1]))
        } catch {
            refusal = "\(error.reason) (retryable: \(error.isRetryable)): \(error.detail)"
        }
        await client.shutdown()

        let latencies = outcomes.compactMap(\.latency).sorted()
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var statuses: [String: Int] = [:]
        for outcome in outcomes { statuses[outcome.label, default: 0] += 1 }
        let serverSide = (try? JSONSerialization.jsonObject(with: Data(stats.body)) as? [String: Int]) ?? [:]

        print("")
        print("results:       " + statuses.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))
        print("throughput:    \(Int(Double(outcomes.count) / seconds)) requests/s in \(String(format: "%.2f", seconds)) s")
        if !latencies.isEmpty {
            print("latency:       p50 \(micros(latencies[latencies.count / 2])) us, p99 \(micros(latencies[min(latencies.count - 1, latencies.count * 99 / 100)])) us")
        }
        print("server saw:    \(serverSide["requests"] ?? 0) requests on \(serverSide["connections"] ?? 0) connections (keep-alive reuse)")
        print("refused port:  \(refusal)")
        print("")
        print("Next: `swift test` runs the rule tests (R1-R27) on real SQLite files and the transport tests against real HTTP/1.1, HTTP/2, SMTP and SigV4 peers.")
    }

    private struct Outcome: Sendable {
        var label: String
        var latency: Duration?
    }

    private func send(client: CurlClient, port: Int) async -> [Outcome] {
        let body = Array(#"{"personalizations":[{"to":[{"email":"ada@example.com"}]}],"from":{"email":"news@example.com"},"subject":"Your order has shipped","content":[{"type":"text/plain","value":"Hi Ada, your order is on its way."}]}"#.utf8)
        return await withTaskGroup(of: [Outcome].self) { group in
            let perWorker = (requests + concurrency - 1) / concurrency
            for worker in 0..<concurrency {
                let count = max(0, min(perWorker, requests - worker * perWorker))
                group.addTask {
                    var outcomes: [Outcome] = []
                    for _ in 0..<count {
                        let begin = ContinuousClock.now
                        do throws(CurlTransportError) {
                            let response = try await client.execute(HTTPRequest(
                                method: .post, url: "http://127.0.0.1:\(port)/echo",
                                headers: ["Content-Type": "application/json"], body: body
                            ))
                            outcomes.append(Outcome(label: "HTTP \(response.status) \(response.version)", latency: begin.duration(to: .now)))
                        } catch {
                            outcomes.append(Outcome(label: "error \(error.reason)", latency: nil))
                        }
                    }
                    return outcomes
                }
            }
            return await group.reduce(into: []) { $0.append(contentsOf: $1) }
        }
    }

    private func micros(_ duration: Duration) -> Int {
        Int(duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000)
    }
}
