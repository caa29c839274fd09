// Delivery benchmark: messages/s from queued dispatches through claim + render (the email
// template liquid-bench uses) + provider (webhook, signed) + libcurl + record, to the nginx
// sink of Benchmarks/Fixtures, next to the bare transport and Apprise in the same run.
//
//   bash scripts/bench-delivery.sh [--dispatches 100000] [--concurrency 64] [--apprise 1000]
//
// Needs nginx (Debian) and, for the Apprise anchor, a Python with apprise (the script
// makes .peers/bench-venv).
import ConnectorCore
import ConnectorStore
import CurlTransport
import Delivery
import Foundation
import Synchronization

struct Options {
    var dispatches = 100_000
    var concurrency = 64
    var port = 18_091
    var apprise = 1000
    var python: String?

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--dispatches": dispatches = Int(iterator.next() ?? "") ?? dispatches
            case "--concurrency": concurrency = Int(iterator.next() ?? "") ?? concurrency
            case "--port": port = Int(iterator.next() ?? "") ?? port
            case "--apprise": apprise = Int(iterator.next() ?? "") ?? apprise
            case "--python": python = iterator.next()
            default:
                FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }
}

let options = Options(CommandLine.arguments)
let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
let fixtures = ProcessInfo.processInfo.environment["CONNECTOR_BENCH_DIR"].map { URL(fileURLWithPath: $0) }
    ?? here.deletingLastPathComponent().appendingPathComponent("Fixtures")

/// Runs a shell command to its end; returns its standard output.
@discardableResult
func shell(_ arguments: [String]) throws -> String {
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: output) }
    let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", "\(quoted) > '\(output)' < /dev/null"].map { (text: String) in strdup(text) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else { throw CocoaError(.executableLoad) }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
    guard status == 0 else { throw CocoaError(.executableRuntimeMismatch, userInfo: [NSLocalizedDescriptionKey: "\(arguments) failed: \(text)"]) }
    return text
}

func seconds(_ duration: Duration) -> Double { Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18 }

/// The liquid-bench email template with its variables read from the user, as a campaign
/// has them: `customer.x` -> `user.customer.x`, `shop`, `products` and `campaign` likewise
/// (the campaign's data as the user attribute `bench_campaign`). Only inside tags.
func reRooted(_ template: String) -> String {
    let tag = try? NSRegularExpression(pattern: "\\{\\{.*?\\}\\}|\\{%.*?%\\}", options: [.dotMatchesLineSeparators])
    var result = ""
    var last = template.startIndex
    for match in tag?.matches(in: template, range: NSRange(template.startIndex..., in: template)) ?? [] {
        guard let range = Range(match.range, in: template) else { continue }
        result += template[last..<range.lowerBound]
        var text = String(template[range])
        for (name, path) in [("customer", "user.customer"), ("shop", "user.shop"), ("products", "user.products"), ("campaign", "user.bench_campaign")] {
            text = text.replacingOccurrences(of: "(?<![\\w./])\(name)\\b", with: path, options: .regularExpression)
        }
        result += text
        last = range.upperBound
    }
    return result + template[last...]
}

let sinkScript = fixtures.appendingPathComponent("sink/sink.sh").path
do {
    try shell(["bash", sinkScript, "start", "\(options.port)"])
} catch {
    print("could not start the nginx sink (apt-get install -y nginx): \(error)")
    exit(1)
}
defer { _ = try? shell(["bash", sinkScript, "stop", "\(options.port)"]) }
let sinkURL = "http://127.0.0.1:\(options.port)/v1/messages"

// The store: F (email) follows T; each user's push_opened on T queues one dispatch.
let folder = FileManager.default.temporaryDirectory.appendingPathComponent("delivery-bench-\(UUID().uuidString)")
try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: folder) }
let store = try SQLiteStore(path: folder.appendingPathComponent("bench.sqlite").path)
let start = Date(timeIntervalSince1970: 1_772_445_600)  // 2026-03-02T10:00:00Z
let live = StatusHistory([StatusChange(.active, at: start.addingTimeInterval(-86_400))])
let html = reRooted(try String(contentsOf: fixtures.appendingPathComponent("liquid/email.liquid"), encoding: .utf8))
let content = EmailContent(fromName: "Example Outdoor Co.", fromAddress: "news@example.com", subject: "New for you, {{ ${first_name} }}",
                           html: html)
var followUp = Campaign(id: "F", name: "New arrivals", history: live, channels: [.email], messages: [.email: .email(content)])
followUp.trigger = Trigger(kind: .pushOpened, target: "T")
followUp.delay = .relative(seconds: 60)
for campaign in [Campaign(id: "T", history: live, channels: [.push], messages: [.push: .push(PushContent(body: "x"))]), followUp] {
    _ = try store.save(campaign)
    _ = try store.changeStatus(of: campaign.id, to: .active, at: start.addingTimeInterval(-86_400))
}
let data = try JSONDecoder().decode([String: AttributeValue].self, from: Data(contentsOf: fixtures.appendingPathComponent("liquid/email.json")))
let names = ["ada", "grace", "alan", "edsger", "barbara", "donald", "frances", "john"]
let setupStart = ContinuousClock.now
for batch in stride(from: 0, to: options.dispatches, by: 10_000) {
    let range = batch..<min(options.dispatches, batch + 10_000)
    let users = range.map { index -> User in
        var customer = data["customer"]
        if case .object(var fields)? = customer {
            fields["first_name"] = .string(names[index % names.count])
            fields["email"] = .string("user\(index)@example.com")
            customer = .object(fields)
        }
        return User(id: UserID("user-\(index)"),
                    attributes: ["first_name": .string(names[index % names.count]), "customer": customer ?? .null, "shop": data["shop"] ?? .null,
                                 "products": data["products"] ?? .null, "bench_campaign": data["campaign"] ?? .null],
                    addresses: [.email: "user\(index)@example.com"])
    }
    try store.save(users)
    _ = try store.ingest(range.map { Event(id: EventID("open-\($0)"), userID: UserID("user-\($0)"), time: start,
                                           payload: .interaction(Interaction(kind: .pushOpened, campaign: "T"))) }, now: start)
}
_ = try await Scheduler(store: store, worker: "scheduler").runAllDue(at: start.addingTimeInterval(60), batch: 1000)
let queued = try store.outbox(OutboxFilter(states: [.queued], limit: .max)).count
print("Delivery benchmark: \(queued) dispatches queued in \(String(format: "%.1f", seconds(setupStart.duration(to: .now)))) s; \(options.concurrency) in flight; libcurl \(LibcurlInfo.version); \(ProcessInfo.processInfo.activeProcessorCount) cores")

// Ours: the dispatcher, the webhook provider (Standard Webhooks signature) to the sink.
let tracking = try Tracking(baseURL: "https://t.example.com", key: Data(repeating: 7, count: 32))
let client = CurlClient(configuration: .init(maxConnectionsPerHost: options.concurrency))
let provider = try WebhookProvider(name: "sink", url: sinkURL, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
let dispatcher = Dispatcher(store: store, routes: ProviderRoutes([.email: [ProviderRoute(provider)]]), client: client, tracking: tracking,
                            configuration: Dispatcher.Configuration(worker: "bench", batchSize: 1024, concurrency: options.concurrency),
                            now: { start.addingTimeInterval(120) })
let cpuStart = clock()
let oursStart = ContinuousClock.now
let report = try await dispatcher.drain()
let oursSeconds = seconds(oursStart.duration(to: .now))
let cpuSeconds = Double(clock() - cpuStart) / Double(CLOCKS_PER_SEC)
let ours = Double(report.total) / oursSeconds
print(String(format: "connector: %d messages (%@) in %.2f s = %.0f messages/s, %.0f us CPU/message", report.total, report.description,
             oursSeconds, ours, cpuSeconds * 1e6 / Double(max(1, report.total))))

// One message as it went out: the anchors send the same bytes.
func sampleMessage() throws -> (request: [UInt8], html: String) {
    guard let item = try store.outbox(OutboxFilter(states: [.sent], limit: 1)).first, let user = try store.user(item.dispatch.userID),
          let campaign = try store.campaigns().first(where: { $0.id == "F" }), let adapter = AdapterRegistry().adapter(for: .email),
          let content = campaign.messages[.email] else { throw CocoaError(.fileNoSuchFile) }
    let scope = RenderScope(input: RenderInput(dispatch: item.dispatch, user: user, campaign: campaign, address: "user0@example.com", now: start),
                            tracking: tracking)
    let rendered = try adapter.render(content, in: scope)
    guard case .email(let email) = rendered else { throw CocoaError(.fileNoSuchFile) }
    let message = OutgoingMessage(message: rendered, dispatch: item.dispatch, sentAt: start)
    return (try provider.request(for: message).body ?? [], email.html ?? "")
}
let sample = try sampleMessage()

// The bare transport: the same number of POSTs of the same body, `concurrency` in flight.
let counter = Mutex(0)
let bareStart = ContinuousClock.now
let failures = await withTaskGroup(of: Int.self) { group in
    for _ in 0..<options.concurrency {
        group.addTask {
            var failed = 0
            let request = HTTPRequest(method: .post, url: sinkURL, headers: ["Content-Type": "application/json"], body: sample.request)
            while counter.withLock({ value -> Bool in value += 1; return value <= report.total }) {
                do {
                    if try await client.execute(request).status != 202 { failed += 1 }
                } catch {
                    failed += 1
                }
            }
            return failed
        }
    }
    var total = 0
    for await failed in group { total += failed }
    return total
}
let bareSeconds = seconds(bareStart.duration(to: .now))
let bare = Double(report.total) / bareSeconds
print(String(format: "bare transport: %d POSTs of the same %d bytes in %.2f s = %.0f requests/s (%d failed)", report.total, sample.request.count,
             bareSeconds, bare, failures))
await client.shutdown()

// Apprise's json:// to the same sink, the same HTML as the body.
var appriseRate: Double?
if let python = options.python, options.apprise > 0 {
    let bodyFile = folder.appendingPathComponent("body.html")
    try sample.html.write(to: bodyFile, atomically: true, encoding: .utf8)
    let output = try shell([python, here.appendingPathComponent("apprise_bench.py").path, "json://127.0.0.1:\(options.port)/v1/apprise",
                            "\(options.apprise)", bodyFile.path])
    if let line = output.split(separator: "\n").last, let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
       let count = json["messages"] as? Int, let elapsed = json["seconds"] as? Double {
        appriseRate = Double(count) / elapsed
        print(String(format: "apprise json://: %d messages in %.2f s = %.0f messages/s (%@ failed)", count, elapsed, appriseRate ?? 0,
                     "\(json["failed"] ?? "?")"))
    }
}
print(String(format: "connector / bare transport = %.2fx (target >= 0.5x)", ours / bare))
if let appriseRate { print(String(format: "connector / apprise = %.1fx (target >= 20x)", ours / appriseRate)) }
