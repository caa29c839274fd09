// Liquid benchmark: the realistic templates of Benchmarks/Fixtures/liquid (a 6 KB HTML email, an SMS, a push
// payload), parse once then render, and parse+render, against python-liquid rendering the same
// fixtures in the same run (python_liquid_bench.py, right after each of ours).
//
//   bash scripts/bench-liquid.sh [--seconds 3] [--only email|sms|push]
//   (or: swift build -c release && .build/release/liquid-bench --python PYTHON_WITH_PYTHON_LIQUID)
import Foundation
import Liquid

var seconds = 3.0
var only: String?
var python: String?
/// Rounds of (ours, python-liquid) back to back: the machine's speed drifts by tens of
/// percent over a minute here, so the ratio is the median of the rounds' ratios.
var rounds = 1
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    if argument == "--seconds", let value = arguments.next().flatMap(Double.init) { seconds = value }
    if argument == "--only" { only = arguments.next() }
    if argument == "--python" { python = arguments.next() }
    if argument == "--rounds", let value = arguments.next().flatMap(Int.init) { rounds = max(1, value) }
}

/// python-liquid's renders/s of one fixture, measured now by the anchor script, and its version.
@MainActor func pythonLiquidRate(_ name: String) -> (Double, String)? {
    guard let python else { return nil }
    let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("python_liquid_bench.py")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: python)
    process.arguments = [script.path, directory.path, String(seconds), name]
    let pipe = Pipe()
    process.standardOutput = pipe
    do { try process.run() } catch { print("cannot run \(python): \(error)"); exit(1) }
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    guard process.terminationStatus == 0, case .object(let result)? = try? LiquidValue(json: String(decoding: output, as: UTF8.self)),
          case .double(let rate)? = result["renders_per_second"], case .string(let version)? = result["version"] else {
        print("python-liquid failed on \(name) (is python-liquid installed for \(python)?)")
        exit(1)
    }
    return (rate, version)
}

let directory: URL = {
    if let explicit = ProcessInfo.processInfo.environment["CONNECTOR_BENCH_DIR"] {
        return URL(fileURLWithPath: explicit).appendingPathComponent("liquid")
    }
    return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/liquid")
}()

func rate(_ seconds: Double, _ body: () throws -> Void) rethrows -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    var count = 0
    while true {
        for _ in 0..<50 { try body() }
        count += 50
        let elapsed = start.duration(to: clock.now)
        let total = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if total >= seconds { return Double(count) / total }
    }
}

print("Liquid benchmark, \(seconds) s per figure, \(rounds) round(s), templates from \(directory.path)")
if python == nil { print("(no --python: python-liquid is not measured; scripts/bench-liquid.sh measures it in the same run)") }
print("| template | size | output matches python-liquid | renders/s (parsed once) | parse+render/s | python-liquid renders/s (same run) | ratio (median of rounds) |")
print("|---|---:|---|---:|---:|---:|---:|")
let fixed = Date(timeIntervalSince1970: 1_714_000_000)
for name in ["email", "sms", "push"] where only == nil || only == name {
    guard let source = try? String(contentsOf: directory.appendingPathComponent("\(name).liquid"), encoding: .utf8),
          let json = try? String(contentsOf: directory.appendingPathComponent("\(name).json"), encoding: .utf8),
          let data = try? LiquidValue(json: json)
    else {
        print("cannot read \(name).liquid/.json under \(directory.path) (set CONNECTOR_BENCH_DIR)")
        exit(1)
    }
    let expected = try? String(contentsOf: directory.appendingPathComponent("expected/\(name).out"), encoding: .utf8)
    let options = RenderOptions(now: { fixed })
    do {
        let template = try Template(source)
        let output = try template.render(data, options: options).text ?? ""
        let matches = expected.map { $0 == output ? "yes" : "no (\(firstDifference(output, $0)))" } ?? "n/a"
        let parseRenders = try rate(seconds) { _ = try Template(source).render(data, options: options) }
        var ours: [Double] = [], theirs: [Double] = [], ratios: [Double] = []
        var version = ""
        for _ in 0..<rounds {
            let renders = try rate(seconds) { _ = try template.render(data, options: options) }
            ours.append(renders)
            if let (anchor, named) = pythonLiquidRate(name) {
                theirs.append(anchor)
                ratios.append(renders / anchor)
                version = named
            }
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        if !ratios.isEmpty {
            let range = rounds > 1 ? String(format: " (%.1f-%.1f)", ratios.min() ?? 0, ratios.max() ?? 0) : ""
            print(String(format: "| %@ | %d B | %@ | %.0f | %.0f | %.0f (%@) | %.1fx%@ |", name, source.utf8.count, matches,
                         median(ours), parseRenders, median(theirs), version, median(ratios), range))
        } else {
            let renders = median(ours)
            print(String(format: "| %@ | %d B | %@ | %.0f | %.0f | - | - |", name, source.utf8.count, matches, renders, parseRenders))
        }
    } catch {
        print("\(name): \(error)")
        exit(1)
    }
}

func firstDifference(_ a: String, _ b: String) -> String {
    let x = Array(a), y = Array(b)
    var i = 0
    while i < min(x.count, y.count) && x[i] == y[i] { i += 1 }
    let ours = String(x[i..<min(x.count, i + 30)]), theirs = String(y[i..<min(y.count, i + 30)])
    return "at char \(i): ours \(ours.debugDescription) vs \(theirs.debugDescription)"
}
