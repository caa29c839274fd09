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

    /// `at(hour)`, as the decision trace writes it.
    let inAnHour = "2026-03-02T11:00:00Z"

    func waitingEntry(_ engine: ConnectorEngine) throws -> WaitingEntry {
        try #require(engine.decide(interaction(.pushReceived, time: monday), state: UserState(), now: monday).first?.entry)
    }

    /// An engine with F waiting a day after T's push is received, unless one of `exceptions`
    /// happens, and u1's entry for it.
    func waiting(unless exceptions: [ExceptionMatcher]) throws -> (ConnectorEngine, WaitingEntry) {
        let engine = engine(ConnectorCoreTests.followUp(on: .pushReceived, delay: .relative(seconds: 86_400), exceptions: exceptions))
        let entry = try waitingEntry(engine)
        return (engine, entry)
    }

    /// The user's state after `decisions`, as the store leaves it: cancelled entries removed,
    /// scheduled ones added (replacing the follow-up's earlier entry). Decisions carry no
    /// receipts: only a `*_received`/`*_viewed` event is one (R22).
    func applying(_ decisions: [Decision], to state: UserState) -> UserState {
        var after = state
        for decision in decisions {
            switch decision {
            case .schedule(let entry, _):
                after.waiting.removeAll { $0.followUp == entry.followUp && $0.userID == entry.userID }
                after.waiting.append(entry)
            case .cancel(let entryID, _, _):
                after.waiting.removeAll { $0.id == entryID }
            case .skip:
                break
            }
        }
        return after
    }

    @Test("R13: purchases, custom events (with property filters) and interactions with a campaign are exceptions; a session start only when listed")
    func R13_exceptionKinds() throws {
        let engine = engine(followUp)
        let entry = try waitingEntry(engine)
        let state = UserState(waiting: [entry])
        let purchase = event(.purchase(productID: "sku-1", price: 9.5, currency: "EUR", quantity: 1), time: at(hour))
        #expect(engine.decide(purchase, state: state, now: at(hour))
                == [.cancel(entryID: entry.id, followUp: "F", reason: DecisionReason(.exception, "cancelled: exception purchase at \(inAnHour)"))])
        let otherReason = event(.custom(name: "cart_cleared", properties: ["reason": .string("timeout")]), time: at(hour))
        #expect(engine.decide(otherReason, state: state, now: at(hour)).isEmpty)
        let userCleared = event(.custom(name: "cart_cleared", properties: ["reason": .string("user"), "n": .number(2)]), time: at(hour))
        #expect(engine.decide(userCleared, state: state, now: at(hour))
                == [.cancel(entryID: entry.id, followUp: "F", reason: DecisionReason(.exception, "cancelled: exception custom event cart_cleared at \(inAnHour)"))])
        let opened = interaction(.pushOpened, time: at(hour))
        #expect(engine.decide(opened, state: state, now: at(hour))
                == [.cancel(entryID: entry.id, followUp: "F", reason: DecisionReason(.exception, "cancelled: exception push_opened on T at \(inAnHour)"))])
        // The exception names campaign T: an open of another campaign is not one.
        #expect(engine.decide(interaction(.pushOpened, on: "OTHER", time: at(hour)), state: state, now: at(hour)).isEmpty)
        // Session starts are not among this follow-up's exceptions.
        let session = event(.sessionStart, time: at(hour))
        #expect(!engine.mayBeException(session))
        #expect(engine.decide(session, state: state, now: at(hour)).isEmpty)
    }

    @Test("R13: a session start is an exception when the follow-up lists it")
    func R13_sessionStart() throws {
        let (engine, entry) = try waiting(unless: [.sessionStart])
        let session = event(.sessionStart, time: at(hour))
        #expect(engine.mayBeException(session), "the store must not skip a session start without looking at the waiting entries")
        #expect(engine.decide(session, state: UserState(waiting: [entry]), now: at(hour))
                == [.cancel(entryID: entry.id, followUp: "F", reason: DecisionReason(.exception, "cancelled: exception session start at \(inAnHour)"))])
        // Another user's session start does not cancel u1's wait.
        #expect(engine.decide(event(.sessionStart, user: "u2", time: at(hour)), state: UserState(waiting: [entry]), now: at(hour)).isEmpty)
    }

    @Test("R13: an interaction exception without a campaign matches that interaction with any campaign, narrowed by its detail")
    func R13_interactionWithAnyCampaign() throws {
        let (engine, entry) = try waiting(unless: [.interaction(kind: .pushOpened, campaign: nil, detail: nil)])
        let state = UserState(waiting: [entry])
        let otherCampaign = interaction(.pushOpened, on: "OTHER", time: at(hour))
        #expect(engine.mayBeException(otherCampaign))
        #expect(engine.decide(otherCampaign, state: state, now: at(hour))
                == [.cancel(entryID: entry.id, followUp: "F", reason: DecisionReason(.exception, "cancelled: exception push_opened at \(inAnHour)"))])
        #expect(engine.decide(interaction(.pushOpened, on: "T", time: at(hour)), state: state, now: at(hour)).first?.isCancel == true)
        // Another kind with any campaign is not one.
        #expect(engine.decide(interaction(.emailOpened, on: "OTHER", time: at(hour)), state: state, now: at(hour)).isEmpty)

        let (buttons, buttonEntry) = try waiting(unless: [.interaction(kind: .pushButtonClicked, campaign: nil, detail: "2")])
        let waitingForButtons = UserState(waiting: [buttonEntry])
        #expect(buttons.decide(interaction(.pushButtonClicked, on: "OTHER", detail: "1", time: at(hour)), state: waitingForButtons, now: at(hour)).isEmpty)
        #expect(buttons.decide(interaction(.pushButtonClicked, on: "OTHER", detail: "2", time: at(hour)), state: waitingForButtons, now: at(hour))
                == [.cancel(entryID: buttonEntry.id, followUp: "F", reason: DecisionReason(.exception, "cancelled: exception push_button_clicked at \(inAnHour)"))])
    }

    @Test("R13: a purchase exception with a product cancels on a purchase of that product only")
    func R13_purchaseOfAProduct() throws {
        let (engine, entry) = try waiting(unless: [.purchase(productID: "sku-1")])
        let state = UserState(waiting: [entry])
        let otherProduct = event(.purchase(productID: "sku-2", price: 5, currency: "EUR", quantity: 1), time: at(hour))
        #expect(engine.decide(otherProduct, state: state, now: at(hour)).isEmpty)
        let product = event(.purchase(productID: "sku-1", price: 5, currency: "EUR", quantity: 1), time: at(hour))
        #expect(engine.decide(product, state: state, now: at(hour))
                == [.cancel(entryID: entry.id, followUp: "F", reason: DecisionReason(.exception, "cancelled: exception purchase of sku-1 at \(inAnHour)"))])
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
        #expect(cancel.first?.reason.code == .exception)
        #expect(cancel.first?.reason.text.hasPrefix("cancelled: exception push_opened on T at") == true)
    }

    @Test("R15: a cancelled entry sends nothing and the user stays eligible")
    func R15_cancelledStaysEligible() throws {
        let engine = engine(followUp)  // received at most once (R7)
        let entry = try waitingEntry(engine)
        let before = UserState(waiting: [entry])
        let purchase = engine.decide(event(.purchase(productID: "x", price: 1, currency: "EUR", quantity: 1), time: at(hour)),
                                     state: before, now: at(hour))
        // Only the cancel: nothing is scheduled or sent in its place.
        #expect(purchase == [.cancel(entryID: entry.id, followUp: "F", reason: DecisionReason(.exception, "cancelled: exception purchase at \(inAnHour)"))])
        // The state after the cancel (not a fresh one): the cancel must name the waiting entry, or it still waits.
        // (That the store records no receipt on a cancel is checked on the store: StateIndexTests.)
        let afterCancel = applying(purchase, to: before)
        #expect(afterCancel.waiting.isEmpty, "the cancel names the waiting entry")
        // With that state, a new trigger schedules again.
        let again = engine.decide(interaction(.pushReceived, time: at(2 * hour)), state: afterCancel, now: at(2 * hour))
        #expect(again.count == 1, "\(again)")
        #expect(again.first?.entry?.triggerTime == at(2 * hour))
        #expect(again.first?.entry?.dueAt == at(2 * hour + day))
    }
}
