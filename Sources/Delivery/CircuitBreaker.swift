import Foundation
import Synchronization

/// Stops sending to a provider that keeps failing: opens after `threshold` consecutive
/// failures, lets one trial through (half-open) after `coolDown`, closes on a success.
public final class CircuitBreaker: Sendable {
    /// Whether sends reach the provider.
    public enum State: Equatable, Sendable {
        /// Sends go through; consecutive failures are counted.
        case closed
        /// Sends are stopped since `since`, until ``CircuitBreaker/coolDown`` has passed.
        case open(since: Date)
        /// One trial send is out; its result closes the breaker or opens it again.
        case halfOpen
    }

    /// How many consecutive failures open it (5 by default).
    public let threshold: Int
    /// Seconds it stays open before letting a trial through (30 by default).
    public let coolDown: TimeInterval
    private let state = Mutex<(failures: Int, state: State)>((0, .closed))

    /// A closed breaker.
    ///
    /// - Parameters:
    ///   - threshold: how many consecutive failures open it; at least 1.
    ///   - coolDown: seconds it stays open before letting a trial through; at least 0.
    public init(threshold: Int = 5, coolDown: TimeInterval = 30) {
        precondition(threshold >= 1 && coolDown >= 0, "a breaker opens after at least one failure")
        self.threshold = threshold
        self.coolDown = coolDown
    }

    /// The state now.
    public var current: State { state.withLock { $0.state } }

    /// Whether a send may go to the provider at `now`. An open breaker whose cool-down has
    /// passed lets exactly one trial through and stays half-open until it reports.
    public func allows(at now: Date) -> Bool {
        state.withLock { value in
            switch value.state {
            case .closed: return true
            case .halfOpen: return false
            case .open(let since):
                guard now.timeIntervalSince(since) >= coolDown else { return false }
                value.state = .halfOpen
                return true
            }
        }
    }

    /// Reports a send's result: a success closes it, a failure counts (and re-opens a half-open one).
    public func record(success: Bool, at now: Date) {
        state.withLock { value in
            if success {
                value = (0, .closed)
                return
            }
            value.failures += 1
            if value.state == .halfOpen || value.failures >= threshold { value.state = .open(since: now) }
        }
    }
}
