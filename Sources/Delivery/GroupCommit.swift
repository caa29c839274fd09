import ConnectorStore
import Foundation
import Synchronization

/// Group commit for the dispatcher's store writes: the send marks and delivery records
/// of all the sends in flight go to the store together, one transaction per kind each
/// round, instead of one transaction per write. A caller waits for the round that
/// carries its write, so nothing is acknowledged before it is committed.
///
/// One round runs at a time; writes that arrive while it runs form the next round.
final class GroupCommit: Sendable {
    private typealias Waiter = CheckedContinuation<Bool, any Error>

    private struct Pending: ~Copyable {
        var marks: [(String, Waiter)] = []
        var records: [(DeliveryRecord, Waiter)] = []
        /// Whether a round is running (it takes what is pending before it ends).
        var running = false
    }

    private let store: any Store
    private let worker: WorkerID
    private let now: @Sendable () -> Date
    private let pending = Mutex(Pending())

    init(store: any Store, worker: WorkerID, now: @escaping @Sendable () -> Date) {
        self.store = store
        self.worker = worker
        self.now = now
    }

    /// Marks `dispatch` as being sent (R25); false if the worker no longer holds it.
    func mark(_ dispatch: String) async throws -> Bool {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            enqueue { $0.marks.append((dispatch, waiter)) }
        }
    }

    /// Records a delivery's tries and outcome; false if the worker no longer holds it.
    func record(_ delivery: DeliveryRecord) async throws -> Bool {
        try await withCheckedThrowingContinuation { (waiter: Waiter) in
            enqueue { $0.records.append((delivery, waiter)) }
        }
    }

    private func enqueue(_ add: (inout Pending) -> Void) {
        let start = pending.withLock { state -> Bool in
            add(&state)
            guard !state.running else { return false }
            state.running = true
            return true
        }
        if start { Task { await self.rounds() } }
    }

    /// Runs rounds until nothing is pending.
    private func rounds() async {
        while true {
            let (marks, records) = pending.withLock { state -> ([(String, Waiter)], [(DeliveryRecord, Waiter)]) in
                defer { state.marks = []; state.records = [] }
                if state.marks.isEmpty && state.records.isEmpty { state.running = false }
                return (state.marks, state.records)
            }
            if marks.isEmpty && records.isEmpty { return }
            if !marks.isEmpty {
                do {
                    let held = try await store.beginSend(marks.map(\.0), worker: worker, at: now())
                    for (dispatch, waiter) in marks { waiter.resume(returning: held.contains(dispatch)) }
                } catch {
                    for (_, waiter) in marks { waiter.resume(throwing: error) }
                }
            }
            if !records.isEmpty {
                do {
                    let recorded = try await store.record(records.map(\.0), worker: worker)
                    for (delivery, waiter) in records { waiter.resume(returning: recorded.contains(delivery.dispatch)) }
                } catch {
                    for (_, waiter) in records { waiter.resume(throwing: error) }
                }
            }
        }
    }
}
