import ChildProcess
#if canImport(Glibc)
import Glibc
#endif
import ConnectorCore
import ConnectorStore
import CurlTransport
import Foundation
import PeerSupport
import Testing

/// Starting, stopping and scaling out: configuration errors found at start with file, line
/// and field; SIGTERM with a send in flight loses nothing; two instances on one PostgreSQL
/// database send each follow-up once.
@Suite("Service lifecycle: checked start, graceful shutdown, two instances on one database")
struct ServiceLifecycleTests {
    static let quick = [
        "seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'x' } }"),
        "quick": campaign("""
            id: quick
            channels: [push]
            messages: { push: { body: "Right away, {{ ${first_name} }}" } }
            trigger: { kind: push_opened, campaign: seed }
            """),
    ]

    @Test("SIGTERM while a send is in flight: the server stops, the send finishes and is recorded as sent, the process exits 0")
    func gracefulShutdown() async throws {
        let sink = try await Sink.start()
        try await sink.script("/push", [["status": 200, "hold": "go"]])
        // The real clock: the background scheduler and dispatcher deliver on their own.
        let service = try await ServiceUnderTest(campaigns: Self.quick, providers: """
            providers: { push: [ { kind: webhook, url: "\(sink.url("/push"))" } ] }
            """, clock: "system")
        #expect(try await service.call(.put, "/v1/users/ada", user("ada", push: "tok")).status == 200)
        let now = Date().ISO8601Format()
        #expect(try await service.events([event("e1", "ada", now, "push_opened", "seed")]).status == 200)
        try await sink.arrived("/push")  // the request is at the provider, its answer held
        service.process.send(signal: SIGTERM)
        // The process is still there, finishing the send.
        #expect(kill(service.process.pid, 0) == 0)
        try await sink.release("go")
        #expect(await service.stop() == .exited(0))
        let store = try SQLiteStore(path: service.database)
        let items = try store.outbox(OutboxFilter())
        #expect(items.map(\.state) == [.sent], "\(items)")
        #expect(try store.attempts(of: try #require(items.first).dispatch.id).count == 1)
    }

    @Test("with --stop-at-input-end, the end of its input (its parent gone) stops the service gracefully")
    func stopsWithItsParent() async throws {
        let service = try await ServiceUnderTest(campaigns: Self.quick)
        #expect(try await service.call(.get, "/health", key: nil).status == 200)
        #expect(await service.closeInputAndWait() == .exited(0))
    }

    /// Runs `connector serve` with `configuration` and returns its exit status and output.
    static func serve(_ configuration: String, environment: [String: String] = [:]) async throws -> (Int32, String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("connector.yaml")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        var variables = ProcessInfo.processInfo.environment
        variables.merge(environment) { $1 }
        let process = try ChildProcess(executable: ServiceUnderTest.connectorPath, arguments: ["serve", "--config", file.path, "--stop-at-input-end"],
                                       environment: variables.map { "\($0.key)=\($0.value)" }, standardError: .standardOutput)
        let (output, termination) = await process.outputAndTermination()
        guard case .exited(let status) = termination else { return (-1, String(decoding: output, as: UTF8.self)) }
        return (status, String(decoding: output, as: UTF8.self).replacingOccurrences(of: folder.path + "/", with: ""))
    }

    @Test("a bad configuration stops the start with file:line: field: message, and never prints a secret")
    func configurationErrors() async throws {
        let base = """
            store: c.sqlite
            api_keys: [ { key: "${KEY}", scopes: [ingest] } ]
            tracking: { base_url: "https://t.example.com", key: "${TRACKING}" }
            """
        let secrets = ["KEY": "super-secret-api-key-1", "TRACKING": String(repeating: "s", count: 40)]
        let cases: [(String, [String: String], String)] = [
            (base + "\nlisten: nowhere\n", secrets, "connector.yaml:4: listen: 'nowhere' is not an address"),
            (base + "\ncolour: red\n", secrets, "connector.yaml:4: colour: unknown field 'colour'"),
            (base, ["TRACKING": secrets["TRACKING"] ?? ""], "connector.yaml:2: api_keys[0].key: the environment variable KEY is not set"),
            (base.replacingOccurrences(of: "[ingest]", with: "[ingest, godmode]"), secrets, "connector.yaml:2: api_keys[0].scopes[1]: unknown scope 'godmode'"),
            (base + "\nproviders: { push: [ { kind: carrier-pigeon } ] }\n", secrets, "providers.push[0].kind: unknown provider kind 'carrier-pigeon'"),
            (base + "\nwebhooks: { sg: { kind: sendgrid, public_key: \"${KEY}\" } }\n", secrets, "connector.yaml:4: webhooks.sg.public_key:"),
            (base + "\ncampaigns: missing-folder\n", secrets, "campaigns: "),
            (base.replacingOccurrences(of: "tracking:", with: "#"), secrets, "tracking"),
        ]
        for (configuration, environment, expected) in cases {
            let (status, output) = try await Self.serve(configuration, environment: environment)
            #expect(status != 0, "\(configuration)")
            #expect(output.contains(expected), "expected '\(expected)' in: \(output)")
            #expect(!output.contains("super-secret-api-key-1") && !output.contains(String(repeating: "s", count: 40)), "a secret in: \(output)")
            #expect(!output.contains("listening on"))
        }
    }

    @Test("two instances on one PostgreSQL database: events through either, every follow-up sent once")
    func twoInstancesOnePostgres() async throws {
        let sink = try await Sink.start()
        let providers = "providers: { push: [ { kind: webhook, url: \"\(sink.url("/push"))\" } ] }"
        let first = try await ServiceUnderTest(campaigns: Self.quick, providers: providers, clock: "system", store: "postgres")
        let second = try await ServiceUnderTest(campaigns: Self.quick, providers: providers, clock: "system", store: first.storeURL)
        let users = (0..<20).map { "u\($0)" }
        for (index, id) in users.enumerated() {
            let service = index.isMultiple(of: 2) ? first : second
            #expect(try await service.call(.put, "/v1/users/\(id)", user(id, push: "tok-\(id)")).status == 200)
        }
        let now = Date().ISO8601Format()
        // Every event is sent to both instances (a client retrying elsewhere): applied once (R25).
        for service in [first, second] {
            let answer = try await service.events(users.map { event("e-\($0)", $0, now, "push_opened", "seed") })
            #expect(answer.status == 200, "\(answer.bodyText)")
        }
        try await sink.arrived("/push", count: users.count)
        #expect(await first.stop() == .exited(0))
        #expect(await second.stop() == .exited(0))
        let pushes = try await sink.requests("/push")
        #expect(pushes.count == users.count, "each follow-up sent once: \(pushes.count) for \(users.count)")
        #expect(Set(pushes.compactMap { $0.json["user"] as? String }) == Set(users))
    }
}

/// Slow clients: a connection that stops sending halfway through its request head is
/// closed after `limits.idle_timeout`, and the service keeps serving others.
@Suite("Service: stalled clients are cut off")
struct ServiceSlowClientTests {
    @Test("a request head that stalls is closed after the idle timeout (1 s here); other requests are served meanwhile")
    func stalledHead() async throws {
        let service = try await ServiceUnderTest(campaigns: [:], idleTimeout: "1s")
        let port = try #require(Int(service.baseURL.split(separator: ":").last ?? ""))
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #expect(socket >= 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(connected == 0)
        // A safety net, not the synchronisation: recv returns when the server closes.
        var limit = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let partial = Array("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le".utf8)
        #expect(send(socket, partial, partial.count, 0) == partial.count)
        #expect(try await service.call(.get, "/health", key: nil).status == 200, "others are served while it stalls")
        let started = ContinuousClock.now
        var byte: UInt8 = 0
        let received = recv(socket, &byte, 1, 0)
        #expect(received == 0, "the server closed the stalled connection (recv: \(received), errno \(errno))")
        #expect(started.duration(to: .now) < .seconds(15))
        #expect(await service.stop() == .exited(0))
    }
}
