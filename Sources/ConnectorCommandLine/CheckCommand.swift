import ArgumentParser
import ConnectorCore
import ConnectorService
import Delivery
import Foundation

/// `connector check --config FILE`: everything `serve` checks at start (the configuration,
/// its providers and provider files, every template in them, the campaign folder and every
/// template in its campaigns), without opening the store or listening. Exit 1 with
/// `file:line: field: message` lines when anything is wrong.
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a service configuration, its providers, templates and campaigns, as `serve` would at start."
    )

    @Option(help: "The service configuration (YAML).")
    var config: String

    @Option(help: "A folder of declarative provider files (repeatable); Templates/providers is read when it exists.")
    var providerFiles: [String] = []

    func run() async throws {
        let configuration: ServiceConfiguration
        do {
            configuration = try loadServiceConfiguration(config, providerFiles: providerFiles)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
        let extensions = ConnectorExtensions.current
        if let channel = configuration.delivery.unrenderedChannels(adapters: extensions.adapters).first {
            FileHandle.standardError.write(Data("\(config): providers.\(channel.rawValue): no adapter renders '\(channel.rawValue)' (channels here: \(extensions.adapters.channels.map(\.rawValue).joined(separator: ", ")))\n".utf8))
            throw ExitCode(1)
        }
        var campaigns = 0
        if let folder = configuration.campaignFolder {
            var (definitions, errors) = CampaignFileReader.campaigns(inFolder: folder)
            for campaign in definitions {
                errors += configuration.delivery.problems(sending: campaign, adapters: ConnectorExtensions.current.adapters, file: campaign.id.rawValue)
            }
            for error in errors { FileHandle.standardError.write(Data("\(folder.path)/\(error)\n".utf8)) }
            if !errors.isEmpty { throw ExitCode(1) }
            campaigns = definitions.count
            // The publish-time checks across the folder (unknown targets, cycles, order).
            let issues = CampaignValidator.validate(definitions)
            for issue in issues { FileHandle.standardError.write(Data("\(folder.path): \(issue)\n".utf8)) }
            if issues.contains(where: { $0.severity == .error }) { throw ExitCode(1) }
        }
        let routes = configuration.delivery.routes.routes.sorted { $0.key.rawValue < $1.key.rawValue }
            .map { "\($0.key.rawValue): \($0.value.map(\.provider.name).joined(separator: ", "))" }
        print("\(config): ok; \(campaigns) campaign\(campaigns == 1 ? "" : "s"), \(configuration.apiKeys.count) API key\(configuration.apiKeys.count == 1 ? "" : "s"), "
              + "\(configuration.webhooks.count) webhook\(configuration.webhooks.count == 1 ? "" : "s"); providers: "
              + (routes.isEmpty ? "sandbox for every channel" : routes.joined(separator: "; ")))
    }
}
