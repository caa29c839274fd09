// Liquid benchmark: the realistic templates of Benchmarks/Fixtures/liquid (a 6 KB HTML email, an SMS, a push
// payload), parse once then render, and parse+render, against python-liquid 2.3.6's
// figures on this machine.
//
//   swift build -c release && .build/release/liquid-bench [--seconds 3] [--only email|sms|push]
import Foundation
import Liquid

let reference: [String: Double] = ["email": 761, "sms": 24_000, "push": 19_500]  // python-liquid renders/s

var seconds = 3.0
var only: String?
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    if argument == "--seconds", let value = arguments.next().flatMap(Double.init) { seconds = value }
    if argument == "--only" { only = arguments.next() }
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

print("Liquid benchmark, \(seconds) s per figure, templates from \(directory.path)")
print("| template | size | output matches python-liquid | renders/s (parsed once) | parse+render/s | python-liquid renders/s | ratio |")
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
        let renders = try rate(seconds) { _ = try template.render(data, options: options) }
        let parseRenders = try rate(seconds) { _ = try Template(source).render(data, options: options) }
        let ratio = renders / (reference[name] ?? 1)
        print(String(format: "| %@ | %d B | %@ | %.0f | %.0f | %.0f | %.1fx |", name, source.utf8.count, matches,
                     renders, parseRenders, reference[name] ?? 0, ratio))
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
