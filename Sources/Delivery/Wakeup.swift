import Foundation
import Synchronization

/// How a worker loop waits between runs: until its interval has passed, or until it is
/// woken (work arrived: an immediate follow-up was scheduled, a dispatch was queued, or a
/// shutdown began), whichever comes first. One loop waits on each.
public final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// A wakeup with no signal pending.
    public init() {}

    /// Wakes the waiting loop, or the next wait if none is waiting.
    public func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Whether a signal came since the last wait or take (and forgets it): a loop that is
    /// busy checks for new work this way without waiting.
    public func take() -> Bool {
        state.withLock { state in
            defer { state.pending = false }
            return state.pending
        }
    }

    /// Returns after `seconds`, or sooner when signalled (at once if a signal is pending).
    public func wait(upTo seconds: TimeInterval) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withCheckedContinuation { continuation in
                    let now = self.state.withLock { state -> Bool in
                        if state.pending {
                            state.pending = false
                            return true
                        }
                        // The timer already won and the cleanup below has run: do not wait.
                        if Task.isCancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if now { continuation.resume() }
                }
            }
            group.addTask { try? await Task.sleep(for: .milliseconds(Int64(seconds * 1000))) }
            await group.next()
            group.cancelAll()
            // The timer won: end the wait for a signal that did not come.
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}

