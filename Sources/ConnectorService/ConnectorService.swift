import ConnectorCore
import ConnectorPostgres
import ConnectorStore
import CurlTransport
import Delivery
import Foundation
import Hummingbird
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// The program people run: the HTTP API, tracking, SDK feeds and provider webhooks, with
/// the scheduler and the dispatcher working beside the server on one store.
///
/// ```swift
/// let configuration = try ServiceConfiguration.load(contentsOf: URL(fileURLWithPath: "connector.yaml"))
/// let service = try await ConnectorService.open(configuration, clock: .system, logger: logger)
/// try await service.run { port in print("listening on \(port)") }   // until SIGTERM or SIGINT
/// ```
///
/// Every interaction it captures (a click, an open, an SDK report, a provider event) goes
/// through ``ingest(_:source:)``, the path API events take, so any of them can trigger a
/// follow-up.
public final class ConnectorService: Sendable {
    public let configuration: ServiceConfiguration
    public let store: any Store
    public let clock: ServiceClock
    let keys: KeyRing
    let client: CurlClient
    let dispatcher: Dispatcher
    let scheduler: Scheduler
    let tracking: Tracking
    /// The channel adapters in use: campaigns may send only on their channels.
    let adapters: AdapterRegistry
    let metrics = ServiceMetrics()
    /// Where `GET /metrics` reads from (nil: the endpoint answers 404).
    let registry: PrometheusCollectorRegistry?
    let logger: Logger
    let health = HealthState()
    /// The service group while ``run(onListening:)`` runs, for ``shutdown()``.
    let running = Mutex<ServiceGroup?>(nil)
    /// Wake the scheduler when an event schedules an entry due now (an immediate
    /// follow-up), and the dispatcher when the scheduler queued dispatches, so neither
    /// waits out its interval with work ready.
    let schedulerWakeup = Wakeup()
    let dispatcherWakeup = Wakeup()

    init(configuration: ServiceConfiguration, store: any Store, clock: ServiceClock, tracking: Tracking, adapters: AdapterRegistry,
         registry: PrometheusCollectorRegistry?, logger: Logger) {
        self.configuration = configuration
        self.store = store
        self.clock = clock
        self.tracking = tracking
        self.adapters = adapters
        self.registry = registry
        self.logger = logger
        keys = KeyRing(keys: configuration.apiKeys, sdk: configuration.sdkKey.map { APIKey(name: "sdk", secret: $0, scopes: []) })
        client = CurlClient()
        let now: @Sendable () -> Date = { clock.now() }
        dispatcher = Dispatcher(
            store: store, routes: configuration.delivery.routes, adapters: adapters, client: client, tracking: tracking,
            configuration: Dispatcher.Configuration(worker: .unique("dispatcher"), lease: configuration.dispatcherLease,
                                                    concurrency: configuration.dispatcherConcurrency, retry: configuration.delivery.retry,
                                                    pollInterval: .milliseconds(Int64(configuration.schedulerInterval * 1000))),
            now: now, logger: logger)
        scheduler = Scheduler(store: store, worker: .unique("scheduler"), lease: configuration.schedulerLease)
    }

    /// Opens the configured store (migrating it), applies the workspace settings and saves
    /// the campaign folder's campaigns: every problem is reported here, before the server
    /// listens.
    ///
    /// - Parameters:
    ///   - adapters: the channel adapters (the built-in ones, plus a package's channels or
    ///     replacements). A campaign on a channel without an adapter or a provider is refused.
    ///   - registry: where `GET /metrics` reads from (nil: the endpoint answers 404).
    public static func open(_ configuration: ServiceConfiguration, clock: ServiceClock, adapters: AdapterRegistry = AdapterRegistry(),
                            registry: PrometheusCollectorRegistry? = nil, logger: Logger) async throws -> ConnectorService {
        guard let tracking = configuration.delivery.tracking else {
            throw APIError(.invalid, "\(configuration.file): tracking: the service needs a tracking base URL and key")
        }
        if let channel = configuration.delivery.unrenderedChannels(adapters: adapters).first {
            throw APIError(.invalid, "\(configuration.file): providers.\(channel.rawValue): no adapter renders '\(channel.rawValue)' "
                           + "(channels here: \(adapters.channels.map(\.rawValue).joined(separator: ", ")))")
        }
        let store: any Store
        if configuration.store.hasPrefix("postgres://") || configuration.store.hasPrefix("postgresql://") {
            store = try await PostgresStore.open(url: configuration.store, logger: logger)
        } else {
            store = try SQLiteStore(path: configuration.store, logger: logger)
        }
        let service = ConnectorService(configuration: configuration, store: store, clock: clock, tracking: tracking, adapters: adapters,
                                       registry: registry, logger: logger)
        if let zone = configuration.timeZone {
            var settings = try await store.workspaceSettings()
            if settings.timeZone != zone {
                settings.timeZone = zone
                try await store.save(settings)
            }
        }
        if let folder = configuration.campaignFolder { try await service.loadCampaigns(from: folder) }
        return service
    }

    /// A campaign folder's files that did not read.
    public struct CampaignFolderError: Error, CustomStringConvertible {
        public var errors: [CampaignDefinitionError]
        public var description: String { "campaign files with errors:\n" + errors.map { "  \($0)" }.joined(separator: "\n") }
    }

    /// Saves every campaign of `folder` (a stored campaign keeps its status; a new one
    /// takes the status its file gives, through the lifecycle checks).
    func loadCampaigns(from folder: URL) async throws {
        var (definitions, errors) = CampaignFileReader.campaigns(inFolder: folder)
        for campaign in definitions {
            errors += configuration.delivery.problems(sending: campaign, adapters: adapters, file: "\(folder.path): \(campaign.id.rawValue)")
        }
        guard errors.isEmpty else { throw CampaignFolderError(errors: errors) }
        let known = Set(try await store.campaigns().map(\.id))
        // Follow-ups before the campaigns they follow, so a file's own publish order works.
        for campaign in definitions {
            try await store.save(campaign)
        }
        for campaign in definitions where !known.contains(campaign.id) {
            for change in campaign.history.changes {
                let result = try await store.changeStatus(of: campaign.id, to: change.status, at: change.at)
                for warning in result.warnings { logger.warning("\(campaign.id.rawValue): \(warning)") }
            }
        }
        logger.info("campaigns loaded", metadata: ["folder": "\(folder.path)", "count": "\(definitions.count)"])
    }

    /// The one path of every event into the engine: API batches, Segment and Braze calls,
    /// tracked opens and clicks, SDK reports and provider events.
    @discardableResult
    func ingest(_ events: [Event], source: String, rejected: Int = 0) async throws -> IngestReport {
        guard !events.isEmpty else {
            if rejected > 0 { metrics.ingested(IngestReport(), rejected: rejected, source: source) }
            return IngestReport()
        }
        let now = clock.now()
        let report = try await store.ingest(events, now: now)
        metrics.ingested(report, rejected: rejected, source: source)
        if report.decisions.contains(where: { $0.entry.map { $0.dueAt <= now } ?? false }) {
            if clock.isVirtual {
                // On a virtual clock everything happens at the clock's time, in the request
                // that made it due: the answer comes after the follow-up was sent.
                _ = try await settleNow()
            } else {
                schedulerWakeup.signal()
            }
        }
        return report
    }

    /// The dispatch of an id, if the store holds it.
    func dispatch(_ id: String) async throws -> OutboxItem? {
        try await store.outbox(OutboxFilter(dispatchID: id, limit: 1)).first
    }

    /// Moves a virtual clock to `target` the way time would pass: it stops at each waiting
    /// entry's due time on the way, where the scheduler settles what is due and the
    /// dispatcher delivers it, so every follow-up is sent (and rendered) at its own time.
    /// What `POST /v1/clock` does; a replay sees each step's follow-ups.
    func advance(to target: Date) async throws -> (now: Date, settled: Int, delivered: Int) {
        var settled = 0, delivered = 0
        // Each pass settles at least one entry, or stops: entries that another scheduler
        // holds right now are left to it.
        while let due = try await store.waitingEntries(WaitingFilter(dueBy: target, limit: 1)).first?.dueAt {
            _ = try clock.advance(to: due)
            let (count, report) = try await settleNow()
            settled += count
            delivered += report.total
            if count == 0 { break }
        }
        _ = try clock.advance(to: target)
        let (count, report) = try await settleNow()
        return (clock.now(), settled + count, delivered + report.total)
    }

    /// Runs the scheduler and the dispatcher once at the clock's time.
    func settleNow() async throws -> (settled: Int, delivered: Dispatcher.Report) {
        let settled = try await scheduler.runAllDue(at: clock.now())
        metrics.settled(settled)
        let report = try await dispatcher.drain()
        metrics.delivered(report, now: clock.now())
        return (settled.count, report)
    }

    /// Shuts a running service down gracefully, as SIGTERM does (for a service embedded in
    /// a program or a test); ``run(onListening:)`` returns when it is done.
    public func shutdown() async {
        guard let group = running.withLock({ $0 }) else { return }
        await group.triggerGracefulShutdown()
    }

    /// Serves until SIGTERM, SIGINT or ``shutdown()``, then shuts down gracefully: the server stops taking
    /// requests and finishes those in flight, the scheduler stops claiming, the dispatcher
    /// finishes its sends in flight and records them, and the transport closes.
    ///
    /// - Parameter onListening: called with the bound port once the server listens.
    public func run(onListening: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = makeRouter()
        let app = Application(
            router: router,
            server: .http1(configuration: .init(idleTimeout: .milliseconds(Int64(configuration.limits.idleTimeout * 1000)))),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "campaign-connector"),
            services: [DispatcherLoop(service: self), SchedulerLoop(service: self)],
            onServerRunning: { channel in await onListening(channel.localAddress?.port ?? 0) },
            logger: logger)
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        running.withLock { $0 = group }
        defer { running.withLock { $0 = nil } }
        do {
            try await group.run()
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        logger.info("stopped")
    }
}
