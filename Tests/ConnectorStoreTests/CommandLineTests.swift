import ChildProcess
import Foundation
import Testing

/// The `connector` subcommands a campaigns-as-code pipeline and an operator use.
@Suite("connector check-campaigns and trace")
struct CommandLineTests {
    /// Runs the built `connector` with `arguments`; returns (exit status, standard output).
    func connector(_ arguments: [String]) async throws -> (Int32, String) {
        let path = CrashSafetyTests.connectorPath
        try #require(FileManager.default.isExecutableFile(atPath: path), "build the connector executable first (swift build): \(path)")
        let process = try ChildProcess(executable: path, arguments: arguments, standardError: .standardOutput)
        let (output, termination) = await process.outputAndTermination()
        guard case .exited(let status) = termination else {
            Issue.record("connector \(arguments.joined(separator: " ")) ended by \(termination)")
            return (-1, String(decoding: output, as: UTF8.self))
        }
        return (status, String(decoding: output, as: UTF8.self))
    }

    let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test("the example campaigns check clean (exit 0)")
    func examplesAreClean() async throws {
        let (status, output) = try await connector(["check-campaigns", repository.appendingPathComponent("Examples/campaigns").path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("4 campaigns read: 0 error(s), 0 warning(s)"))
    }

    @Test("a misspelt field and a loop: the error and the warning are printed, and the exit status is 1")
    func errorsFailTheCheck() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try "id: a\ntrigger: { kind: push_opened, campaign: b }\nexeptions: []\n".write(to: folder.appendingPathComponent("a.yaml"), atomically: true, encoding: .utf8)
        try "id: b\ntrigger: { kind: push_opened, campaign: c }\n".write(to: folder.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        try "id: c\ntrigger: { kind: push_opened, campaign: b }\n".write(to: folder.appendingPathComponent("c.yml"), atomically: true, encoding: .utf8)
        let (status, output) = try await connector(["check-campaigns", folder.path])
        #expect(status == 1)
        #expect(output.contains("error: a.yaml: exeptions: unknown field 'exeptions'; did you mean 'exceptions'?"), "\(output)")
        #expect(output.contains("b -> c -> b"), "\(output)")
    }

    @Test("trace shows a user's decisions from the demo's database")
    func traceFromDatabase() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("trace-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("demo.sqlite").path
        let (demoStatus, demoOutput) = try await connector(["demo", "--requests", "1", "--database", database,
                                                            "--campaigns", repository.appendingPathComponent("Examples/campaigns").path])
        try #require(demoStatus == 0, "\(demoOutput)")
        let (status, output) = try await connector(["trace", "--database", database, "bob"])
        #expect(status == 0)
        #expect(output.contains("fifteen-off  scheduled"), "\(output)")
        #expect(output.contains("cancelled: exception purchase at 2026-03-02T09:20:00Z"), "\(output)")
        let (_, nobody) = try await connector(["trace", "--database", database, "nobody"])
        #expect(nobody.contains("no decisions recorded for user nobody"))
    }

    @Test("the operator's round: import users, save and publish campaigns, ingest events, read a trace; bad lines are reported by number and the rest goes in")
    func operatorWorkflow() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("workflow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("c.sqlite").path
        let users = folder.appendingPathComponent("users.jsonl"), events = folder.appendingPathComponent("events.jsonl")
        try """
            {"id":"ada","attributes":{"plan":"pro"},"time_zone":"Europe/Berlin","addresses":{"push":"tok-ada"}}
            {"id":"bob","time_zone":"Mars/Olympus"}
            """.write(to: users, atomically: true, encoding: .utf8)
        try """
            {"id":"e1","user_id":"ada","time":"2026-03-02T09:05:00Z","type":"interaction","kind":"push_opened","campaign":"free-shipping"}

            {"id":"e2","user_id":"ada","time":"soon","type":"session_start"}
            {"id":"e1","user_id":"ada","time":"2026-03-02T09:05:00Z","type":"interaction","kind":"push_opened","campaign":"free-shipping"}
            """.write(to: events, atomically: true, encoding: .utf8)

        let (imported, importOutput) = try await connector(["import-users", "--database", database, users.path])
        #expect(imported == 1 && importOutput.contains("line 2: time_zone: 'Mars/Olympus' is not an IANA time zone") && importOutput.contains("1 users imported"), "\(importOutput)")
        let (saved, _) = try await connector(["ingest", "--database", database, "--campaigns", repository.appendingPathComponent("Examples/campaigns").path, "/dev/null"])
        #expect(saved == 0)
        for id in ["fifteen-off", "free-shipping"] {
            let (published, output) = try await connector(["set-status", "--database", database, "--at", "2026-03-01T00:00:00Z", id, "active"])
            #expect(published == 0, "\(output)")
        }
        let (refused, refusal) = try await connector(["set-status", "--database", database, "nope", "active"])
        #expect(refused == 1 && refusal.contains("no campaign 'nope' exists"), "\(refusal)")

        let (ingested, output) = try await connector(["ingest", "--database", database, "--now", "2026-03-02T09:30:00Z", events.path])
        #expect(ingested == 1, "a malformed line makes the exit status 1")
        #expect(output.contains("line 3: time: 'soon' is not an RFC 3339 time"), "\(output)")
        #expect(output.contains("1 accepted, 1 duplicate, 1 malformed, 0 failed; 1 decisions"), "\(output)")
        let (_, trace) = try await connector(["trace", "--database", database, "ada"])
        #expect(trace.contains("scheduled fifteen-off for 2026-03-02T11:05 Europe/Berlin"), "\(trace)")

        // The follow-up driven to the outbox from the command line: waiting, tick, outbox.
        let (_, waiting) = try await connector(["waiting", "--database", database, "--campaign", "fifteen-off"])
        #expect(waiting.contains("2026-03-02T10:05:00Z  fifteen-off  ada") && waiting.contains("1 waiting entry"), "\(waiting)")
        let (_, early) = try await connector(["tick", "--database", database, "--at", "2026-03-02T10:00:00Z"])
        #expect(early.contains("0 due at 2026-03-02T10:00:00Z"), "\(early)")
        let (ticked, tick) = try await connector(["tick", "--database", database, "--at", "2026-03-02T10:06:00Z"])
        #expect(ticked == 0 && tick.contains("ada  fifteen-off  dispatched on push") && tick.contains("1 due at 2026-03-02T10:06:00Z"), "\(tick)")
        let (_, outbox) = try await connector(["outbox", "--database", database, "--state", "queued"])
        #expect(outbox.contains("queued  fifteen-off v1 -> ada on push") && outbox.contains("1 dispatch"), "\(outbox)")
        let (_, none) = try await connector(["outbox", "--database", database, "--state", "sent"])
        #expect(none.contains("0 dispatches"), "\(none)")
        let (badState, stateError) = try await connector(["outbox", "--database", database, "--state", "delivered"])
        #expect(badState != 0 && stateError.contains("'delivered' is not one of queued"), "\(stateError)")
        #expect(try await connector(["waiting", "--database", database]).1.contains("0 waiting entries"))
    }

    @Test("workspace settings: a time zone and frequency caps are stored and shown; bad ones are refused with the field")
    func workspaceSettings() async throws {
        let folder = try makeTemporaryFolder("workspace")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("c.sqlite").path
        let (status, output) = try await connector(["workspace", "--database", database, "--time-zone", "Europe/Berlin", "--cap", "push:2/1d", "--cap", "any:5/1w"])
        #expect(status == 0, "\(output)")
        let (_, shown) = try await connector(["workspace", "--database", database])
        #expect(shown.contains("time zone: Europe/Berlin"), "\(shown)")
        #expect(shown.contains("at most 2 per 1 day on push; at most 5 per 1 week on any channel"), "\(shown)")
        let (refused, refusal) = try await connector(["workspace", "--database", database, "--time-zone", "Mars/Olympus"])
        #expect(refused != 0 && refusal.contains("time_zone: 'Mars/Olympus' is not an IANA time zone"), "\(refusal)")
        let (badCap, capError) = try await connector(["workspace", "--database", database, "--cap", "Pigeon!:1/1d"])
        #expect(badCap != 0 && capError.contains("'Pigeon!' is not a channel"), "\(capError)")
        #expect(try await connector(["workspace", "--database", database]).1.contains("time zone: Europe/Berlin"), "a refusal changes nothing")
    }

    @Test("hostile lines: a BOM and CRLF are read, invalid UTF-8 and impossible times are that line's error, the rest goes in; a database stays usable")
    func hostileLines() async throws {
        let folder = try makeTemporaryFolder("hostile")
        defer { try? FileManager.default.removeItem(at: folder) }
        let database = folder.appendingPathComponent("c.sqlite").path
        let events = folder.appendingPathComponent("events.jsonl"), users = folder.appendingPathComponent("users.jsonl")
        var bytes: [UInt8] = [0xEF, 0xBB, 0xBF]
        bytes += Array(#"{"id":"e1","user_id":"ada","time":"2026-03-02T09:05:00Z","type":"session_start"}"#.utf8) + [13, 10]
        bytes += Array(#"{"id":"e"#.utf8) + [0xFF] + Array(#"2","user_id":"ada","time":"2026-03-02T09:05:00Z","type":"session_start"}"#.utf8) + [13, 10]
        bytes += Array(#"{"id":"e3","user_id":"ada","time":1e300,"type":"session_start"}"#.utf8) + [10]
        bytes += Array(#"{"id":"e4","user_id":"ada","time":"2026-02-30T09:05:00Z","type":"session_start"}"#.utf8) + [10]
        bytes += Array(#"{"id":"e5","user_id":"ada","time":"2026-03-02T09:06:00+01:00","type":"session_start"}"#.utf8) + [13, 10]
        try Data(bytes).write(to: events)
        let (status, output) = try await connector(["ingest", "--database", database, "--now", "2026-03-02T10:00:00Z", events.path])
        #expect(status == 1, "malformed lines make the exit status 1")
        #expect(output.contains("line 2: invalid UTF-8 at byte 9 of the line"), "\(output)")
        #expect(output.contains("line 3: time: 1e+300 seconds since 1970 is outside the supported times"), "\(output)")
        #expect(output.contains("line 4: time: '2026-02-30T09:05:00Z' is not an RFC 3339 time"), "\(output)")
        #expect(output.contains("2 accepted, 0 duplicate, 3 malformed, 0 failed"), "\(output)")
        let (again, repeated) = try await connector(["ingest", "--database", database, "--now", "2026-03-02T10:00:00Z", events.path])
        #expect(again == 1 && repeated.contains("0 accepted, 2 duplicate, 3 malformed"), "the database still reads: \(repeated)")
        let (traced, trace) = try await connector(["trace", "--database", database, "ada"])
        #expect(traced == 0, "\(trace)")

        try "{\"id\":\"bob\"}\r\n{\"id\":\"bob\",\"time_zone\":\"Europe/Berlin\"}\r\n".write(to: users, atomically: true, encoding: .utf8)
        let (imported, importOutput) = try await connector(["import-users", "--database", database, users.path])
        #expect(imported == 0 && importOutput.contains("line 2: user bob repeats line 1; the later line wins")
                && importOutput.contains("1 users imported, 0 malformed"), "\(importOutput)")
    }
}
