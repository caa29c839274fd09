import ConnectorCore
import ConnectorStore
import CurlTransport
import Foundation
import Logging
import Synchronization

/// Delivers dispatches from the durable outbox: claims them with a lease, renders them
/// (R21), sends them through the channel's providers, records every attempt, and moves
/// each through one state machine:
///
/// ```
/// queued ─claim─► sending ─► sent (receipt ingested, R22)
///                   ├──► retry at T (backoff with full jitter, Retry-After) ─► sending ...
///                   ├──► dead (permanent, or past the retry deadline)
///                   ├──► bad address (suppressed: no later send to it)
///                   ├──► aborted (abort_message, no address, suppressed, campaign gone)
///                   └──► possibly sent (the answer was lost and the provider does not deduplicate)
/// ```
///
/// A dispatch is marked before its request goes out (`DispatchOutbox.beginSend(_:worker:at:)` (ConnectorStore));
/// one claimed again after its worker died is sent again only to a provider that
/// deduplicates by the idempotency key (R25), and is otherwise possibly sent.
public final class Dispatcher: Sendable {
    /// How the dispatcher works.
    public struct Configuration: Sendable {
        /// The worker id its claims are made under (unique to the process by default).
        public var worker: WorkerID
        /// How long a claim lasts; a dispatch of a worker that died is claimed again after it.
        public var lease: TimeInterval
        /// Dispatches claimed at once.
        public var batchSize: Int
        /// Sends in flight at once.
        public var concurrency: Int
        /// When retryable sends are tried again.
        public var retry: RetryPolicy
        /// How long the long-lived loop waits when nothing is ready.
        public var pollInterval: Duration

        /// How the dispatcher works.
        ///
        /// - Parameters:
        ///   - worker: the worker id its claims are made under.
        ///   - lease: seconds a claim lasts (60 by default).
        ///   - batchSize: dispatches claimed at once (256 by default).
        ///   - concurrency: sends in flight at once (64 by default).
        ///   - retry: when retryable sends are tried again.
        ///   - pollInterval: how long the long-lived loop waits when nothing is ready (1 second
        ///     by default).
        public init(worker: WorkerID = .unique("dispatcher"), lease: TimeInterval = 60, batchSize: Int = 256, concurrency: Int = 64,
                    retry: RetryPolicy = RetryPolicy(), pollInterval: Duration = .seconds(1)) {
            self.worker = worker
            self.lease = lease
            self.batchSize = batchSize
            self.concurrency = concurrency
            self.retry = retry
            self.pollInterval = pollInterval
        }
    }

    /// What a drain did: each dispatch's new state, in the order they ended.
    public struct Report: Sendable, Equatable, CustomStringConvertible {
        /// One dispatch's new state, and the tries that led to it.
        public struct Delivered: Sendable, Equatable {
            /// The dispatch delivered.
            public var dispatch: Dispatch
            /// Its new state and why (sent, retry, dead, bad address, aborted or possibly sent).
            public var outcome: DeliveryOutcome
            /// The tries of this delivery (provider, status, latency), oldest first.
            public var attempts: [DeliveryAttempt] = []
        }

        /// Each dispatch's new state, in the order they ended.
        public var delivered: [Delivered] = []
        /// How many dispatches ended in each state.
        public var counts: [DispatchState: Int] {
            delivered.reduce(into: [:]) { $0[$1.outcome.state, default: 0] += 1 }
        }
        /// How many dispatches it holds, in any state.
        public var total: Int { delivered.count }
        /// An empty report.
        public init() {}
        /// The counts by state, such as `sent: 3, retry: 1`.
        public var description: String {
            DispatchState.allCases.compactMap { state in counts[state].map { "\(state.rawValue): \($0)" } }.joined(separator: ", ")
        }
    }

    /// How it works: worker id, lease, batch size, concurrency, retries and poll interval.
    public let configuration: Configuration
    let store: any Store
    let routes: ProviderRoutes
    let adapters: AdapterRegistry
    let context: ProviderContext
    let tracking: Tracking?
    let cache = TemplateCache()
    let commits: GroupCommit
    let random: @Sendable () -> Double
    let sleep: @Sendable (TimeInterval) async throws -> Void
    private let stopping = Mutex(false)

    /// - Parameters:
    ///   - store: the outbox, users, campaigns and suppressions.
    ///   - routes: the providers of each channel, in order.
    ///   - adapters: the channel adapters (the built-in ones unless replaced or added to).
    ///   - client: the shared libcurl client.
    ///   - tracking: link and open tracking, if configured.
    ///   - configuration: worker id, lease, batch size, concurrency, retry policy.
    ///   - now: the clock (injected so tests control retry times).
    ///   - random: the jitter source, in `0..<1`.
    ///   - sleep: how a rate-limited send waits.
    ///   - logger: where undelivered dispatches are logged (never a secret or a body).
    public init(store: any Store, routes: ProviderRoutes, adapters: AdapterRegistry = AdapterRegistry(), client: CurlClient,
                tracking: Tracking? = nil, configuration: Configuration = Configuration(), now: @escaping @Sendable () -> Date = { Date() },
                random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                sleep: @escaping @Sendable (TimeInterval) async throws -> Void = { try await Task.sleep(for: .seconds($0)) },
                logger: Logger = Logger(label: "delivery")) {
        self.store = store
        self.routes = routes
        self.adapters = adapters
        self.tracking = tracking
        self.configuration = configuration
        self.random = random
        self.sleep = sleep
        context = ProviderContext(client: client, store: store, now: now, logger: logger)
        commits = GroupCommit(store: store, worker: configuration.worker, now: now)
    }

    /// Delivers everything ready now, batch after batch, until nothing is ready (retries
    /// due later stay for a later drain). For the CLI's `drain` and tests.
    public func drain() async throws -> Report {
        var report = Report()
        while true {
            let batch = try await deliverBatch()
            guard batch.total > 0 else { return report }
            report.delivered += batch.delivered
        }
    }

    /// Delivers until ``stop()`` is called or the task is cancelled: a batch in flight is
    /// finished (no claim is left to lapse), then it returns.
    public func run() async throws {
        while !stopping.withLock({ $0 }) && !Task.isCancelled {
            let batch = try await deliverBatch()
            if batch.total == 0 {
                try? await Task.sleep(for: configuration.pollInterval)
            }
        }
    }

    /// Delivers continuously with up to `concurrency` sends in flight: free slots are
    /// filled as soon as half of them are free, so a dispatch queued while others are in
    /// flight does not wait for a whole batch. It claims when `wakeup` was signalled (new dispatches),
    /// while claims come back full, and at least every `pollInterval` (retries falling
    /// due); with nothing in flight it waits on `wakeup`. Once `stopping()` is true it
    /// claims nothing more, finishes and records the sends in flight, and returns.
    ///
    /// - Parameters:
    ///   - wakeup: signalled when new dispatches are queued.
    ///   - stopping: true once the loop should stop claiming.
    ///   - delivered: called with each dispatch's new state as it is recorded.
    public func run(wakeup: Wakeup, stopping: @escaping @Sendable () -> Bool,
                    delivered: @escaping @Sendable (Report.Delivered) -> Void = { _ in }) async throws {
        let slots = max(1, configuration.concurrency)
        let interval = Double(configuration.pollInterval.components.seconds) + Double(configuration.pollInterval.components.attoseconds) / 1e18
        try await withThrowingTaskGroup(of: Report.Delivered?.self) { group in
            var inFlight = 0
            var mayHaveWork = true
            var lastClaim = ContinuousClock.now
            while true {
                if wakeup.take() || ContinuousClock.now - lastClaim > configuration.pollInterval { mayHaveWork = true }
                // Claim in chunks (half the slots free, or none in flight): a claim per
                // finished send would spend more on claiming than on sending.
                if !stopping(), mayHaveWork, inFlight == 0 || slots - inFlight >= max(1, slots / 2) {
                    let limit = min(configuration.batchSize, slots - inFlight)
                    lastClaim = .now
                    let claimed = try await store.claimDispatches(at: context.now(), worker: configuration.worker, lease: configuration.lease,
                                                                  limit: limit)
                    mayHaveWork = claimed.count == limit
                    if !claimed.isEmpty {
                        let campaigns = Dictionary(try await store.campaigns().map { ($0.id, $0) }, uniquingKeysWith: { $1 })
                        let users = try await store.users(Set(claimed.map(\.dispatch.userID)))
                        for item in claimed {
                            group.addTask { try await self.deliver(item, campaign: campaigns[item.dispatch.followUp], user: users[item.dispatch.userID]) }
                        }
                        inFlight += claimed.count
                        assert(inFlight <= slots, "a claim never takes more than the free slots")
                        continue
                    }
                }
                if inFlight == 0 {
                    if stopping() { return }
                    await wakeup.wait(upTo: interval)
                    mayHaveWork = true
                    continue
                }
                // A send ended: its slot is free for the next claim.
                if let done = try await group.next() {
                    inFlight -= 1
                    if let done { delivered(done) }
                }
            }
        }
    }

    /// Asks ``run()`` to return after the batch in flight.
    public func stop() { stopping.withLock { $0 = true } }

    /// Claims one batch and delivers it, `concurrency` sends at a time.
    public func deliverBatch() async throws -> Report {
        let claimed = try await store.claimDispatches(at: context.now(), worker: configuration.worker, lease: configuration.lease,
                                                      limit: configuration.batchSize)
        var report = Report()
        guard !claimed.isEmpty else { return report }
        let campaigns = Dictionary(try await store.campaigns().map { ($0.id, $0) }, uniquingKeysWith: { $1 })
        let users = try await store.users(Set(claimed.map(\.dispatch.userID)))
        try await withThrowingTaskGroup(of: Report.Delivered?.self) { group in
            var next = claimed.makeIterator()
            var inFlight = 0
            func add() -> Bool {
                guard let item = next.next() else { return false }
                group.addTask { try await self.deliver(item, campaign: campaigns[item.dispatch.followUp], user: users[item.dispatch.userID]) }
                return true
            }
            while inFlight < max(1, configuration.concurrency), add() { inFlight += 1 }
            while let delivered = try await group.next() {
                if let delivered { report.delivered.append(delivered) }
                if !add() { inFlight -= 1 }
            }
        }
        return report
    }

    /// Delivers one claimed dispatch; returns its new state (nil if the claim was lost).
    func deliver(_ item: OutboxItem, campaign: Campaign?, user: User?) async throws -> Report.Delivered? {
        let dispatch = item.dispatch
        var attempts: [DeliveryAttempt] = []
        func finish(_ outcome: DeliveryOutcome) async throws -> Report.Delivered? {
            let delivery = DeliveryRecord(dispatch: dispatch.id, attempts: attempts, outcome: outcome, at: context.now())
            switch outcome {
            case .dead(let reason), .possiblySent(let reason), .badAddress(let reason):
                // Ids, codes and texts built from statuses and reason codes: no address, URL or secret.
                context.logger.warning("dispatch not delivered", metadata: [
                    "dispatch": "\(dispatch.id)", "channel": "\(dispatch.channel.rawValue)", "state": "\(outcome.state.rawValue)",
                    "reason": "\(reason.code.rawValue)",
                ])
            default: break
            }
            return try await commits.record(delivery) ? Report.Delivered(dispatch: dispatch, outcome: outcome, attempts: attempts) : nil
        }
        guard let campaign, let content = campaign.messages[dispatch.channel] else {
            return try await finish(.aborted(DecisionReason(.campaignMissing, "the follow-up or its \(dispatch.channel.rawValue) content is gone")))
        }
        guard let user else { return try await finish(.aborted(DecisionReason(.noAddress, "the user no longer exists"))) }
        let feed = dispatch.channel == .inAppMessage || dispatch.channel == .contentCard
        guard let address = feed ? user.id.rawValue : user.addresses[dispatch.channel], !address.isEmpty else {
            return try await finish(.aborted(DecisionReason(.noAddress, "the user has no \(dispatch.channel.rawValue) address any more")))
        }
        if !feed, let suppressed = try await store.suppression(of: address, on: dispatch.channel) {
            return try await finish(.aborted(DecisionReason(.suppressed, "the address is suppressed: \(suppressed.reason.text)")))
        }
        guard let adapter = adapters.adapter(for: dispatch.channel) else {
            return try await finish(.dead(DecisionReason(.noProvider, "no adapter renders \(dispatch.channel.rawValue)")))
        }
        let message: ChannelMessage
        do {
            let scope = RenderScope(input: RenderInput(dispatch: dispatch, user: user, campaign: campaign, address: address, now: context.now()),
                                    tracking: tracking, timeZone: TimeZone(identifier: "UTC") ?? .current, cache: cache)
            message = try adapter.render(content, in: scope)
        } catch {
            switch error {
            case .aborted(let reason): return try await finish(.aborted(DecisionReason(.abortedByTemplate, reason ?? "abort_message")))
            case .failed: return try await finish(.dead(DecisionReason(.renderFailed, error.description)))
            }
        }
        var outgoing = OutgoingMessage(message: message, dispatch: dispatch, sentAt: context.now())
        let candidates = routes.routes[dispatch.channel] ?? []
        guard !candidates.isEmpty else {
            return try await finish(.dead(DecisionReason(.noProvider, "no provider is configured for \(dispatch.channel.rawValue)")))
        }
        // Claimed again after a worker died between handing it over and recording the
        // outcome: only a deduplicating provider may see it again (R25).
        if item.reclaimed, item.sendStartedAt != nil, !candidates[0].provider.deduplicates {
            return try await finish(.possiblySent(DecisionReason(.possiblySent,
                "its worker died while sending through \(candidates[0].provider.name), which does not deduplicate; not sent again")))
        }
        var lastRetry: (after: TimeInterval?, reason: String)?
        for (index, route) in candidates.enumerated() where index == 0 || route.failover {
            let now = context.now()
            guard route.breaker.allows(at: now) else {
                lastRetry = (nil, "\(route.provider.name): circuit open")
                continue
            }
            if let bucket = route.rateLimit {
                let wait = bucket.reserve(at: now)
                if wait > 0 { try await sleep(wait) }
            }
            outgoing.sentAt = context.now()
            if attempts.isEmpty {
                guard try await commits.mark(dispatch.id) else { return nil }
            }
            let started = ContinuousClock.now
            let result = await route.provider.send(outgoing, context: context)
            let latency = started.duration(to: .now)
            let attempt = DeliveryAttempt(at: now, provider: route.provider.name, statusCode: result.statusCode,
                                          latency: Double(latency.components.seconds) + Double(latency.components.attoseconds) / 1e18,
                                          providerMessageID: { if case .sent(let id) = result.outcome { return id } else { return nil } }(),
                                          errorClass: { if case .sent = result.outcome { return nil } else { return result.outcome.code } }(),
                                          error: result.outcome.reason)
            attempts.append(attempt)
            switch result.outcome {
            case .sent(let id):
                route.breaker.record(success: true, at: context.now())
                return try await finish(.sent(providerMessageID: id))
            case .retryable(let after, let reason):
                route.breaker.record(success: false, at: context.now())
                lastRetry = (after, "\(route.provider.name): \(reason)")
                continue
            case .permanent(let reason):
                route.breaker.record(success: true, at: context.now())  // the service answered
                return try await finish(.dead(DecisionReason(.providerRejected, "\(route.provider.name): \(reason)")))
            case .badAddress(let reason):
                route.breaker.record(success: true, at: context.now())
                try await store.suppress(Suppression(channel: dispatch.channel, address: address, userID: dispatch.userID, at: context.now(),
                                                     reason: DecisionReason(.badAddress, "\(route.provider.name): \(reason)")))
                return try await finish(.badAddress(DecisionReason(.badAddress, "\(route.provider.name): \(reason)")))
            case .possiblySent(let reason):
                return try await finish(.possiblySent(DecisionReason(.possiblySent, "\(route.provider.name): \(reason)")))
            }
        }
        // Every provider tried failed retryably (or was open): try again later.
        let retry = lastRetry ?? (nil, "no provider available")
        let now = context.now()
        guard let next = configuration.retry.nextAttempt(after: item.attempts + 1, at: now, createdAt: dispatch.createdAt,
                                                         waitingAtLeast: retry.after, random: random()) else {
            return try await finish(.dead(DecisionReason(.retryDeadline, "gave up after the retry deadline: \(retry.reason)")))
        }
        return try await finish(.retry(at: next, reason: DecisionReason(.retrying, retry.reason)))
    }
}

extension ProviderOutcome {
    /// The human text of a failed outcome.
    var reason: String? {
        switch self {
        case .sent: return nil
        case .retryable(_, let reason), .permanent(let reason), .badAddress(let reason), .possiblySent(let reason): return reason
        }
    }
}

extension DecisionReason.Code {
    /// Delivery: a template called `abort_message` (R21).
    public static let abortedByTemplate = DecisionReason.Code(rawValue: "aborted_by_template")
    /// Delivery: a field rendered into something no message can carry.
    public static let renderFailed = DecisionReason.Code(rawValue: "render_failed")
    /// Delivery: no provider or adapter is configured for the channel.
    public static let noProvider = DecisionReason.Code(rawValue: "no_provider")
    /// Delivery: the provider refused the message for good.
    public static let providerRejected = DecisionReason.Code(rawValue: "provider_rejected")
    /// Delivery: the address is bad; it is suppressed.
    public static let badAddress = DecisionReason.Code(rawValue: "bad_address")
    /// Delivery: the address was suppressed earlier.
    public static let suppressed = DecisionReason.Code(rawValue: "suppressed")
    /// Delivery: the answer was lost and the provider does not deduplicate.
    public static let possiblySent = DecisionReason.Code(rawValue: "possibly_sent")
    /// Delivery: a retryable failure; tried again later.
    public static let retrying = DecisionReason.Code(rawValue: "retrying")
    /// Delivery: retries ran past the deadline.
    public static let retryDeadline = DecisionReason.Code(rawValue: "retry_deadline")
}
