import ConnectorCore
import Foundation
import GRDB
import Testing

@testable import ConnectorStore

@Suite("Concurrent ingestion")
struct ConcurrentIngestTests {
    @Test("R25: the same event id sent by several requests at once is stored once")
    func sameIDFromConcurrentRequests() async throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let engine = ConnectorEngine(campaigns: [active("T")], workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        for round in 0..<100 {
            let event = makeEvent(.sessionStart, user: "u1", at: scenarioStart.addingTimeInterval(Double(round)), id: "retry-\(round)")
            let accepted = try await withThrowingTaskGroup(of: Int.self) { group in
                for request in 0..<6 {
                    group.addTask {
                        // Each request carries other events after it, so its batch takes a while.
                        let filler = (0..<200).map { n in
                            makeEvent(.sessionStart, user: "u2", at: scenarioStart, id: "filler-\(round)-\(request)-\(n)")
                        }
                        return try store.ingest([event] + filler, engine: engine, now: scenarioStart).accepted
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(accepted == 6 * 200 + 1, "round \(round): the retried event was accepted \(accepted - 6 * 200) times")
        }
    }
}

@Suite("Large batches")
struct LargeBatchTests {
    @Test("R25: a large batch keeps its order and its columns, and finds a duplicate thousands of events apart")
    func largeBatch() throws {
        let temporary = try TemporaryStore()
        let engine = ConnectorEngine(campaigns: [active("T")], workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        var events = (0..<3001).map { index -> Event in
            index.isMultiple(of: 2)
                ? makeEvent(.custom(name: "viewed", properties: ["n": .number(Double(index))]), user: UserID("u\(index % 7)"),
                            at: scenarioStart.addingTimeInterval(Double(index)), id: "e-\(index)")
                : makeEvent(.sessionStart, user: UserID("u\(index % 7)"), at: scenarioStart.addingTimeInterval(Double(index)), id: "e-\(index)")
        }
        events.append(makeEvent(.sessionStart, user: "u1", at: scenarioStart, id: "e-3"))  // an early id, again at the end
        #expect(SQLiteStore.prepare(events).rows.count == events.count)
        let report = try temporary.store.ingest(events, engine: engine, now: scenarioStart)
        #expect(report.accepted == 3001)
        #expect(report.duplicates == ["e-3"])
        let stored = try openWithIndex(temporary.path).read { db in
            try Row.fetchAll(db, sql: "SELECT event_id, type, data FROM event ORDER BY seq")
        }
        #expect(stored.map { $0["event_id"] as String } == (0..<3001).map { "e-\($0)" }, "stored in the batch's order")
        #expect(stored[2998]["data"] as String? == #"{"n":2998}"#, "a late row carries its own columns")
        #expect(stored[2999]["type"] as String == "session_start")
    }
}
