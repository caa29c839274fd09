import ConnectorCore
import Foundation

/// Turns due waiting entries into dispatches (R16-R21) at a time the caller gives, so
/// tests, `connector tick` and the service drive it with their own clock.
///
/// A run claims due entries for this scheduler's ``worker`` under a lease, then settles
/// them in one transaction of the store (``WaitQueue/settle(_:worker:now:)``), which plans
/// each with the stored campaigns and settings. Several schedulers (tasks, processes,
/// instances on one database) can run at once: each entry is claimed by one, and a cancel
/// that lands between the claim and the settle sends nothing.
public struct Scheduler: Sendable {
    public let store: any Store
    /// Who this scheduler is in the claims it takes.
    public let worker: WorkerID
    /// How long a claim lasts: a scheduler that dies holding entries gives them up after this.
    public var lease: TimeInterval

    public init(store: any Store, worker: WorkerID = .unique("scheduler"), lease: TimeInterval = 60) {
        self.store = store
        self.worker = worker
        self.lease = lease
    }

    /// Claims and settles the entries due at `now` (up to `limit`, earliest first); each
    /// settlement names its entry. Entries that were cancelled or settled elsewhere after
    /// the claim come back as ``Settlement/Result/notHeld``.
    @discardableResult
    public func runDue(at now: Date, limit: Int = 1000) async throws -> [Settlement] {
        let claimed = try await store.claimDue(at: now, worker: worker, lease: lease, limit: limit)
        guard !claimed.isEmpty else { return [] }
        return try await store.settle(claimed, worker: worker, now: now)
    }

    /// Runs until nothing is due at `now`, in runs of `batch`; returns every settlement.
    @discardableResult
    public func runAllDue(at now: Date, batch: Int = 1000) async throws -> [Settlement] {
        var all: [Settlement] = []
        while true {
            let settled = try await runDue(at: now, limit: batch)
            all += settled
            if settled.count < batch { return all }
        }
    }
}

extension Settlement {
    /// The outcome, when the entry was settled.
    public var outcome: SendOutcome? {
        if case .settled(let outcome) = result { return outcome }
        return nil
    }
}
