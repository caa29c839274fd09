// Engine + store benchmark (issue 3):
//   swift build -c release && .build/release/engine-bench [--events 1000000] [--batch 1000]
// 1. ingest N events (20% triggering follow-ups, 5% exceptions, 75% other; random UUIDv4
//    ids; 100 campaigns; 100,000 users) through ConnectorEngine + SQLiteStore;
// 2. the same rows inserted with raw GRDB, in two row shapes, for the ratio (the
//    time-ordered one before and after step 1, against the machine's drift);
// 3. RSS and the due-entry query with 1,000,000 waiting entries, 1% due.
import ConnectorCore
import ConnectorStore
import Foundation
import GRDB
import Synchronization



var eventCount = 1_000_000
var batchSize = 1000
var userCount = 100_000
var lateness = 0.0
var onlyIngest = false
var systemRandom = false
var stateIndexEvery = 65_536
/// The follow-ups' re-eligibility: every time (no receipt read for R7) or a 30-day window.
var reEligibleEveryTime = true
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--events": eventCount = Int(arguments.next() ?? "") ?? eventCount
    case "--batch": batchSize = Int(arguments.next() ?? "") ?? batchSize
    case "--users": userCount = Int(arguments.next() ?? "") ?? userCount
    case "--late": lateness = Double(arguments.next() ?? "") ?? lateness
    case "--only-ingest": onlyIngest = true
    case "--system-random": systemRandom = true
    case "--state-index-every": stateIndexEvery = Int(arguments.next() ?? "") ?? stateIndexEvery
    case "--re-eligible":
        switch arguments.next() {
        case "always": reEligibleEveryTime = true
        case "30d": reEligibleEveryTime = false
        default: print("--re-eligible always|30d"); exit(2)
        }
    default: print("unknown argument \(argument)"); exit(2)
    }
}

/// A line of /proc/self/status in MB: VmRSS (all resident pages, including the
/// memory-mapped database file) or RssAnon (the process's own memory).
func statusMegabytes(_ field: String) -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }),
          let kilobytes = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
    return kilobytes / 1024
}

func memory() -> String {
    String(format: "RSS %.0f MB (of which anonymous %.0f MB)", statusMegabytes("VmRSS"), statusMegabytes("RssAnon"))
}

/// Bytes this process has written through write(2)/pwrite(2) so far (/proc/self/io
/// `wchar`): WAL frames and checkpoints, the store's I/O cost.
func bytesWritten() -> Double {
    guard let io = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8),
          let line = io.split(separator: "\n").first(where: { $0.hasPrefix("wchar:") }),
          let bytes = Double(line.split(separator: " ").last ?? "") else { return 0 }
    return bytes
}

/// CPU time of the calling thread, in seconds: steadier than wall time for comparing builds.
func threadCPUSeconds() -> Double {
    var spec = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &spec)
    return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = start.duration(to: .now)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
}

let folder = FileManager.default.temporaryDirectory.appendingPathComponent("engine-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let utc = TimeZone(identifier: "UTC") ?? .current
let start = Date(timeIntervalSince1970: 1_772_445_600)

// 100 campaigns: 50 originals and a follow-up for each (push_opened, 1 day, purchase cancels).
var campaigns: [Campaign] = []
let history = StatusHistory([StatusChange(.active, at: start.addingTimeInterval(-86_400))])
for i in 0..<50 {
    let message: [Channel: ChannelContent] = [.push: .push(PushContent(title: "Hello", body: "Hi {{ ${first_name} }}"))]
    campaigns.append(Campaign(id: CampaignID("O\(i)"), history: history, messages: message))
    // Half the follow-ups are for pro users only; all need a push token.
    let audience: Segment = i.isMultiple(of: 2) ? .all([.reachable(.push), .attribute("plan", .equals(.string("pro")))]) : .reachable(.push)
    campaigns.append(Campaign(id: CampaignID("F\(i)"), history: history, messages: message, audience: audience,
                              trigger: Trigger(kind: .pushOpened, target: CampaignID("O\(i)")),
                              delay: .relative(seconds: 86_400), exceptions: [.purchase(productID: nil)],
                              reEligibility: .after(seconds: reEligibleEveryTime ? 0 : 30 * 86_400)))
}

let eventUsers = max(1, userCount)
// With --late S, each event happened up to S seconds before its place in the stream (as
// mobile SDKs send batches late): exceptions can arrive before earlier triggers (R14).
let eventLateness = lateness
/// The event generator's randomness: SplitMix64 seeded from the system (the ids are
/// still uniformly random UUIDv4s). `SystemRandomNumberGenerator` and `UUID()` make a
/// getrandom(2) call per number, six per event: about as much CPU as the writer's, on
/// the core that the store's index thread and checkpointer share (`--system-random`).
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    init() {
        var system = SystemRandomNumberGenerator()
        state = system.next()
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A random version-4 UUID from `generator`, lowercased as clients send them.
func uuidV4<G: RandomNumberGenerator>(using generator: inout G) -> String {
    let high = generator.next(), low = generator.next()
    var bytes = (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) } + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    bytes[6] = bytes[6] & 0x0F | 0x40  // version 4
    bytes[8] = bytes[8] & 0x3F | 0x80  // RFC 4122 variant
    return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                       bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])).uuidString.lowercased()
}

let useSystemRandom = systemRandom
func makeEvents(_ range: Range<Int>) -> [Event] {
    if useSystemRandom {
        var generator = SystemRandomNumberGenerator()
        return makeEvents(range, using: &generator) { _ in UUID().uuidString.lowercased() }
    }
    var generator = SplitMix64()
    return makeEvents(range, using: &generator) { uuidV4(using: &$0) }
}

func makeEvents<G: RandomNumberGenerator>(_ range: Range<Int>, using generator: inout G, id: (inout G) -> String) -> [Event] {
    range.map { index in
        let user = UserID("user-\(Int.random(in: 0..<eventUsers, using: &generator))")
        let campaign = CampaignID("O\(Int.random(in: 0..<50, using: &generator))")
        let time = start.addingTimeInterval(Double(index) * 0.01 - (eventLateness > 0 ? Double.random(in: 0..<eventLateness, using: &generator) : 0))
        let roll = Int.random(in: 0..<100, using: &generator)
        let payload: Event.Payload
        switch roll {
        case 0..<20: payload = .interaction(Interaction(kind: .pushOpened, campaign: campaign))
        case 20..<25: payload = .purchase(productID: "sku-\(roll)", price: 9.99, currency: "EUR", quantity: 1)
        case 25..<60: payload = .interaction(Interaction(kind: .pushReceived, campaign: campaign))
        case 60..<80: payload = .custom(name: "viewed_product", properties: ["sku": .string("sku-\(roll)")])
        default: payload = .sessionStart
        }
        return Event(id: EventID(id(&generator)), userID: user, time: time, payload: payload)
    }
}

// Raw GRDB: the same event rows, batched the same way, in two row shapes: keyed by the
// client's random UUID, and time-ordered (the shape the store uses, without the dedupe
// index, the decisions and the indexes the engine needs).
let rawBatchSize = batchSize
let rawEventCount = eventCount
func rawInsert(_ name: String, schema: String, insert: String, arguments: @escaping (Event, Int) -> StatementArguments) throws -> Double {
    let batchSize = rawBatchSize
    var configuration = Configuration()
    configuration.prepareDatabase { try $0.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -32768") }
    let pool = try DatabasePool(path: folder.appendingPathComponent("\(name).sqlite").path, configuration: configuration)
    try pool.write { try $0.execute(sql: schema) }
    var generation = 0.0
    let writtenBefore = bytesWritten()
    let elapsed = try seconds {
        var index = 0
        while index < rawEventCount {
            let end = min(rawEventCount, index + batchSize)
            var events: [Event] = []
            generation += seconds { events = makeEvents(index..<end) }
            try pool.write { db in
                let statement = try db.cachedStatement(sql: insert)
                for (offset, event) in events.enumerated() { try statement.execute(arguments: arguments(event, index + offset)) }
            }
            index = end
        }
    }
    let written = bytesWritten() - writtenBefore
    print(String(format: "raw GRDB, %@: %.0f rows/s, wrote %.0f MB (%.1f KB a row)", name, Double(rawEventCount) / (elapsed - generation),
                 written / 1e6, written / Double(rawEventCount) / 1e3))
    return Double(rawEventCount) / (elapsed - generation)
}
/// The columns the store writes for an event (its `EventRow`), so the raw inserts write
/// the same rows.
func columns(_ event: Event) -> StatementArguments {
    let row = EventRow(event)
    return [event.id.rawValue, event.userID.rawValue, event.time.timeIntervalSince1970, row.type, row.kind, row.campaign, row.detail, row.data]
}
let timeOrderedSchema = """
    CREATE TABLE event (seq INTEGER PRIMARY KEY, event_id TEXT, user_id TEXT, time REAL, type TEXT, kind TEXT, campaign TEXT, detail TEXT, data TEXT)
    """
/// The time-ordered raw insert (the shape the store uses), run before and after the
/// store's ingestion: the machine's speed drifts by minutes, and the ratio is taken
/// against the mean of the two.
func timeOrderedRaw(_ name: String) throws -> Double {
    try rawInsert(name, schema: timeOrderedSchema, insert: "INSERT INTO event VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)") { event, position in
        [position] + columns(event)
    }
}
let timeOrderedBefore = onlyIngest ? 0 : try timeOrderedRaw("ordered-before")

print("engine + store benchmark: \(eventCount) events, batches of \(batchSize), \(userCount) stored users"
      + ", follow-ups re-eligible " + (reEligibleEveryTime ? "every time" : "after 30 days")
      + (lateness > 0 ? ", events up to \(Int(lateness)) s late" : ""))
let store = try SQLiteStore(path: folder.appendingPathComponent("connector.sqlite").path,
                            stateIndexEvery: stateIndexEvery)
// Saved, then published through the lifecycle checks, originals first (their follow-ups
// before them would warn, R26; this order publishes all without a refusal).
for campaign in campaigns { try store.save(campaign) }
for campaign in campaigns.sorted(by: { ($0.trigger == nil ? 0 : 1, $0.id) < ($1.trigger == nil ? 0 : 1, $1.id) }) {
    _ = try store.changeStatus(of: campaign.id, to: .active, at: start.addingTimeInterval(-86_400))
}
// Users as a workspace has them: a few attributes, a time zone, a push token for 90%.
let zones = ["Europe/Berlin", "America/New_York", "Asia/Tokyo", "UTC", "Europe/London"]
func makeUsers(_ count: Int) -> [User] {
    (0..<count).map { index in
    User(id: UserID("user-\(index)"),
         attributes: ["plan": .string(index % 3 == 0 ? "pro" : "free"), "country": .string(["DE", "US", "JP", "GB"][index % 4]),
                      "orders": .number(Double(index % 17)), "newsletter": .bool(index % 2 == 0)],
         timeZone: zones[index % zones.count], addresses: index % 10 == 0 ? [:] : [.push: "token-\(index)"])
    }
}
let userSeconds = try seconds { try store.save(makeUsers(userCount)) }
print(String(format: "users: %d saved in %.2f s (%.0f users/s)", userCount, userSeconds, Double(userCount) / userSeconds))
// Events are generated on a second thread, two batches ahead (as a service parses
// requests on other threads), so the figure is wall time for the whole stream.
final class BatchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [[Event]] = []
    private var finished = false

    func put(_ batch: [Event]) {
        condition.lock()
        while batches.count >= 2 { condition.wait() }
        batches.append(batch)
        condition.broadcast()
        condition.unlock()
    }

    func finish() {
        condition.lock()
        finished = true
        condition.broadcast()
        condition.unlock()
    }

    func take() -> [Event]? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !finished { condition.wait() }
        if batches.isEmpty { return nil }
        let batch = batches.removeFirst()
        condition.broadcast()
        return batch
    }
}
let batches = BatchQueue()
let producerCount = eventCount, producerBatch = batchSize
let producer = Thread {
    var index = 0
    while index < producerCount {
        batches.put(makeEvents(index..<min(producerCount, index + producerBatch)))
        index += producerBatch
    }
    batches.finish()
}
var decisions = 0
/// Time the writer spent waiting for the producer (the machine's other core was busy).
var waitedForBatches = 0.0
let writtenBefore = bytesWritten()
let cpuBefore = threadCPUSeconds()
let ingestSeconds = try seconds {
    producer.start()
    while true {
        var next: [Event]?
        waitedForBatches += seconds { next = batches.take() }
        guard let batch = next else { break }
        let report = try store.ingest(batch, now: batch.last?.time ?? start)  // the store's own engine
        decisions += report.decisions.count
        if let failure = report.failures.first {
            print("ingestion failed: \(report.failures.count) events, first: \(failure)")
            try? FileManager.default.removeItem(at: folder)
            exit(1)
        }
    }
}
let ingestRate = Double(eventCount) / ingestSeconds
let ingestWritten = bytesWritten() - writtenBefore
let writerCPU = threadCPUSeconds() - cpuBefore
print(String(format: "end to end: %.0f events/s (%.1f s wall time, events generated on another thread; %d decisions), %@; wrote %.0f MB (%.1f KB an event); writer thread %.1f s CPU = %.1f us an event, %.1f s waiting for batches",
             ingestRate, ingestSeconds, decisions, memory(), ingestWritten / 1e6, ingestWritten / Double(eventCount) / 1e3,
             writerCPU, writerCPU / Double(eventCount) * 1e6, waitedForBatches))

if onlyIngest {
    try? FileManager.default.removeItem(at: folder)
    exit(0)
}

let uuidKeyed = try rawInsert("uuid", schema: """
    CREATE TABLE event (event_id TEXT PRIMARY KEY, user_id TEXT, time REAL, type TEXT, kind TEXT, campaign TEXT, detail TEXT, data TEXT)
    """, insert: "INSERT INTO event VALUES (?, ?, ?, ?, ?, ?, ?, ?)") { event, _ in columns(event) }
let timeOrderedAfter = try timeOrderedRaw("ordered-after")
let timeOrdered = (timeOrderedBefore + timeOrderedAfter) / 2
let best = max(uuidKeyed, timeOrdered)
print(String(format: "raw GRDB inserts of the event rows: UUID primary key %.0f rows/s, time-ordered key %.0f rows/s (%.0f before the store's run, %.0f after); end to end / best = %.2fx",
             uuidKeyed, timeOrdered, timeOrderedBefore, timeOrderedAfter, ingestRate / best))

// 1,000,000 waiting entries: 10% due now (one scheduler), 10% due an hour later (two schedulers).
// With the store's index file attached, where `waiting_by_user` lives (IMMEDIATE: both
// files locked up front, waiting for a bulk of the store's index thread if one runs).
let storePath = folder.appendingPathComponent("connector.sqlite").path
var waitingConfiguration = Configuration()
waitingConfiguration.busyMode = .timeout(30)
waitingConfiguration.prepareDatabase { try $0.execute(sql: "ATTACH DATABASE ? AS idx", arguments: [SQLiteStore.indexPath(for: storePath)]) }
let waitingPool = try DatabasePool(path: storePath, configuration: waitingConfiguration)
let waitingCount = 1_000_000
try waitingPool.write { db in
    let statement = try db.cachedStatement(sql: """
        INSERT OR REPLACE INTO waiting (id, follow_up, version, user_id, trigger_event_id, trigger_time, due_at, first_due_at)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?7)
        """)
    for index in 0..<waitingCount {
        let due = switch index % 10 {
        case 0: start.addingTimeInterval(-60)
        case 1: start.addingTimeInterval(3600 - 60)
        default: start.addingTimeInterval(86_400 + Double(index))
        }
        let entry = WaitingEntry(followUp: CampaignID("F\(index % 50)"), campaignVersion: 1, userID: UserID("bulk-\(index)"),
                                 triggerEventID: EventID("t-\(index)"), triggerTime: start, dueAt: due)
        try statement.execute(arguments: [entry.id, entry.followUp.rawValue, 1, entry.userID.rawValue, entry.triggerEventID.rawValue,
                                          start.timeIntervalSince1970, due.timeIntervalSince1970])
    }
    // Their by-user index, as the store's bulk would build it (the scheduler finds an
    // entry's row through it).
    try db.execute(sql: "INSERT OR IGNORE INTO waiting_by_user (user_id, seq) SELECT user_id, seq FROM waiting WHERE user_id LIKE 'bulk-%' ORDER BY 1, 2")
}
var due: [WaitingEntry] = []
let dueSeconds = try seconds { due = try store.waitingEntries(WaitingFilter(dueBy: start, limit: 20_000)) }
print(String(format: "waiting entries: %d (+ those from ingestion), %@; due query listed %d in %.1f ms", waitingCount, memory(), due.count, dueSeconds * 1000))

// The schedulers on those 2 x 100,000 due entries: users with a push token, one dispatch each.
try store.save((0..<waitingCount).filter { $0 % 10 < 2 }.map { index in
    User(id: UserID("bulk-\(index)"), attributes: ["plan": .string("pro")], addresses: [.push: "token-\(index)"])
})
/// Claims and settles everything due at `now` with `workers` schedulers on their own
/// threads, in claims of 1,000; returns (entries settled, dispatches queued, seconds).
func runSchedulers(_ workers: Int, at now: Date) throws -> (Int, Int, Double) {
    let counts = Mutex((settled: 0, sent: 0))
    let failure = Mutex<(any Error)?>(nil)
    let elapsed = seconds {
        DispatchQueue.concurrentPerform(iterations: workers) { index in
            let worker = WorkerID("bench-\(index)")
            do {
                while true {
                    let claimed = try store.claimDue(at: now, worker: worker, lease: 60, limit: 1000)
                    if claimed.isEmpty { return }
                    let settled = try store.settle(claimed, worker: worker, now: now)
                    let sent = settled.filter { if case .settled(.send) = $0.result { return true } else { return false } }.count
                    counts.withLock { $0.settled += settled.count; $0.sent += sent }
                }
            } catch {
                failure.withLock { $0 = error }
            }
        }
    }
    if let error = failure.withLock({ $0 }) { throw error }
    return counts.withLock { ($0.settled, $0.sent, elapsed) }
}
for (workers, at) in [(1, start), (2, start.addingTimeInterval(3600))] {
    let (settled, sent, elapsed) = try runSchedulers(workers, at: at)
    print(String(format: "scheduler, %d worker(s): %d due entries claimed and settled -> %d dispatches in %.2f s = %.0f entries/s",
                 workers, settled, sent, elapsed, Double(settled) / elapsed))
}
print("outbox: \(try store.outbox(OutboxFilter(limit: Int.max)).count) dispatches")
try? FileManager.default.removeItem(at: folder)
