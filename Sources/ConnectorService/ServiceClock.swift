import Foundation
import Synchronization

/// The service's time: the system clock, or a virtual one that only moves when told
/// (`POST /v1/clock`), so a replay of a week of events runs in seconds and delays elapse
/// at once. Every part of the service (ingestion, scheduler, dispatcher, tracking) reads it.
public final class ServiceClock: Sendable {
    /// The virtual time (unused by a system clock).
    private let time: Mutex<Date>
    public let isVirtual: Bool

    /// The system clock.
    public static var system: ServiceClock { ServiceClock(start: Date(), isVirtual: false) }

    /// A virtual clock standing at `start`.
    public static func virtual(at start: Date) -> ServiceClock { ServiceClock(start: start, isVirtual: true) }

    private init(start: Date, isVirtual: Bool) {
        time = Mutex(start)
        self.isVirtual = isVirtual
    }

    public func now() -> Date { isVirtual ? time.withLock { $0 } : Date() }

    /// Moves a virtual clock forward to `time` (never back: a time before the current one
    /// leaves it where it is) and returns the time now. A system clock refuses.
    public func advance(to time: Date) throws(APIError) -> Date {
        guard isVirtual else {
            throw APIError(.conflict, "the service runs on the system clock; start it with --clock virtual:TIME to move time by hand")
        }
        return self.time.withLock { current in
            if time > current { current = time }
            return current
        }
    }
}
