import ConnectorCore
import ConnectorStore
import Foundation
import Testing

@testable import ConnectorPostgres

@Suite("PostgreSQL: retention")
struct PostgresRetentionTests {
    let day: TimeInterval = 86_400

    @Test("pruning deletes old events and trace records in chunks, keeps waiting entries, receipts and newer rows; a pruned id is new again")
    func pruneKeepsWhatRulesNeed() async throws {
        let under = try await StoreUnderTest.make(.postgres)
        let store = try #require(under.store as? PostgresStore)
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: Int(30 * day))
        followUp.exceptions = [.purchase(productID: nil)]
        var other = active("G")
        other.trigger = Trigger(kind: .emailOpened, target: "T")
        for campaign in [active("T"), followUp, other] { try await store.install(campaign) }
        // Ten days; each day 1,200 users each receive G, open T and one in five buys.
        for dayIndex in 0..<10 {
            let at = scenarioStart.addingTimeInterval(Double(dayIndex) * day)
            var events: [Event] = []
            for n in 0..<1_200 {
                let user = UserID("d\(dayIndex)-u\(n)")
                events.append(interact(.pushReceived, "G", user: user, at: at))
                events.append(interact(.pushOpened, "T", user: user, at: at.addingTimeInterval(1)))
                if n % 5 == 0 { events.append(makeEvent(.purchase(productID: "p", price: 1, currency: "EUR", quantity: 1), user: user, at: at.addingTimeInterval(2))) }
            }
            _ = try await store.ingest(events, now: at.addingTimeInterval(3))
        }
        let cutoff = scenarioStart.addingTimeInterval(5 * day)
        let report = try await store.prune(eventsBefore: cutoff, traceBefore: cutoff.addingTimeInterval(3))
        // More than one chunk of 10,000 of each.
        #expect(report.events == 5 * 2_640, "receipt, open and 240 purchases a day, for five days")
        #expect(report.exceptionEvents == 5 * 240)
        #expect(report.traceRecords == 5 * 1_440, "a schedule a user and a cancellation a buyer")
        var oldest = 0.0, count = 0
        for try await (minimum, rows) in try await store.client.query("SELECT MIN(time), COUNT(*) FROM event").decode((Double, Int).self) {
            oldest = minimum
            count = rows
        }
        #expect(oldest >= cutoff.timeIntervalSince1970 && count == 5 * 2_640)
        // What the rules still need is there: old users keep their wait (30 days) and receipts.
        let waiting = try await store.waitingEntries(for: "d0-u1")
        #expect(waiting.count == 1)
        let trace = try await store.trace(for: "d0-u1"), recent = try await store.trace(for: "d9-u1")
        #expect(trace.isEmpty && recent.map(\.action) == [.scheduled])
        // A second run finds nothing more.
        let again = try await store.prune(eventsBefore: cutoff, traceBefore: cutoff.addingTimeInterval(3))
        #expect(again == PruneReport())
    }
}
