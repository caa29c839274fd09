import Foundation

/// How long after its trigger a follow-up is sent (R9-R12).
public enum ScheduleDelay: Codable, Sendable, Equatable {
    /// At once (R9).
    case immediate
    /// After this much elapsed time; a day is 86,400 s, no time zone involved (R10).
    case relative(seconds: Int)
    /// On the next `weekday` (1 = Sunday ... 7 = Saturday) at `hour`:`minute` local time;
    /// a trigger on that weekday sends a week later (R11).
    case nextWeekday(weekday: Int, hour: Int, minute: Int)
    /// `days` (>= 1) calendar days after the trigger's local date, at `hour`:`minute` (R12).
    case calendarDays(days: Int, hour: Int, minute: Int)

    /// When an entry triggered at `trigger` is due, in `zone`, never before `processedAt` (R9).
    ///
    /// Local times that a daylight-saving change skips move forward to the first valid
    /// instant (the change itself); repeated local times take their first occurrence.
    public func dueDate(trigger: Date, processedAt: Date, zone: TimeZone) -> Date {
        let due: Date
        switch self {
        case .immediate:
            due = trigger
        case .relative(let seconds):
            due = trigger.addingTimeInterval(TimeInterval(seconds))
        case .nextWeekday(let weekday, let hour, let minute):
            let local = LocalDate(trigger, zone: zone)
            var ahead = (weekday - local.weekday + 7) % 7
            if ahead == 0 { ahead = 7 }
            due = LocalDate.instant(year: local.year, month: local.month, day: local.day + ahead, hour: hour, minute: minute, zone: zone)
        case .calendarDays(let days, let hour, let minute):
            let local = LocalDate(trigger, zone: zone)
            due = LocalDate.instant(year: local.year, month: local.month, day: local.day + days, hour: hour, minute: minute, zone: zone)
        }
        return max(due, processedAt)
    }
}

/// A date's local calendar fields in a zone, and the inverse with Liquid-independent DST rules.
struct LocalDate {
    var year: Int, month: Int, day: Int, weekday: Int

    init(_ date: Date, zone: TimeZone) {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .weekday], from: date)
        year = parts.year ?? 1970
        month = parts.month ?? 1
        day = parts.day ?? 1
        weekday = parts.weekday ?? 1
    }

    /// The instant of a local wall time (the day may overflow the month: it is normalised).
    /// In a DST gap: the first valid instant after it. In an overlap: the first occurrence.
    static func instant(year: Int, month: Int, day: Int, hour: Int, minute: Int, zone: TimeZone) -> Date {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC") ?? TimeZone(secondsFromGMT: 0) ?? zone
        let wall = utc.date(from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute)) ?? Date()
        // Candidate offsets: the zone's offsets a day before and a day after.
        let offsets = Set([wall.addingTimeInterval(-86_400), wall, wall.addingTimeInterval(86_400)]
            .map { zone.secondsFromGMT(for: $0) })
        let valid = offsets.map { wall.addingTimeInterval(-TimeInterval($0)) }
            .filter { zone.secondsFromGMT(for: $0) == Int(wall.timeIntervalSince($0)) }
        if let first = valid.min() { return first }
        // A gap: the transition is the first valid instant after the wall time.
        let earliest = wall.addingTimeInterval(-TimeInterval(offsets.max() ?? 0))
        return zone.nextDaylightSavingTimeTransition(after: earliest.addingTimeInterval(-7200)) ?? earliest
    }
}
