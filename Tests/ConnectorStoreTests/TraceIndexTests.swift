import ConnectorCore
import Foundation
import GRDB
import Testing

@testable import ConnectorStore

@Suite("Decision trace indexed by user in bulk")
struct TraceIndexTests {
    let day: TimeInterval = 86_400

    /// Days of decisions for users (a schedule, then a cancellation for every third).
    func fill(_ store: SQLiteStore, days: Range<Int> = 0..<3, users: Range<Int> = 0..<30) throws {
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: Int(10 * day))
        followUp.exceptions = [.purchase(productID: nil)]
        followUp.reEligibility = .after(seconds: 0)
        let engine = ConnectorEngine(campaigns: [active("T"), followUp], workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        for dayIndex in days {
            let at = scenarioStart.addingTimeInterval(Double(dayIndex) * day)
            for n in users {
                var events = [interact(.pushOpened, "T", user: UserID("u\(n)"), at: at)]
                if n % 3 == 0 { events.append(makeEvent(.purchase(productID: "p", price: 1, currency: "EUR", quantity: 1), user: UserID("u\(n)"), at: at.addingTimeInterval(60))) }
                _ = try store.ingest(events, engine: engine, now: at.addingTimeInterval(120))
            }
        }
    }

    @Test("a user's trace is the same, in order, whether its rows are indexed, partly indexed or not yet")
    func sameTraceIndexedOrNot() throws {
        let indexed = try TemporaryStore(traceIndexEvery: 7)
        let unindexed = try TemporaryStore()
        try fill(indexed.store)
        try fill(unindexed.store)
        // Everything indexed, then two rows more (fewer than a bulk): the last rows are not
        // indexed yet, whenever the index thread ran.
        try indexed.store.indexTraceIfDue(force: true)
        for store in [indexed.store, unindexed.store] { try fill(store, days: 3..<4, users: 0..<1) }
        let counts = try openWithIndex(indexed.folder.appendingPathComponent("connector.sqlite").path).read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trace_by_user") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM trace") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT day) FROM trace_by_user") ?? 0)
        }
        #expect(counts.0 > 0 && counts.0 == counts.1 - 2, "all rows indexed but the last two: \(counts)")
        #expect(counts.2 == 3, "one partition a day")
        for user: UserID in ["u0", "u1", "u29"] {
            let expected = try unindexed.store.trace(for: user)
            #expect(try indexed.store.trace(for: user) == expected)
        }
        #expect(try indexed.store.trace(for: "u0").map(\.action) == [.scheduled, .cancelled, .scheduled, .cancelled, .scheduled, .cancelled, .scheduled, .cancelled])
        // Each line keeps its reason's code beside the text, indexed or not.
        #expect(try indexed.store.trace(for: "u0").map(\.reason.code) == [.scheduled, .exception, .scheduled, .exception, .scheduled, .exception, .scheduled, .exception])
        #expect(try unindexed.store.trace(for: "u1").map(\.reason.code) == [.scheduled, .alreadyWaiting, .alreadyWaiting])
        try indexed.store.indexTraceIfDue(force: true)
        #expect(try indexed.store.trace(for: "u29") == unindexed.store.trace(for: "u29"), "fully indexed: still the same")
    }
}
