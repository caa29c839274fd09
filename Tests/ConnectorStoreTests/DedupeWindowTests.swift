import ConnectorCore
import Foundation
import Testing

@testable import ConnectorStore

@Suite("Deduplication window (R25)")
struct DedupeWindowTests {
    let day: TimeInterval = 86_400

    @Test("ids are remembered for the window and forgotten a day at a time as event time moves on, also across a reopen")
    func windowMovesWithEventTime() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dedupe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("c.sqlite").path
        let engine = ConnectorEngine(campaigns: [active("T")], workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        let store = try SQLiteStore(path: path, dedupeWindow: 2 * day)
        // 100 events a day for 10 days: memory holds the window's days, not all ten.
        for dayIndex in 0..<10 {
            let events = (0..<100).map { n in
                makeEvent(.sessionStart, user: UserID("u\(n)"), at: scenarioStart.addingTimeInterval(Double(dayIndex) * day + Double(n)), id: "d\(dayIndex)-\(n)")
            }
            let now = scenarioStart.addingTimeInterval(Double(dayIndex) * day + 100)
            #expect(try store.ingest(events, engine: engine, now: now).accepted == 100)
        }
        #expect(store.rememberedIDCount == 300, "the newest day and the two before it")
        let lastDay = scenarioStart.addingTimeInterval(9 * day)
        #expect(try store.ingest([makeEvent(.sessionStart, user: "u1", at: lastDay, id: "d8-5")], engine: engine, now: lastDay).duplicates == ["d8-5"])
        #expect(try store.ingest([makeEvent(.sessionStart, user: "u1", at: lastDay, id: "d2-5")], engine: engine, now: lastDay).accepted == 1,
                "an id from outside the window counts as new")

        let reopened = try SQLiteStore(path: path, dedupeWindow: 2 * day)
        #expect(reopened.rememberedIDCount >= 200 && reopened.rememberedIDCount <= 301, "\(reopened.rememberedIDCount)")
        #expect(try reopened.ingest([makeEvent(.sessionStart, user: "u1", at: lastDay, id: "d9-7")], engine: engine, now: lastDay).duplicates == ["d9-7"])
    }

    @Test("R25: one event dated far after its ingestion does not move the window, in the process or after a reopen")
    func farFutureEventKeepsTheWindow() throws {
        let temporary = try TemporaryStore()
        let store = temporary.store
        let engine = ConnectorEngine(campaigns: [active("T")], workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        let now = scenarioStart
        let future = try SupportedTime.parse("2199-01-01T00:00:00Z")
        #expect(try store.ingest([makeEvent(.sessionStart, user: "u1", at: now, id: "a"),
                                  makeEvent(.sessionStart, user: "u1", at: future, id: "far")], engine: engine, now: now).accepted == 2)
        #expect(try store.ingest([makeEvent(.sessionStart, user: "u1", at: now.addingTimeInterval(60), id: "b")], engine: engine, now: now).accepted == 1)
        // Before, the 2199 event made every 2026 event "older than the window": none was remembered.
        #expect(try store.ingest([makeEvent(.sessionStart, user: "u1", at: now, id: "a"),
                                  makeEvent(.sessionStart, user: "u1", at: now.addingTimeInterval(60), id: "b"),
                                  makeEvent(.sessionStart, user: "u1", at: future, id: "far")], engine: engine, now: now).duplicates == ["a", "b", "far"])
        let reopened = try SQLiteStore(path: temporary.path)
        #expect(try reopened.ingest([makeEvent(.sessionStart, user: "u1", at: now, id: "a"),
                                     makeEvent(.sessionStart, user: "u1", at: future, id: "far")], engine: engine, now: now).duplicates == ["a", "far"])
    }
}
