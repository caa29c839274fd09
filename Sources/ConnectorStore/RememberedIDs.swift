/// The hashes of the event ids seen within the dedupe window (R25), grouped by the day of
/// the event's time so the oldest day is forgotten in one step as time moves on: memory
/// stays proportional to the events of the window (about 24 bytes each), however long the
/// process runs.
struct RememberedIDs: Sendable {
    /// Whole days kept behind the newest event's day (the window, rounded up).
    let windowDays: Int
    private var hashes = HashSet64()
    private var byDay: [Int: [UInt64]] = [:]
    private var newestDay = Int.min

    init(window: Double) {
        windowDays = max(1, Int((window / 86_400).rounded(.up)))
    }

    /// How many ids are remembered.
    var count: Int { hashes.count }

    func contains(_ hash: UInt64) -> Bool { hashes.contains(hash) }

    /// Remembers an id of an event at `time` (seconds since 1970); forgets the days that
    /// fell out of the window when `time` starts a new newest day. An event older than the
    /// window is not remembered.
    mutating func insert(_ hash: UInt64, time: Double) {
        let day = Int((time / 86_400).rounded(.down))
        if day > newestDay {
            newestDay = day
            for old in byDay.keys where old < day - windowDays {
                for forgotten in byDay.removeValue(forKey: old) ?? [] { hashes.remove(forgotten) }
            }
        }
        guard day >= newestDay - windowDays, hashes.insert(hash) else { return }
        byDay[day, default: []].append(hash)
    }
}
