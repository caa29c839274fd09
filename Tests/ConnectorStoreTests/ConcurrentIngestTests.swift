import ConnectorCore
import Foundation
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
