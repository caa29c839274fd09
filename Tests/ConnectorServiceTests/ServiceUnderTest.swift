import ChildProcess
import ConnectorCore
import ConnectorPostgres
import CurlTransport
import Foundation
import PeerSupport
import Testing

/// `connector serve` for real: a configuration and campaign files in a temporary folder,
/// the process listening on a free port of 127.0.0.1 (its readiness line gives the port),
/// driven with the project's libcurl client. Stopped with SIGTERM (a graceful shutdown)
/// and waited for; a test that forgets is covered by the child's end with its parent.
final class ServiceUnderTest: @unchecked Sendable {
    static let apiKey = "test-api-key-0123456789"
    static let readKey = "test-read-key-0123456789"
    static let sdkKey = "test-sdk-key-0123456789"
    static let trackingKey = String(repeating: "k", count: 40)
    static let start = "2026-03-02T09:00:00Z"

    static var connectorPath: String {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("connector").path
    }

    let folder: URL
    let process: ChildProcess
    let baseURL: String
    /// The configured store: `connector.sqlite` or a `postgres://` URL.
    let storeURL: String
    let client = CurlClient()
    private var stopped = false

    var database: String { folder.appendingPathComponent("connector.sqlite").path }

    /// Starts a service with `campaigns` (file name: YAML) and the configuration's
    /// `providers:` and further top-level fields in `extra`.
    /// - Parameter store: `sqlite` (a file in the folder), `postgres` (a new database on the
    ///   test process's PostgreSQL server) or a `postgres://` URL (another instance's).
    init(campaigns: [String: String], providers: String = "", extra: String = "", clock: String = "virtual:\(ServiceUnderTest.start)",
         store: String = "sqlite", idleTimeout: String = "30s") async throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("service-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("campaigns"), withIntermediateDirectories: true)
        for (name, text) in campaigns {
            try text.write(to: folder.appendingPathComponent("campaigns/\(name).yaml"), atomically: true, encoding: .utf8)
        }
        switch store {
        case "sqlite": storeURL = "connector.sqlite"
        case "postgres": storeURL = try await newPostgresDatabase()
        default: storeURL = store
        }
        let configuration = """
            store: "\(storeURL)"
            listen: 127.0.0.1:0
            api_keys:
              - { name: test, key: "${TEST_API_KEY}", scopes: [ingest, admin, read] }
              - { name: reader, key: "\(Self.readKey)", scopes: [read] }
            sdk_key: "\(Self.sdkKey)"
            campaigns: campaigns
            tracking: { base_url: "https://t.example.com", key: "${TEST_TRACKING_KEY}" }
            limits: { max_body: 65536, max_batch: 50, idle_timeout: \(idleTimeout) }
            scheduler: { interval: 100ms }
            \(providers)
            \(extra)
            """
        try configuration.write(to: folder.appendingPathComponent("connector.yaml"), atomically: true, encoding: .utf8)
        try #require(FileManager.default.isExecutableFile(atPath: Self.connectorPath), "build the connector executable first (swift build)")
        var environment = ProcessInfo.processInfo.environment
        environment["TEST_API_KEY"] = Self.apiKey
        environment["TEST_TRACKING_KEY"] = Self.trackingKey
        process = try ChildProcess(executable: Self.connectorPath,
                                   arguments: ["serve", "--config", folder.appendingPathComponent("connector.yaml").path, "--clock", clock,
                                               "--log-level", "warning", "--stop-at-input-end"],
                                   environment: environment.map { "\($0.key)=\($0.value)" },
                                   standardError: .file(folder.appendingPathComponent("serve.log").path))
        guard let line = await process.readLine(), line.hasPrefix("listening on ") else {
            let log = (try? String(contentsOf: folder.appendingPathComponent("serve.log"), encoding: .utf8)) ?? ""
            throw Peer.StartFailure(description: "the service did not start: \(log)")
        }
        baseURL = String(line.dropFirst("listening on ".count))
    }

    /// The service's standard error so far (its log).
    var log: String { (try? String(contentsOf: folder.appendingPathComponent("serve.log"), encoding: .utf8)) ?? "" }

    /// A request with the admin key (or `key`; nil for none). Redirects are not followed.
    @discardableResult
    func call(_ method: HTTPMethod, _ path: String, _ body: String? = nil, key: String? = ServiceUnderTest.apiKey,
              headers extra: [(String, String)] = []) async throws -> HTTPResponse {
        var headers = HTTPHeaders(extra)
        if let key { headers.add(name: "Authorization", value: "Bearer \(key)") }
        if body != nil, !extra.contains(where: { $0.0.lowercased() == "content-type" }) { headers.add(name: "Content-Type", value: "application/json") }
        return try await client.execute(HTTPRequest(method: method, url: baseURL + path, headers: headers, body: body.map { Array($0.utf8) },
                                                    httpVersion: .http1_1))
    }

    /// Bytes as the body (for invalid UTF-8).
    func call(_ method: HTTPMethod, _ path: String, bytes: [UInt8]) async throws -> HTTPResponse {
        try await client.execute(HTTPRequest(method: method, url: baseURL + path,
                                             headers: ["Authorization": "Bearer \(Self.apiKey)", "Content-Type": "application/json"],
                                             body: bytes, httpVersion: .http1_1))
    }

    /// The JSON of an answer.
    static func json(_ response: HTTPResponse) -> [String: Any] {
        ((try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any]) ?? [:]
    }

    /// Moves the virtual clock (the scheduler and dispatcher run at each due time on the way).
    @discardableResult
    func advance(to time: String) async throws -> [String: Any] {
        let response = try await call(.post, "/v1/clock", #"{"now": "\#(time)"}"#)
        #expect(response.status == 200, "\(response.bodyText)")
        return Self.json(response)
    }

    /// Sends events (JSON objects) and returns the answer.
    @discardableResult
    func events(_ lines: [String]) async throws -> HTTPResponse {
        try await call(.post, "/v1/events", #"{"events": ["# + lines.joined(separator: ",") + "]}")
    }

    /// Stops it with SIGTERM and waits; returns how it ended.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) async -> ChildProcess.Termination {
        stopped = true
        process.send(signal: signal)
        let termination = await process.wait()
        await client.shutdown()
        return termination
    }

    /// Closes the service's standard input (what a parent's death does) and waits.
    func closeInputAndWait() async -> ChildProcess.Termination {
        stopped = true
        process.closeInput()
        let termination = await process.wait()
        await client.shutdown()
        return termination
    }

    deinit {
        if !stopped { _ = process.terminate(signal: SIGKILL) }
        try? FileManager.default.removeItem(at: folder)
    }
}

/// The PostgreSQL server of this test process (Tests/Peers/pg_peer.py), started on first use.
let sharedPostgres = Task { try await Peer.start("pg_peer.py", ["WORKDIR"], needs: "(Debian's postgresql package)") }

/// A new, empty database on the shared server; its URL.
func newPostgresDatabase() async throws -> String {
    let server = try await sharedPostgres.value
    let database = "service_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
    try await PostgresStore.createDatabase(database, serverURL: "postgres://postgres@127.0.0.1:\(server.port)/postgres")
    return "postgres://postgres@127.0.0.1:\(server.port)/\(database)"
}

/// An event line.
func event(_ id: String, _ user: String, _ time: String, _ kind: String, _ campaign: String, detail: String? = nil) -> String {
    #"{"id": "\#(id)", "user_id": "\#(user)", "time": "\#(time)", "type": "interaction", "kind": "\#(kind)", "campaign": "\#(campaign)""#
        + (detail.map { #", "detail": "\#($0)""# } ?? "") + "}"
}

/// A user line.
func user(_ id: String, email: String? = nil, push: String? = nil, name: String = "Ada") -> String {
    var addresses: [String] = []
    if let email { addresses.append(#""email": "\#(email)""#) }
    if let push { addresses.append(#""push": "\#(push)""#) }
    return #"{"id": "\#(id)", "attributes": {"first_name": "\#(name)"}, "addresses": {\#(addresses.joined(separator: ", "))}}"#
}

/// Campaign files: `active` since before the tests' clock.
func campaign(_ body: String) -> String {
    body + "\nstatus: active\npublished_at: 2026-03-01T00:00:00Z\n"
}
