import ConnectorStore
import Delivery
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// What `GET /health` reports of the loops beside the server.
final class HealthState: Sendable {
    private let state = Mutex((dispatcherRunning: false, schedulerRunning: false, lastError: String?.none))

    func set(dispatcher running: Bool) { state.withLock { $0.dispatcherRunning = running } }
    func set(scheduler running: Bool) { state.withLock { $0.schedulerRunning = running } }
    func failed(_ text: String?) { state.withLock { $0.lastError = text } }
    var snapshot: (dispatcherRunning: Bool, schedulerRunning: Bool, lastError: String?) { state.withLock { $0 } }
}

/// How a loop beside the server waits between runs: until its interval has passed, or
/// until it is woken (work arrived: an immediate follow-up was scheduled, a dispatch was
/// queued, or a shutdown began), whichever comes first. One loop waits on each.
final class Wakeup: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    /// Wakes the waiting loop, or the next wait if none is waiting.
    func signal() {
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

    /// Returns after `seconds`, or sooner when signalled (at once if a signal is pending).
    func wait(upTo seconds: TimeInterval) async {
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

/// A flag a graceful shutdown sets; setting it wakes the loop.
final class StopSignal: Sendable {
    private let stopped = Mutex(false)
    let wakeup: Wakeup

    init(wakeup: Wakeup) { self.wakeup = wakeup }

    var isSet: Bool { stopped.withLock { $0 } }

    func set() {
        stopped.withLock { $0 = true }
        wakeup.signal()
    }

    /// Waits `seconds`, or until woken (work arrived or the shutdown began).
    func pause(_ seconds: TimeInterval) async {
        guard !isSet else { return }
        await wakeup.wait(upTo: seconds)
    }
}

/// The scheduler beside the server: every interval, claims the entries due at the
/// service's clock and settles them into dispatches. On shutdown it stops claiming; a
/// run in progress finishes (its claims are settled, none left to lapse).
struct SchedulerLoop: Service {
    let service: ConnectorService

    func run() async throws {
        let stop = StopSignal(wakeup: service.schedulerWakeup)
        service.health.set(scheduler: true)
        defer { service.health.set(scheduler: false) }
        await withGracefulShutdownHandler {
            while !stop.isSet {
                do {
                    let settled = try await service.scheduler.runAllDue(at: service.clock.now())
                    service.metrics.settled(settled)
                    service.health.failed(nil)
                    // New dispatches: the dispatcher need not wait for its interval.
                    if settled.contains(where: { if case .settled(.send) = $0.result { return true }; return false }) {
                        service.dispatcherWakeup.signal()
                    }
                } catch {
                    // A store that is briefly unreachable: try again next interval.
                    service.logger.error("scheduler run failed", metadata: ["error": "\(error)"])
                    service.health.failed("scheduler: \(error)")
                }
                await stop.pause(service.configuration.schedulerInterval)
            }
        } onGracefulShutdown: {
            stop.set()
        }
    }
}

/// The dispatcher beside the server: claims ready dispatches and delivers them, batch
/// after batch, pausing when the outbox is empty. On shutdown the batch in flight is sent
/// and recorded before it returns, so no send is lost or left to its lease.
struct DispatcherLoop: Service {
    let service: ConnectorService

    func run() async throws {
        let stop = StopSignal(wakeup: service.dispatcherWakeup)
        service.health.set(dispatcher: true)
        defer { service.health.set(dispatcher: false) }
        await withGracefulShutdownHandler {
            while !stop.isSet {
                do {
                    let report = try await service.dispatcher.deliverBatch()
                    service.metrics.delivered(report, now: service.clock.now())
                    if report.total > 0 { continue }
                } catch {
                    service.logger.error("dispatcher batch failed", metadata: ["error": "\(error)"])
                    service.health.failed("dispatcher: \(error)")
                }
                await stop.pause(service.configuration.schedulerInterval)
            }
        } onGracefulShutdown: {
            stop.set()
        }
    }
}
