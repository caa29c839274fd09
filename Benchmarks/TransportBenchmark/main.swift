// Transport benchmark: CurlClient against the nginx sink of Benchmarks/Fixtures, next to wrk.
//
//   swift run -c release transport-bench [--seconds 5] [--port 18089] [--concurrency 1,16,64] [--loops 1] [--on-loop]
//
// Needs nginx and wrk (Debian packages); the fixtures are Benchmarks/Fixtures (or CONNECTOR_BENCH_DIR).
// For each concurrency it runs the client for N seconds (after a 1 s warm-up) with the
// same 296-byte SendGrid-shaped POST that wrk sends, then wrk itself, and prints
// requests/s, p50/p99 latency and the ratio client/wrk, and runs curl-multi-reference
// (plain C on libcurl) for libcurl's own ceiling on the same machine.
import CurlTransport
import Foundation

struct Options {
    var seconds = 5
    var port = 18089
    var concurrency = [1, 16, 64]
    var loops = 1
    var onLoop = false

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            switch argument {
            case "--seconds": seconds = Int(iterator.next() ?? "") ?? seconds
            case "--on-loop": onLoop = true
            case "--loops": loops = Int(iterator.next() ?? "") ?? loops
            case "--port": port = Int(iterator.next() ?? "") ?? port
            case "--concurrency":
                concurrency = (iterator.next() ?? "").split(separator: ",").compactMap { Int($0) }
            default:
                FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
                exit(2)
            }
        }
    }
}

/// The body of Benchmarks/Fixtures/wrk_post.lua, byte for byte.
let body = Array((
    #"{"personalizations":[{"to":[{"email":"ada@example.com","name":"Ada Lovelace"}],"#
    + #""dynamic_template_data":{"first_name":"Ada","order_id":"A-10023"}}],"#
    + #""from":{"email":"news@example.com"},"subject":"Your order has shipped","#
    + #""content":[{"type":"text/plain","value":"Hi Ada, your order is on its way."}]}"#
).utf8)

func benchDirectory() -> URL {
    if let explicit = ProcessInfo.processInfo.environment["CONNECTOR_BENCH_DIR"] {
        return URL(fileURLWithPath: explicit)
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")
}

/// Runs a command through posix_spawn and waitpid (Foundation's Process.waitUntilExit
/// can hang inside an async main on Linux), returning its standard output.
@discardableResult
func shell(_ arguments: [String]) throws -> String {
    let outputPath = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)").path
    defer { try? FileManager.default.removeItem(atPath: outputPath) }
    let quoted = arguments.map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    let command = "\(quoted) > '\(outputPath)' < /dev/null"
    var pid: pid_t = 0
    let argv: [UnsafeMutablePointer<CChar>?] = ["/bin/sh", "-c", command].map { (text: String) in strdup(text) } + [nil]
    defer { argv.forEach { free($0) } }
    guard posix_spawn(&pid, "/bin/sh", nil, nil, argv, environ) == 0 else {
        throw NSError(domain: "bench", code: 1, userInfo: [NSLocalizedDescriptionKey: "cannot spawn /bin/sh"])
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
    guard status == 0 else {
        throw NSError(domain: "bench", code: Int(status),
                      userInfo: [NSLocalizedDescriptionKey: "\(arguments.joined(separator: " ")) failed (status \(status))"])
    }
    return output
}

/// CPU time (user + system) this process has used so far, in seconds.
func processCPUSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

struct Measurement {
    var cpuMicrosecondsPerRequest: Double = 0
    var requestsPerSecond: Double
    var p50: Double  // microseconds
    var p99: Double
    var errors: Int
}

func percentile(_ sorted: [UInt64], _ p: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    let index = min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.down)))
    return Double(sorted[index]) / 1000
}

func runClient(_ client: CurlClient, url: String, concurrency: Int, duration: Duration) async -> Measurement {
    let request = HTTPRequest(
        method: .post, url: url,
        headers: ["Content-Type": "application/json", "Authorization": "Bearer SG.perf-anchor-not-a-real-key"],
        body: body
    )
    let clock = ContinuousClock()
    let cpuStart = processCPUSeconds()
    let start = clock.now
    let deadline = start.advanced(by: duration)
    let results = await withTaskGroup(of: ([UInt64], Int).self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var latencies: [UInt64] = []
                latencies.reserveCapacity(200_000)
                var errors = 0
                while clock.now < deadline {
                    let begin = clock.now
                    do {
                        let response = try await client.execute(request)
                        if response.status != 202 { errors += 1 }
                    } catch {
                        errors += 1
                    }
                    let elapsed = begin.duration(to: clock.now)
                    latencies.append(UInt64(elapsed.components.seconds) * 1_000_000_000 + UInt64(elapsed.components.attoseconds / 1_000_000_000))
                }
                return (latencies, errors)
            }
        }
        var all: [UInt64] = []
        var errors = 0
        for await (latencies, failed) in group {
            all.append(contentsOf: latencies)
            errors += failed
        }
        return (all, errors)
    }
    let elapsed = start.duration(to: clock.now)
    let cpu = processCPUSeconds() - cpuStart
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let sorted = results.0.sorted()
    return Measurement(
        cpuMicrosecondsPerRequest: sorted.isEmpty ? 0 : cpu * 1e6 / Double(sorted.count),
        requestsPerSecond: Double(sorted.count) / seconds,
        p50: percentile(sorted, 0.50), p99: percentile(sorted, 0.99), errors: results.1
    )
}

func runWrk(_ dir: URL, port: Int, concurrency: Int, seconds: Int) throws -> Measurement {
    let output = try shell(["bash", dir.appendingPathComponent("wrk.sh").path, "\(port)", "\(concurrency)", "\(seconds)"])
    let lines = output.split(separator: "\n")
    func field(_ name: String) -> Double {
        guard let detail = lines.dropFirst().first,
              let range = detail.range(of: "\(name)=") else { return 0 }
        let value = detail[range.upperBound...].prefix { $0.isNumber || $0 == "." }
        return Double(value) ?? 0
    }
    let errors = ["errors_connect", "errors_read", "errors_write", "errors_status", "errors_timeout"].map { Int(field($0)) }.reduce(0, +)
    return Measurement(requestsPerSecond: Double(lines.first ?? "") ?? 0, p50: field("p50_us"), p99: field("p99_us"), errors: errors)
}

/// Runs the C reference (built next to this executable) and returns its requests/s.
func runReference(url: String, concurrency: Int, seconds: Int) -> Double? {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        .appendingPathComponent("curl-multi-reference").path
    guard FileManager.default.isExecutableFile(atPath: executable),
          let output = try? shell([executable, url, "\(concurrency)", "\(seconds)"]),
          let range = output.range(of: "rps=") else { return nil }
    return Double(output[range.upperBound...].prefix { $0.isNumber || $0 == "." })
}

let options = Options(CommandLine.arguments)
let dir = benchDirectory()
let sink = dir.appendingPathComponent("sink/sink.sh").path
guard FileManager.default.fileExists(atPath: sink) else {
    print("benchmark fixtures not found at \(dir.path); set CONNECTOR_BENCH_DIR to a copy of Benchmarks/Fixtures")
    exit(1)
}
do {
    try shell(["bash", sink, "start", "\(options.port)"])
} catch {
    print("could not start the nginx sink (apt-get install -y nginx wrk): \(error)")
    exit(1)
}
defer { _ = try? shell(["bash", sink, "stop", "\(options.port)"]) }

print("CurlTransport benchmark: libcurl \(LibcurlInfo.version), \(ProcessInfo.processInfo.activeProcessorCount) cores, \(options.seconds) s per run, \(options.loops) event loop(s)\(options.onLoop ? ", callers on the loop thread (withTaskExecutorPreference)" : "")")
print("| concurrency | client req/s | client p50 us | client p99 us | client CPU us/req | wrk req/s | wrk p50 us | wrk p99 us | client/wrk | libcurl C req/s | client/libcurl C | errors |")
print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
let url = "http://127.0.0.1:\(options.port)/v3/mail/send"
for concurrency in options.concurrency {
    let client = CurlClient(configuration: .init(
        eventLoopCount: options.loops, maxConnectionsPerHost: max(1, concurrency / options.loops)
    ))
    let ours: Measurement
    if options.onLoop {
        ours = await withTaskExecutorPreference(client.executor) {
            _ = await runClient(client, url: url, concurrency: concurrency, duration: .seconds(1))  // warm-up
            return await runClient(client, url: url, concurrency: concurrency, duration: .seconds(options.seconds))
        }
    } else {
        _ = await runClient(client, url: url, concurrency: concurrency, duration: .seconds(1))  // warm-up
        ours = await runClient(client, url: url, concurrency: concurrency, duration: .seconds(options.seconds))
    }
    await client.shutdown()
    let wrk: Measurement
    do {
        wrk = try runWrk(dir, port: options.port, concurrency: concurrency, seconds: options.seconds)
    } catch {
        print("wrk failed: \(error)")
        exit(1)
    }
    let ratio = wrk.requestsPerSecond > 0 ? ours.requestsPerSecond / wrk.requestsPerSecond : 0
    let reference = runReference(url: url, concurrency: concurrency, seconds: options.seconds) ?? 0
    let referenceRatio = reference > 0 ? ours.requestsPerSecond / reference : 0
    print(String(format: "| %d | %.0f | %.0f | %.0f | %.1f | %.0f | %.0f | %.0f | %.2fx | %.0f | %.2fx | %d/%d |",
                 concurrency, ours.requestsPerSecond, ours.p50, ours.p99, ours.cpuMicrosecondsPerRequest,
                 wrk.requestsPerSecond, wrk.p50, wrk.p99, ratio, reference, referenceRatio, ours.errors, wrk.errors))
}
