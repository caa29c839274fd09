import ChildProcess
import ConnectorCore
import ConnectorPostgres
import ConnectorStore
import Foundation
import PeerSupport
import Testing

/// Several `connector` processes on one PostgreSQL database, as several instances run:
/// uniqueness by constraints, per-user locks, claims that skip what another holds.
@Suite("PostgreSQL: concurrent instances on one database")
struct PostgresConcurrencyTests {
    let start = scenarioStart

    /// A fresh database with T and F (F follows push_opened on T after 1 h, cancelled by a
    /// purchase) and `users` users with push addresses; its URL.
    func database(users: Int) async throws -> String {
        let server = try await sharedPostgres.value
        let name = "concurrency_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await PostgresStore.createDatabase(name, serverURL: "postgres://postgres@127.0.0.1:\(server.port)/postgres")
        let url = "postgres://postgres@127.0.0.1:\(server.port)/\(name)"
        let store = try await PostgresStore.open(url: url, maximumConnections: 2)
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        followUp.exceptions = [.purchase(productID: nil)]
        _ = try await store.install(active("T"))
        _ = try await store.install(followUp)
        try await store.save((0..<users).map { User(id: UserID("u\($0)"), addresses: [.push: "token-\($0)"]) })
        await store.close()
        return url
    }

    /// Runs `connector` processes with these arguments at once; their (status, output).
    func connectors(_ runs: [[String]]) async throws -> [(Int32, String)] {
        let path = CrashSafetyTests.connectorPath
        try #require(FileManager.default.isExecutableFile(atPath: path), "build the connector executable first (swift build)")
        let processes = try runs.map { try ChildProcess(executable: path, arguments: $0, standardError: .standardOutput) }
        var results: [(Int32, String)] = []
        for process in processes {
            let (output, termination) = await process.outputAndTermination()
            guard case .exited(let status) = termination else {
                Issue.record("connector ended by \(termination)")
                results.append((-1, String(decoding: output, as: UTF8.self)))
                continue
            }
            results.append((status, String(decoding: output, as: UTF8.self)))
        }
        return results
    }

    func number(before suffix: String, in text: String) -> Int {
        guard let range = text.range(of: suffix) else { return 0 }
        return Int(text[..<range.lowerBound].split(whereSeparator: { !$0.isNumber }).last ?? "") ?? 0
    }

    @Test("R25/R6/R14: 4 processes ingest (two of them the same events), then 4 schedulers settle: every event once, every due entry dispatched once, nothing after its cancel")
    func fourInstances() async throws {
        let users = 400
        let url = try await database(users: users)
        let folder = try makeTemporaryFolder("pg-concurrency")
        defer { try? FileManager.default.removeItem(at: folder) }
        func lines(_ user: Int) -> [String] {
            var events = [#"{"id":"open-\#(user)","user_id":"u\#(user)","time":"2026-03-02T10:00:00Z","type":"interaction","kind":"push_opened","campaign":"T"}"#]
            if user % 5 == 0 {
                events.append(#"{"id":"buy-\#(user)","user_id":"u\#(user)","time":"2026-03-02T10:10:00Z","type":"purchase","product_id":"sku","price":9.5,"currency":"EUR","quantity":1}"#)
            }
            return events
        }
        var files: [[String]] = Array(repeating: [], count: 4)
        for user in 0..<users { files[user % 4] += lines(user) }
        // Process 1 replays process 0's first 100 users' events.
        files[1] += (0..<users).filter { $0 % 4 == 0 }.prefix(100).flatMap(lines)
        var paths: [String] = []
        for (index, content) in files.enumerated() {
            let path = folder.appendingPathComponent("events-\(index).jsonl").path
            try (content.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let ingested = try await connectors(paths.map { ["ingest", "--database", url, "--now", "2026-03-02T10:15:00Z", "--batch", "50", $0] })
        let distinct = (0..<users).reduce(0) { $0 + lines($1).count }
        let accepted = ingested.map { number(before: " accepted", in: $0.1) }.reduce(0, +)
        let duplicates = ingested.map { number(before: " duplicate", in: $0.1) }.reduce(0, +)
        #expect(ingested.allSatisfy { $0.0 == 0 }, "\(ingested.map(\.1))")
        #expect(accepted == distinct && duplicates == files[1].count - (users / 4 + users / 20), "accepted \(accepted) of \(distinct), duplicates \(duplicates)")

        let store = try await PostgresStore.open(url: url, maximumConnections: 2)
        let waiting = try await store.waitingEntries(WaitingFilter(limit: 10_000))
        #expect(waiting.count == users - users / 5, "one entry per user who did not buy (R6, R14)")
        #expect(Set(waiting.map(\.userID)).count == waiting.count)

        let ticks = try await connectors((0..<4).map { _ in ["tick", "--database", url, "--at", "2026-03-02T11:00:01Z", "--batch", "25"] })
        #expect(ticks.allSatisfy { $0.0 == 0 }, "\(ticks.map(\.1))")
        let settled = ticks.map { number(before: " due at", in: $0.1) }.reduce(0, +)
        let dispatches = try await store.dispatches()
        #expect(settled == users - users / 5 && dispatches.count == users - users / 5, "settled \(settled), dispatches \(dispatches.count)")
        #expect(Set(dispatches.map(\.id)).count == dispatches.count, "each due entry dispatched once")
        #expect(!dispatches.contains { (Int($0.userID.rawValue.dropFirst()) ?? 1) % 5 == 0 }, "nothing for a user whose wait was cancelled")
        #expect(try await store.waitingEntries(WaitingFilter(limit: 10)).isEmpty)
        await store.close()
    }

    @Test("a scheduler killed (-9) while holding claims: another claims its entries after the lease, and each is dispatched once")
    func killedWhileHoldingClaims() async throws {
        let url = try await database(users: 30)
        let store = try await PostgresStore.open(url: url, maximumConnections: 2)
        _ = try await store.ingest((0..<30).map { interact(.pushOpened, "T", user: UserID("u\($0)"), at: start) }, now: start)
        let path = CrashSafetyTests.connectorPath
        let holder = try ChildProcess(executable: path, arguments: ["tick", "--database", url, "--at", "2026-03-02T11:00:01Z", "--lease", "60", "--claim-and-hold"],
                                      standardError: .standardOutput)
        let line = await holder.readLine()
        #expect(line == "claimed 30, holding")
        #expect(holder.terminate(signal: SIGKILL) == .signalled(SIGKILL))
        let early = try await connectors([["tick", "--database", url, "--at", "2026-03-02T11:00:30Z"]])
        #expect(early.first?.1.contains("0 due at") == true, "the dead scheduler's lease has not lapsed: \(early.first?.1 ?? "")")
        let later = try await connectors([["tick", "--database", url, "--at", "2026-03-02T11:01:02Z"]])
        #expect(later.first?.1.contains("30 due at") == true, "\(later.first?.1 ?? "")")
        let dispatches = try await store.dispatches()
        #expect(dispatches.count == 30 && Set(dispatches.map(\.userID)).count == 30)
        await store.close()
    }
}
