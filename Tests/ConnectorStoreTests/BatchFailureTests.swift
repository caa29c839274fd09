import ConnectorCore
import Foundation
import GRDB
import Testing

@testable import ConnectorStore

@Suite("A failing event in a batch")
struct BatchFailureTests {
    @Test("the failing event is reported with its reason and leaves nothing behind; the rest of the batch is kept, and the event can be sent again")
    func failingEventIsolated() throws {
        let temporary = try TemporaryStore()
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: 3600)
        let engine = ConnectorEngine(campaigns: [active("T"), followUp], workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        // A user row damaged outside the store: updating its attributes cannot work.
        let path = temporary.path
        let outside = try DatabaseQueue(path: path)
        try outside.write { try $0.execute(sql: "INSERT INTO user (id, json) VALUES ('broken', X'7B226964223A')") }  // {"id":

        let before = interact(.pushOpened, "T", user: "u1", at: scenarioStart)
        let update = makeEvent(.attributeUpdate(["plan": .string("pro")]), user: "broken", at: scenarioStart.addingTimeInterval(1))
        let after = interact(.pushOpened, "T", user: "u2", at: scenarioStart.addingTimeInterval(2))
        let report = try temporary.store.ingest([before, update, after], engine: engine, now: scenarioStart.addingTimeInterval(2))

        #expect(report.accepted == 2)
        #expect(report.failures.map(\.eventID) == [update.id])
        #expect(report.failures.first?.description.contains("a stored user is not JSON") == true, "\(report.failures)")
        #expect(report.decisions.compactMap(\.entry).map(\.userID) == ["u1", "u2"], "the others were decided")
        #expect(try temporary.store.waitingEntries(for: "u1").count == 1 && temporary.store.waitingEntries(for: "u2").count == 1)
        let stored = try outside.read { try String.fetchAll($0, sql: "SELECT event_id FROM event ORDER BY seq") }
        #expect(stored == [before.id.rawValue, after.id.rawValue], "the failed event left no row")

        // Once the row is repaired, the same event is accepted: its id was not remembered.
        try outside.write { try $0.execute(sql: "UPDATE user SET json = X'7B226964223A2262726F6B656E227D' WHERE id = 'broken'") }  // {"id":"broken"}
        let retry = try temporary.store.ingest([update], engine: engine, now: scenarioStart.addingTimeInterval(3))
        #expect(retry.accepted == 1 && retry.failures.isEmpty)
        #expect(try temporary.store.user("broken")?.attributes["plan"] == .string("pro"))
        try outside.close()
    }
}
