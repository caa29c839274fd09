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

/// A flag a graceful shutdown sets and a loop's pause wakes up for.
final class StopSignal: Sendable {
    private let stopped = Mutex(false)
    var isSet: Bool { stopped.withLock { $0 } }
    func set() { stopped.withLock { $0 = true } }

    /// Sleeps `seconds` in short steps, returning early once set.
    func pause(_ seconds: TimeInterval) async {
        var left = seconds
        while left > 0, !isSet, !Task.isCancelled {
            let step = min(left, 0.05)
            try? await Task.sleep(for: .milliseconds(Int64(step * 1000)))
            left -= step
        }
    }
}

/// The scheduler beside the server: every interval, claims the entries due at the
/// service's clock and settles them into dispatches. On shutdown it stops claiming; a
/// run in progress finishes (its claims are settled, none left to lapse).
struct SchedulerLoop: Service {
    let service: ConnectorService

    func run() async throws {
        let stop = StopSignal()
        service.health.set(scheduler: true)
        defer { service.health.set(scheduler: false) }
        await withGracefulShutdownHandler {
            while !stop.isSet {
                do {
                    let settled = try await service.scheduler.runAllDue(at: service.clock.now())
                    service.metrics.settled(settled)
                    service.health.failed(nil)
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
        let stop = StopSignal()
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
