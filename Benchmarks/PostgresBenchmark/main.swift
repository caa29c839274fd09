// PostgreSQL store benchmark (issue 13): `bash scripts/bench-postgres.sh [--events 200000] [--batch 5000] [--users 20000]`.
// Starts its own server (Tests/Peers/pg_peer.py), then for 1, 2 and 4 concurrent
// ingesting processes (this program again, `--worker ingest`), each on a fresh database
// with the same campaigns and users, ingests the same events (20% triggering follow-ups,
// 5% exceptions, the rest deciding nothing), split by user; in the same run, the raw
// insert of the same event rows in the same batches through the same driver (a
// multi-row INSERT ... SELECT FROM unnest) as the anchor; then the due entries claimed
// and settled by 1 and by 4 scheduler processes.
import ConnectorCore
import ConnectorPostgres
import ConnectorStore
import Foundation
import Logging
import PostgresNIO

var eventCount = 200_000
var batchSize = 5_000
var userCount = 20_000
let pairs = 50
let start = Date(timeIntervalSince1970: 1_772_445_600)  // 2026-03-02T10:00:00Z

/// Event `index` of the benchmark's fixed sequence.
@MainActor
func event(_ index: Int) -> Event {
    let user = UserID("u\(index % userCount)")
    let time = start.addingTimeInterval(Double(index) * 0.01)
    let id = EventID("e\(index)")
    switch index % 20 {
    case 0..<4: return Event(id: id, userID: user, time: time, payload: .interaction(Interaction(kind: .pushOpened, campaign: CampaignID("T\(index % pairs)"))))
    case 4: return Event(id: id, userID: user, time: time, payload: .purchase(productID: "sku", price: 9.5, currency: "EUR", quantity: 1))
    default: return Event(id: id, userID: user, time: time, payload: .custom(name: "page_view", properties: ["path": .string("/p/\(index % 97)")]))
    }
}

/// Runs as a worker process: ingests its share, or settles due entries until none are left.
@MainActor
func worker(_ arguments: [String]) async throws {
    let store = try await PostgresStore.open(url: arguments[2], maximumConnections: 2)
    switch arguments[1] {
    case "ingest":
        let share = Int(arguments[3]) ?? 0, of = Int(arguments[4]) ?? 1
        var batch: [Event] = []
        for index in 0..<eventCount where (index % userCount) % of == share {
            batch.append(event(index))
            if batch.count == batchSize {
                _ = try await store.ingest(batch, now: start.addingTimeInterval(3000))
                batch = []
            }
        }
        if !batch.isEmpty { _ = try await store.ingest(batch, now: start.addingTimeInterval(3000)) }
    case "tick":
        let settled = try await Scheduler(store: store, worker: .unique("bench")).runAllDue(at: start.addingTimeInterval(3 * 3600), batch: 1000)
        print(settled.count)
    default: break
    }
    await store.close()
}

/// This program again, as `count` concurrent worker processes; the wall time until all exited.
func processes(_ count: Int, _ arguments: (Int) -> [String]) throws -> (seconds: Double, outputs: [String]) {
    let begin = ContinuousClock.now
    var running: [(pid_t, String)] = []
    for share in 0..<count {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pg-bench-\(UUID().uuidString)").path
        let command = ([CommandLine.arguments[0]] + arguments(share)).map { "'\($0)'" }.joined(separator: " ") + " > '\(output)'"
        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { (text: String) in strdup(text) } + [nil]
        defer { argv.forEach { free($0) } }
        guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { throw CocoaError(.executableLoad) }
        running.append((pid, output))
    }
    var outputs: [String] = []
    for (pid, output) in running {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw CocoaError(.executableRuntimeMismatch, userInfo: [NSLocalizedDescriptionKey: "a worker failed: status \(status)"]) }
        outputs.append((try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
        try? FileManager.default.removeItem(atPath: output)
    }
    let elapsed = begin.duration(to: .now)
    return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18, outputs)
}

var options = CommandLine.arguments.dropFirst().makeIterator()
var workerArguments: [String]?
parsing: while let option = options.next() {
    switch option {
    case "--events": eventCount = Int(options.next() ?? "") ?? eventCount
    case "--batch": batchSize = Int(options.next() ?? "") ?? batchSize
    // More users, more distinct (user, follow-up) pairs waiting: 200,000 users make ~100,000 due entries.
    case "--users": userCount = Int(options.next() ?? "") ?? userCount
    case "--worker":
        workerArguments = ["--worker"] + Array(IteratorSequence(options))
        break parsing
    default: print("unknown argument \(option)"); exit(2)
    }
}
if let workerArguments {
    try await worker(workerArguments)
    exit(0)
}

// The server: the tests' peer, fed a pipe this process holds (it ends with us).
let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
let work = FileManager.default.temporaryDirectory.appendingPathComponent("pg-bench-\(UUID().uuidString.prefix(8))")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
let server = Process()
server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
server.arguments = ["python3", "-u", root.appendingPathComponent("Tests/Peers/pg_peer.py").path, work.path]
let input = Pipe(), output = Pipe()
server.standardInput = input
server.standardOutput = output
try server.run()
guard let ready = String(data: output.fileHandleForReading.availableData, encoding: .utf8), ready.hasPrefix("READY "),
      let json = try JSONSerialization.jsonObject(with: Data(ready.dropFirst(6).utf8)) as? [String: Any], let port = json["port"] as? Int else {
    print("the PostgreSQL server did not start (apt-get install -y postgresql)")
    exit(1)
}
let admin = "postgres://postgres@127.0.0.1:\(port)/postgres"
print("PostgreSQL store benchmark: \(eventCount) events in batches of \(batchSize), \(userCount) users, \(pairs) follow-ups; \(ProcessInfo.processInfo.activeProcessorCount) cores")

/// A fresh database with the campaigns and users.
func database(_ name: String) async throws -> String {
    try await PostgresStore.createDatabase(name, serverURL: admin)
    let url = "postgres://postgres@127.0.0.1:\(port)/\(name)"
    let store = try await PostgresStore.open(url: url, maximumConnections: 2)
    let live = StatusHistory([StatusChange(.active, at: start.addingTimeInterval(-86_400))])
    for index in 0..<pairs {
        var followUp = Campaign(id: CampaignID("F\(index)"), history: live, channels: [.push], messages: [.push: .push(PushContent(body: "Hi"))])
        followUp.trigger = Trigger(kind: .pushOpened, target: CampaignID("T\(index)"))
        followUp.delay = .relative(seconds: 3600)
        followUp.exceptions = [.purchase(productID: nil)]
        followUp.reEligibility = .after(seconds: 0)
        for campaign in [Campaign(id: CampaignID("T\(index)"), history: live, channels: [.push], messages: [.push: .push(PushContent(body: "x"))]), followUp] {
            _ = try await store.save(campaign)
            _ = try await store.changeStatus(of: campaign.id, to: .active, at: start.addingTimeInterval(-86_400))
        }
    }
    let users = await MainActor.run { userCount }
    for chunk in stride(from: 0, to: users, by: 5000) {
        try await store.save((chunk..<min(users, chunk + 5000)).map { User(id: UserID("u\($0)"), addresses: [.push: "token-\($0)"]) })
    }
    await store.close()
    return url
}

// The anchor: the same event rows, the same batches, one multi-row statement per batch.
let rawURL = try await database("raw")
var configuration = PostgresClient.Configuration(host: "127.0.0.1", port: port, username: "postgres", password: nil, database: "raw", tls: .disable)
configuration.options.maximumConnections = 1
let client = PostgresClient(configuration: configuration, backgroundLogger: Logger(label: "bench"))
let clientTask = Task { await client.run() }
try await client.query("CREATE TABLE raw_event (LIKE event INCLUDING ALL)")
let encoder = JSONEncoder()
let rawBegin = ContinuousClock.now
for chunk in stride(from: 0, to: eventCount, by: batchSize) {
    let events = (chunk..<min(eventCount, chunk + batchSize)).map(event)
    let ids = events.map(\.id.rawValue), users = events.map(\.userID.rawValue), times = events.map(\.time.timeIntervalSince1970)
    let flags = events.map { if case .purchase = $0.payload { return true } else { return false } }
    let documents = try events.map { String(decoding: try encoder.encode($0), as: UTF8.self) }
    try await client.query("""
        INSERT INTO raw_event (event_id, user_id, time, may_cancel, json)
        SELECT * FROM unnest(\(ids)::text[], \(users)::text[], \(times)::float8[], \(flags)::bool[], \(documents)::text[])
        ON CONFLICT (event_id) DO NOTHING
        """)
}
let rawElapsed = rawBegin.duration(to: .now)
let rawSeconds = Double(rawElapsed.components.seconds) + Double(rawElapsed.components.attoseconds) / 1e18
clientTask.cancel()
_ = rawURL
print(String(format: "raw insert (anchor): %d rows in %.2f s = %.0f rows/s", eventCount, rawSeconds, Double(eventCount) / rawSeconds))

var single = 0.0
for workers in [1, 2, 4] {
    let url = try await database("ingest_\(workers)")
    let (seconds, _) = try processes(workers) { ["--events", "\(eventCount)", "--batch", "\(batchSize)", "--users", "\(userCount)", "--worker", "ingest", url, "\($0)", "\(workers)"] }
    let rate = Double(eventCount) / seconds
    if workers == 1 { single = rate }
    print(String(format: "store, %d ingesting process(es): %.2f s = %.0f events/s = %.2fx the raw insert, %.2fx one process",
                 workers, seconds, rate, rate / (Double(eventCount) / rawSeconds), rate / single))
    if workers != 2 {
        let (tick, outputs) = try processes(workers) { _ in ["--events", "\(eventCount)", "--users", "\(userCount)", "--worker", "tick", url] }
        let settled = outputs.compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }.reduce(0, +)
        print(String(format: "scheduler, %d process(es): %d due entries claimed and settled in %.2f s = %.0f entries/s", workers, settled, tick,
                     Double(settled) / tick))
    }
}
try input.fileHandleForWriting.close()
server.waitUntilExit()
try? FileManager.default.removeItem(at: work)
