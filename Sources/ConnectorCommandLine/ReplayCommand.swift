import ArgumentParser
import ConnectorCore
import Foundation

/// `connector replay EVENTS.jsonl --url URL`: sends a JSON Lines file of events to a
/// running service through its HTTP API, in time order and in batches, with a progress
/// line and the rate. With `--clock` (a service started with `--clock virtual:TIME`) the
/// service's clock is moved to each batch's time first, so delays elapse at once and every
/// follow-up is sent at its own time.
struct ReplayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "replay",
        abstract: "Send a JSON Lines file of events to a running service (POST /v1/events), optionally on its virtual clock."
    )

    @Argument(help: "The events (JSON Lines, one event per line as `connector ingest` reads them).")
    var file: String

    @OptionGroup var connection: ServiceConnection

    @Option(help: "Users to send first (JSON Lines, as `connector import-users` reads them).")
    var users: String?

    @Flag(help: "Move the service's virtual clock to each batch's time before sending it.")
    var clock = false

    @Option(help: "With --clock: then move the clock this much past the last event (30m, 2h, 3d) so later follow-ups fall due.")
    var thenAdvance: String?

    @Option(help: "Events per request.")
    var batch = 100

    func validate() throws {
        guard (1...10_000).contains(batch) else { throw ValidationError("--batch is 1 to 10000") }
        if thenAdvance != nil, !clock { throw ValidationError("--then-advance moves the virtual clock: add --clock") }
    }

    func run() async throws {
        let client = try connection.client()
        do {
            try await replay(client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    func replay(_ client: ServiceClient) async throws {
        if let users {
            var lines: [String] = []
            for line in try JSONLinesInput.lines(of: users) { lines.append(try line.text()) }
            for start in stride(from: 0, to: lines.count, by: batch) {
                let body = "{\"users\":[" + lines[start..<min(start + batch, lines.count)].joined(separator: ",") + "]}"
                _ = try await client.call(.post, "/v1/users", body: body)
            }
            print("sent \(lines.count) users")
        }
        // Read and order the events (a malformed line is reported and left out).
        var events: [(time: Date, line: String)] = []
        var malformed = 0
        for line in try JSONLinesInput.lines(of: file) {
            do {
                let text = try line.text()
                events.append((try EventJSON.event(json: text).time, text))
            } catch {
                malformed += 1
                JSONLinesInput.reject(line.number, error)
            }
        }
        events = events.enumerated().sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        let started = Date()
        var sent = 0, accepted = 0, duplicates = 0, rejected = 0, settled = 0, delivered = 0
        var index = 0
        let interactive = isatty(STDERR_FILENO) != 0
        while index < events.count {
            // A batch holds events of one time when the clock moves, so each is sent at its time.
            var end = index + 1
            while end < events.count, end - index < batch, !clock || events[end].time == events[index].time { end += 1 }
            if clock {
                let moved = try await client.call(.post, "/v1/clock", body: "{\"now\":\(events[index].time.timeIntervalSince1970)}")
                settled += moved.json.int("settled")
                delivered += moved.json.int("delivered")
            }
            let body = "{\"events\":[" + events[index..<end].map(\.line).joined(separator: ",") + "]}"
            let answer = try await client.call(.post, "/v1/events", body: body, accepting: [400])
            accepted += answer.json.int("accepted")
            duplicates += answer.json.int("duplicates")
            rejected += answer.json.int("rejected") + answer.json.int("failed")
            if answer.status == 400, case .object(let fields) = answer.json, case .array(let results)? = fields["results"] {
                for case .object(let result) in results where result["error"] != nil && result["error"] != .null {
                    FileHandle.standardError.write(Data("event \(result["id"]?.jsonText ?? "?"): \(result["error"]?.jsonText ?? "")\n".utf8))
                }
            }
            sent = end
            index = end
            if interactive {
                let rate = Double(sent) / max(Date().timeIntervalSince(started), 0.001)
                FileHandle.standardError.write(Data("\rreplayed \(sent)/\(events.count) events, \(Int(rate)) events/s".utf8))
            }
        }
        if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
        if clock, let last = events.last?.time, let thenAdvance {
            guard let seconds = Self.duration(thenAdvance) else { throw ValidationError("--then-advance: '\(thenAdvance)' is not a duration such as 30m, 2h or 3d") }
            let moved = try await client.call(.post, "/v1/clock", body: "{\"now\":\(last.addingTimeInterval(seconds).timeIntervalSince1970)}")
            settled += moved.json.int("settled")
            delivered += moved.json.int("delivered")
        }
        let elapsed = Date().timeIntervalSince(started)
        print("replayed \(sent) events in \(String(format: "%.2f", elapsed)) s (\(Int(Double(sent) / max(elapsed, 0.001))) events/s): "
              + "\(accepted) accepted, \(duplicates) duplicate, \(rejected + malformed) rejected"
              + (clock ? "; the clock's moves settled \(settled) due entries and delivered \(delivered) dispatches (immediate follow-ups are sent in their events' requests)" : ""))
        if rejected + malformed > 0 { throw ExitCode(1) }
    }

    /// `30s`, `5m`, `2h`, `3d` or seconds.
    static func duration(_ text: String) -> TimeInterval? {
        for (suffix, scale) in [("s", 1.0), ("m", 60.0), ("h", 3600.0), ("d", 86_400.0)] where text.hasSuffix(suffix) {
            if let amount = Double(text.dropLast()), amount >= 0 { return amount * scale }
        }
        return Double(text).flatMap { $0 >= 0 ? $0 : nil }
    }
}

extension AttributeValue {
    /// A whole-number field of an object (0 when missing).
    func int(_ name: String) -> Int {
        if case .object(let fields) = self, case .number(let value)? = fields[name], value.isFinite { return Int(value) }
        return 0
    }
}
