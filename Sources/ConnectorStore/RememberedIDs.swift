/// The hashes of the event ids seen within the dedupe window (R25), grouped by the day of
/// the event's time so the oldest day is forgotten in one step as time moves on: memory
/// stays proportional to the events of the window (about 24 bytes each), however long the
/// process runs.
struct RememberedIDs: Sendable {
    /// Whole days kept behind the newest event's day (the window, rounded up).
    let windowDays: Int
    private var hashes = Set<UInt64>()
    private var byDay: [Int: [UInt64]] = [:]
    private var newestDay = Int.min / 2  // no day yet; far enough from Int.min to subtract the window

    init(window: Double) {
        windowDays = max(1, Int((window / 86_400).rounded(.up)))
    }

    /// How many ids are remembered.
    var count: Int { hashes.count }

    func contains(_ hash: UInt64) -> Bool { hashes.contains(hash) }

    /// Remembers an id of an event at `time` (seconds since 1970); forgets the days that
    /// fell out of the window when `time` starts a new newest day. An event older than the
    /// window is not remembered.
    ///
    /// - Parameter now: when the event is ingested. An event dated more than a day after
    ///   it is remembered but does not move the window, so one event dated 2199 cannot make
    ///   every other event "older than the window" and turn deduplication off (it is
    ///   forgotten once the window passes its day, like any other).
    mutating func insert(_ hash: UInt64, time: Double, now: Double = .infinity) {
        let day = Self.day(time)
        if day > newestDay, time <= now + 86_400 {
            newestDay = day
            for old in byDay.keys where old < day - windowDays {
                for forgotten in byDay.removeValue(forKey: old) ?? [] { hashes.remove(forgotten) }
            }
        }
        guard day >= newestDay - windowDays, hashes.insert(hash).inserted else { return }
        byDay[day, default: []].append(hash)
    }

    /// The day of a time, for any Double (the store's own API takes any `Date`).
    private static func day(_ time: Double) -> Int {
        guard time.isFinite else { return time > 0 ? Int.max / 2 : Int.min / 2 }
        return Int(max(min((time / 86_400).rounded(.down), 1e15), -1e15))
    }
}
