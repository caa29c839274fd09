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
        // A virtual clock's time moves only by POST /v1/clock, which settles and delivers
        // itself: loops beside it would race it and send at a later virtual time.
        guard !service.clock.isVirtual else { return await idleUntilShutdown() }
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

/// The dispatcher beside the server: up to `dispatcher.concurrency` sends in flight, a
/// slot refilled as soon as a send ends (``Dispatcher/run(wakeup:stopping:delivered:)``),
/// woken by the scheduler when it queues dispatches. On shutdown it claims nothing more and
/// returns once the sends in flight are sent and recorded, so no send is lost or left to
/// its lease.
struct DispatcherLoop: Service {
    let service: ConnectorService

    func run() async throws {
        let stop = StopSignal(wakeup: service.dispatcherWakeup)
        service.health.set(dispatcher: true)
        defer { service.health.set(dispatcher: false) }
        guard !service.clock.isVirtual else { return await idleUntilShutdown() }
        await withGracefulShutdownHandler {
            while !stop.isSet {
                do {
                    try await service.dispatcher.run(wakeup: service.dispatcherWakeup, stopping: { stop.isSet }) { delivered in
                        var report = Dispatcher.Report()
                        report.delivered = [delivered]
                        service.metrics.delivered(report, now: service.clock.now())
                    }
                } catch {
                    // A store that is briefly unreachable: start again after a pause.
                    service.logger.error("dispatcher failed", metadata: ["error": "\(error)"])
                    service.health.failed("dispatcher: \(error)")
                    await stop.pause(service.configuration.schedulerInterval)
                }
            }
        } onGracefulShutdown: {
            stop.set()
        }
    }
}

/// Waits for the graceful shutdown (a loop with nothing to do on a virtual clock).
func idleUntilShutdown() async {
    try? await gracefulShutdown()
}
