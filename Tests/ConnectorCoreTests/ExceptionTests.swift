import ConnectorCore
import Foundation
import Testing

@Suite("Exceptions (R13-R15)")
struct ExceptionTests {
    let followUp = ConnectorCoreTests.followUp(
        on: .pushReceived, delay: .relative(seconds: 86_400),
        exceptions: [.interaction(kind: .pushOpened, campaign: "T", detail: nil), .purchase(productID: nil),
                     .customEvent(name: "cart_cleared", properties: ["reason": .string("user")])]
    )

    func waitingEntry(_ engine: ConnectorEngine) throws -> WaitingEntry {
        try #require(engine.decide(interaction(.pushReceived, time: monday), state: UserState(), now: monday).first?.entry)
    }

    @Test("R13: purchases, custom events (with property filters), interactions and session starts are exceptions")
    func R13_exceptionKinds() throws {
        let engine = engine(followUp)
        let entry = try waitingEntry(engine)
        let state = UserState(waiting: [entry])
        let purchase = event(.purchase(productID: "sku-1", price: 9.5, currency: "EUR", quantity: 1), time: at(hour))
        #expect(engine.decide(purchase, state: state, now: at(hour)).first?.isCancel == true)
        let otherReason = event(.custom(name: "cart_cleared", properties: ["reason": .string("timeout")]), time: at(hour))
        #expect(engine.decide(otherReason, state: state, now: at(hour)).isEmpty)
        let userCleared = event(.custom(name: "cart_cleared", properties: ["reason": .string("user"), "n": .number(2)]), time: at(hour))
        #expect(engine.decide(userCleared, state: state, now: at(hour)).first?.reason.contains("custom event cart_cleared") == true)
    }

    @Test("R14_exceptionBeforeWaitDoesNotCancel: only strictly after the trigger and before the due time")
    func R14_exceptionBeforeWaitDoesNotCancel() throws {
        let engine = engine(followUp)
        let entry = try waitingEntry(engine)
        let state = UserState(waiting: [entry])
        // An open that happened before the trigger (ingested late) does not count.
        #expect(engine.decide(interaction(.pushOpened, time: at(-60)), state: state, now: at(hour)).isEmpty)
        // At the same instant: not strictly after.
        #expect(engine.decide(interaction(.pushOpened, time: monday), state: state, now: at(hour)).isEmpty)
        // After the entry was due: too late.
        #expect(engine.decide(interaction(.pushOpened, time: at(day + 1)), state: state, now: at(day + 2)).isEmpty)
        // While waiting: cancels.
        let cancel = engine.decide(interaction(.pushOpened, time: at(hour)), state: state, now: at(hour))
        #expect(cancel.first?.isCancel == true)
        #expect(cancel.first?.reason.hasPrefix("cancelled: exception push_opened on T at") == true)
    }

    @Test("R15: a cancelled entry sends nothing and the user stays eligible")
    func R15_cancelledStaysEligible() throws {
        let engine = engine(followUp)
        let entry = try waitingEntry(engine)
        let cancel = engine.decide(event(.sessionStart, time: at(hour)), state: UserState(waiting: [entry]), now: at(hour))
        #expect(cancel.isEmpty, "session start is not one of this follow-up's exceptions")
        let purchase = engine.decide(event(.purchase(productID: "x", price: 1, currency: "EUR", quantity: 1), time: at(hour)),
                                     state: UserState(waiting: [entry]), now: at(hour))
        #expect(purchase.count == 1 && purchase[0].isCancel)
        // No receipt was recorded, so a new trigger schedules again.
        #expect(engine.decide(interaction(.pushReceived, time: at(2 * hour)), state: UserState(), now: at(2 * hour)).first?.entry != nil)
    }
}
