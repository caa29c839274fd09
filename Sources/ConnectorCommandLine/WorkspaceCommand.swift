import ArgumentParser
import ConnectorCore
import ConnectorStore
import Foundation

/// `connector workspace --database FILE [--time-zone Z] [--cap CHANNEL:N/PERIOD ...] [--no-caps]`:
/// shows or changes the workspace's settings stored with its data.
struct WorkspaceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "workspace",
        abstract: "Show or change the workspace settings: its time zone (R11, R20) and frequency caps (R19).",
        discussion: "A cap is CHANNEL:N/PERIOD, where CHANNEL is a channel or 'any' and PERIOD is e.g. 1d, 2w, 30m: '--cap push:2/1d --cap any:5/1w'."
    )

    @Option(help: "The SQLite database file (created if missing), or a postgres:// URL.")
    var database: String

    @Option(name: .customLong("time-zone"), help: "The workspace's IANA time zone, e.g. Europe/Berlin.")
    var timeZone: String?

    @Option(help: "A frequency cap CHANNEL:N/PERIOD (repeat for several); replaces the stored caps.")
    var cap: [String] = []

    @Flag(name: .customLong("no-caps"), help: "Remove every frequency cap.")
    var noCaps = false

    func run() async throws {
        let store = try await openStore(database)
        var settings = try await store.workspaceSettings()
        if let timeZone { settings.timeZone = timeZone }
        if noCaps { settings.frequencyCaps = [] }
        if !cap.isEmpty { settings.frequencyCaps = try cap.map(Self.parseCap) }
        if timeZone != nil || noCaps || !cap.isEmpty {
            do { try await store.save(settings) } catch let invalid as WorkspaceSettings.Invalid {
                throw ValidationError("\(invalid)")
            }
        }
        print("time zone: \(settings.timeZone)")
        print("frequency caps: " + (settings.frequencyCaps.isEmpty ? "none" : settings.frequencyCaps.map {
            "at most \($0.maximum) per \($0.period) on \($0.channel?.rawValue ?? "any channel")"
        }.joined(separator: "; ")))
    }

    /// `push:2/1d`, `any:5/1w`, `email:1/30m`.
    static func parseCap(_ text: String) throws -> FrequencyCap {
        let error = ValidationError("--cap '\(text)': expected CHANNEL:N/PERIOD such as push:2/1d, any:5/1w or email:1/30m")
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2 else { throw error }
        let channel: Channel?
        if parts[0] == "any" {
            channel = nil
        } else {
            guard let named = Channel(rawValue: String(parts[0])) else {
                throw ValidationError("--cap '\(text)': '\(parts[0])' is not a channel (\(Channel.builtIn.map(\.rawValue).joined(separator: ", ")) or any)")
            }
            channel = named
        }
        let counts = parts[1].split(separator: "/")
        guard counts.count == 2, let maximum = Int(counts[0]), let unit = counts[1].last, let count = Int(counts[1].dropLast()) else { throw error }
        let period: FrequencyCap.Period
        switch unit {
        case "m": period = .minutes(count)
        case "d": period = .days(count)
        case "w": period = .weeks(count)
        default: throw error
        }
        return FrequencyCap(channel: channel, maximum: maximum, period: period)
    }
}
