import ArgumentParser
import ConnectorCore
import ConnectorService
import Delivery
import Foundation
import Logging
import Metrics
import Prometheus

/// `connector serve --config FILE`: the service (HTTP API, tracking, SDK feeds, provider
/// webhooks) with the scheduler and the dispatcher, until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the service: HTTP API, tracking, SDK feeds, provider webhooks, scheduler and dispatcher.",
        discussion: """
            Reads one YAML configuration (see Examples/quickstart/connector.yaml and docs/API.md); \
            every problem in it, its provider files and its campaign folder stops the start with \
            file, line and field. Prints `listening on http://HOST:PORT` once it accepts \
            requests. SIGTERM or SIGINT shut it down gracefully: no new requests, sends in \
            flight finished and recorded.
            """
    )

    @Option(help: "The service configuration (YAML).")
    var config: String

    @Option(help: "Override the configuration's listen address (HOST:PORT; port 0 picks a free one).")
    var listen: String?

    @Option(help: "Override the configuration's store (a SQLite file or a postgres:// URL).")
    var store: String?

    @Option(help: "`system` (default) or `virtual:TIME`: a clock that moves only by POST /v1/clock, so delays elapse at once.")
    var clock = "system"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Option(help: "A folder of declarative provider files (repeatable); Templates/providers is read when it exists.")
    var providerFiles: [String] = []

    @Flag(help: "Stop gracefully when standard input ends: a parent (a script, a test) that starts the service with a pipe on its input stops it by dying, even by SIGKILL.")
    var stopAtInputEnd = false

    func run() async throws {
        guard let level = Logger.Level(rawValue: logLevel) else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))

        let serviceClock: ServiceClock
        if clock == "system" {
            serviceClock = .system
        } else if clock.hasPrefix("virtual:") {
            serviceClock = .virtual(at: try CommandLineTime.parse(String(clock.dropFirst("virtual:".count)), option: "--clock"))
        } else {
            throw ValidationError("--clock is `system` or `virtual:TIME` (ISO 8601)")
        }
        var configuration = try loadServiceConfiguration(config, providerFiles: providerFiles)
        if let listen {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]), (0...65_535).contains(port) else {
                throw ValidationError("--listen is HOST:PORT")
            }
            configuration.host = String(listen[..<colon])
            configuration.port = port
        }
        if let store { configuration.store = store }
        let logger = Logger(label: "connector")
        let service: ConnectorService
        do {
            service = try await ConnectorService.open(configuration, clock: serviceClock, adapters: ConnectorExtensions.current.adapters,
                                                      registry: registry, logger: logger)
        } catch {
            throw StartFailure(description: "\(error)")
        }
        let host = configuration.host, watchInput = stopAtInputEnd
        try await service.run { port in
            if watchInput {
                // Once SIGTERM means a graceful shutdown: a thread of its own blocks reading
                // until the parent's end of the pipe closes.
                Thread.detachNewThread {
                    _ = FileHandle.standardInput.readDataToEndOfFile()
                    kill(getpid(), SIGTERM)
                }
            }
            // The readiness line scripts and tests wait for.
            FileHandle.standardOutput.write(Data("listening on http://\(host):\(port)\n".utf8))
        }
    }
}

/// A service that cannot start: the reason, without the usage text (the command line was right).
struct StartFailure: Error, CustomStringConvertible {
    var description: String
}

/// The service configuration at `path`, with declarative provider files from `providerFiles`
/// and from Templates/providers when run from the repository, and the provider kinds of
/// the running connector's extensions; an error as `StartFailure`.
func loadServiceConfiguration(_ path: String, providerFiles: [String] = []) throws -> ServiceConfiguration {
    var folders = providerFiles.map { URL(fileURLWithPath: $0) }
    let shipped = URL(fileURLWithPath: "Templates/providers")
    if FileManager.default.fileExists(atPath: shipped.path) { folders.append(shipped) }
    do {
        return try ServiceConfiguration.load(contentsOf: URL(fileURLWithPath: path), providerFiles: folders,
                                             providerKinds: ConnectorExtensions.current.providerKinds,
                                             webhookKinds: ConnectorExtensions.current.webhookKinds)
    } catch {
        throw StartFailure(description: "\(error)")
    }
}
