import ConnectorCore
import Foundation
import Testing

private func zone(_ name: String) -> TimeZone { TimeZone(identifier: name) ?? .current }
private func utc(_ text: String) -> Date { ISO8601DateFormatter().date(from: text) ?? .distantPast }

@Suite("Schedule delays (R9-R12)")
struct DelayTests {
    @Test("R9: anchored at the trigger, never earlier than processing")
    func R9_anchoring() {
        let trigger = utc("2026-03-02T10:00:00Z")
        #expect(ScheduleDelay.relative(seconds: 3600).dueDate(trigger: trigger, processedAt: trigger, zone: zone("UTC")) == utc("2026-03-02T11:00:00Z"))
        // Ingested two hours late: due now, not in the past.
        let late = utc("2026-03-02T12:00:00Z")
        #expect(ScheduleDelay.relative(seconds: 3600).dueDate(trigger: trigger, processedAt: late, zone: zone("UTC")) == late)
        #expect(ScheduleDelay.immediate.dueDate(trigger: trigger, processedAt: late, zone: zone("UTC")) == late)
    }

    @Test("R10: relative delays are elapsed time, also across a DST change")
    func R10_relative() {
        // 2026-03-08 is the US spring-forward day; 1 day = 86,400 s regardless.
        let trigger = utc("2026-03-07T15:00:00Z")
        #expect(ScheduleDelay.relative(seconds: 86_400).dueDate(trigger: trigger, processedAt: trigger, zone: zone("America/New_York")) == utc("2026-03-08T15:00:00Z"))
    }

    @Test("R11: next weekday at a local time; the same weekday means a week later")
    func R11_nextWeekday() {
        let tuesdayNine = ScheduleDelay.nextWeekday(weekday: 3, hour: 9, minute: 0)
        // Monday 2026-03-02 10:00 in Berlin (UTC+1): next Tuesday 09:00 local = 08:00 UTC.
        #expect(tuesdayNine.dueDate(trigger: utc("2026-03-02T09:00:00Z"), processedAt: .distantPast, zone: zone("Europe/Berlin")) == utc("2026-03-03T08:00:00Z"))
        // On a Tuesday (even before 09:00): a week later.
        #expect(tuesdayNine.dueDate(trigger: utc("2026-03-03T06:00:00Z"), processedAt: .distantPast, zone: zone("Europe/Berlin")) == utc("2026-03-10T08:00:00Z"))
        // Across the US DST change: Sunday 2026-03-08 is spring forward; 09:00 EDT = 13:00 UTC.
        let sunday = ScheduleDelay.nextWeekday(weekday: 1, hour: 9, minute: 0)
        #expect(sunday.dueDate(trigger: utc("2026-03-06T15:00:00Z"), processedAt: .distantPast, zone: zone("America/New_York")) == utc("2026-03-08T13:00:00Z"))
    }

    @Test("R11: a local time inside a DST gap moves to the first valid instant; an overlap takes the first occurrence")
    func R11_gapsAndOverlaps() {
        // New York, 2026-03-08 02:30 does not exist (02:00 -> 03:00 EDT): 03:00 EDT = 07:00 UTC.
        let gap = ScheduleDelay.calendarDays(days: 1, hour: 2, minute: 30)
        #expect(gap.dueDate(trigger: utc("2026-03-07T17:00:00Z"), processedAt: .distantPast, zone: zone("America/New_York")) == utc("2026-03-08T07:00:00Z"))
        // New York, 2026-11-01 01:30 happens twice: first (EDT) = 05:30 UTC.
        let overlap = ScheduleDelay.calendarDays(days: 1, hour: 1, minute: 30)
        #expect(overlap.dueDate(trigger: utc("2026-10-31T16:00:00Z"), processedAt: .distantPast, zone: zone("America/New_York")) == utc("2026-11-01T05:30:00Z"))
    }

    @Test("R12: calendar days at a local time, across Berlin's DST change")
    func R12_calendarDays() {
        // Berlin springs forward 2026-03-29. Trigger 2026-03-27 20:00 local (19:00 UTC);
        // 3 calendar days later at 09:00 local = 2026-03-30 09:00 CEST = 07:00 UTC.
        let delay = ScheduleDelay.calendarDays(days: 3, hour: 9, minute: 0)
        #expect(delay.dueDate(trigger: utc("2026-03-27T19:00:00Z"), processedAt: .distantPast, zone: zone("Europe/Berlin")) == utc("2026-03-30T07:00:00Z"))
        // The trigger's *local* date counts: 23:30 UTC on the 27th is already the 28th in Berlin.
        #expect(delay.dueDate(trigger: utc("2026-03-27T23:30:00Z"), processedAt: .distantPast, zone: zone("Europe/Berlin")) == utc("2026-03-31T07:00:00Z"))
    }

    @Test("R11: users without a time zone (or with an unknown one) use the workspace's; campaigns can insist on it")
    func R11_workspaceZone() throws {
        let f = followUp(delay: .calendarDays(days: 1, hour: 9, minute: 0))
        let workspace = engine(f, zone: "Europe/Berlin")
        let noZone = try #require(workspace.decide(interaction(.pushOpened, time: monday), state: UserState(user: User(id: "u1")), now: monday).first?.entry)
        #expect(noZone.dueAt == utc("2026-03-03T08:00:00Z"))
        let bogus = try #require(workspace.decide(interaction(.pushOpened, time: monday), state: UserState(user: User(id: "u1", timeZone: "Mars/Olympus")), now: monday).first?.entry)
        #expect(bogus.dueAt == noZone.dueAt)
        let newYork = try #require(workspace.decide(interaction(.pushOpened, time: monday), state: UserState(user: User(id: "u1", timeZone: "America/New_York")), now: monday).first?.entry)
        #expect(newYork.dueAt == utc("2026-03-03T14:00:00Z"))
    }
}
