import ConnectorCore
import Foundation
import GRDB
import Testing

@testable import ConnectorStore

@Suite("Retention")
struct RetentionTests {
    let day: TimeInterval = 86_400

    @Test("pruning deletes old events, their exception rows and old trace records, in chunks, and keeps waiting entries, receipts and newer rows")
    func pruneKeepsWhatRulesNeed() throws {
        let temporary = try TemporaryStore()
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.delay = .relative(seconds: Int(30 * day))
        followUp.exceptions = [.purchase(productID: nil)]
        // G: another follow-up, whose receipts (kept for R7) the users also get.
        var other = active("G")
        other.trigger = Trigger(kind: .emailOpened, target: "T")
        let engine = ConnectorEngine(campaigns: [active("T"), followUp, other], workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        for campaign in [active("T"), followUp, other] { try temporary.store.install(campaign) }
        // Ten days; each day 2,500 users each receive G, open T and one in five buys.
        for dayIndex in 0..<10 {
            let at = scenarioStart.addingTimeInterval(Double(dayIndex) * day)
            var events: [Event] = []
            for n in 0..<2_500 {
                let user = UserID("d\(dayIndex)-u\(n)")
                events.append(interact(.pushReceived, "G", user: user, at: at))  // a follow-up's receipt: R7 keeps it
                events.append(interact(.pushOpened, "T", user: user, at: at.addingTimeInterval(1)))
                if n % 5 == 0 { events.append(makeEvent(.purchase(productID: "p", price: 1, currency: "EUR", quantity: 1), user: user, at: at.addingTimeInterval(2))) }
            }
            _ = try temporary.store.ingest(events, engine: engine, now: at.addingTimeInterval(3))
        }
        let cutoff = scenarioStart.addingTimeInterval(5 * day)
        let report = try temporary.store.prune(eventsBefore: cutoff, traceBefore: cutoff.addingTimeInterval(3))

        #expect(report.events == 5 * 5_500, "receipt, open and 500 purchases a day, for five days")
        #expect(report.exceptionEvents == 5 * 500)
        #expect(report.traceRecords == 5 * 3_000, "a schedule a user and a cancellation a buyer")
        let path = temporary.path
        let database = try openWithIndex(path)
        let (oldest, events, exceptions) = try database.read { db in
            (try Double.fetchOne(db, sql: "SELECT MIN(time) FROM event") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM event") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM exception_event") ?? 0)
        }
        #expect(oldest >= cutoff.timeIntervalSince1970 && events == 5 * 5_500 && exceptions == 5 * 500)
        // What the rules still need is there: old users keep their wait (30 days) and receipts.
        #expect(try temporary.store.waitingEntries(for: "d0-u1").count == 1)
        #expect(try temporary.store.receipts(for: "d0-u1", since: scenarioStart).count == 1)
        #expect(try temporary.store.trace(for: "d0-u1").isEmpty)
        #expect(try temporary.store.trace(for: "d9-u1").map(\.action) == [.scheduled])
        // A second run finds nothing more.
        #expect(try temporary.store.prune(eventsBefore: cutoff, traceBefore: cutoff.addingTimeInterval(3)) == PruneReport())
    }
}
