import ArgumentParser
import ConnectorCore
import ConnectorService
import ConnectorStore
import CurlTransport
import Delivery
import Foundation

/// `connector render --config FILE CAMPAIGN --user USER.json`: a campaign's message as a
/// user would get it (the channel adapter's output, tracked links included), printed as
/// JSON; `--send` hands it to the channel's configured provider, to try credentials.
struct RenderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Render a campaign's message for a user (and --send it through the configured provider)."
    )

    @Option(help: "The service configuration (YAML): campaigns, tracking and providers.")
    var config: String

    @Argument(help: "The campaign id (from the configuration's campaign folder).")
    var campaign: String

    @Option(help: "The user, a JSON document as PUT /v1/users takes it.")
    var user: String

    @Option(help: "The channel to render; default: the campaign's first.")
    var channel: String?

    @Option(help: "The trigger event's id, for the dispatch id and idempotency key.")
    var event = "render-test"

    @Flag(help: "Send the rendered message through the channel's first configured provider and print the outcome.")
    var send = false

    func run() async throws {
        let configuration = try loadServiceConfiguration(config)
        guard let folder = configuration.campaignFolder else { throw ValidationError("the configuration names no campaigns folder") }
        let (definitions, errors) = CampaignFileReader.campaigns(inFolder: folder)
        guard errors.isEmpty else { throw StartFailure(description: errors.map(\.description).joined(separator: "\n")) }
        guard let definition = definitions.first(where: { $0.id.rawValue == campaign }) else {
            throw ValidationError("no campaign '\(campaign)' in \(folder.path); there are: \(definitions.map(\.id.rawValue).sorted().joined(separator: ", "))")
        }
        let person: User
        do {
            person = try UserJSON.user(json: try String(contentsOfFile: user, encoding: .utf8))
        } catch let error as DocumentError {
            throw ValidationError("\(user): \(error)")
        }
        let chosen: Channel
        if let channel {
            guard let value = Channel(rawValue: channel), definition.messages[value] != nil else {
                throw ValidationError("\(campaign) has no \(channel) message; it has: \(definition.channels.map(\.rawValue).joined(separator: ", "))")
            }
            chosen = value
        } else {
            guard let first = definition.channels.first(where: { definition.messages[$0] != nil }) else { throw ValidationError("\(campaign) has no message") }
            chosen = first
        }
        let feed = chosen == .inAppMessage || chosen == .contentCard
        guard let address = feed ? person.id.rawValue : person.addresses[chosen] else {
            throw ValidationError("the user has no \(chosen.rawValue) address")
        }
        let now = Date()
        let entry = WaitingEntry(followUp: definition.id, campaignVersion: definition.version, userID: person.id, triggerEventID: EventID(event),
                                 triggerTime: now, dueAt: now)
        let dispatch = Dispatch(entry: entry, channel: chosen, campaignVersion: definition.version, createdAt: now)
        guard let adapter = ConnectorExtensions.current.adapters.adapter(for: chosen), let content = definition.messages[chosen] else {
            throw ValidationError("no adapter renders \(chosen.rawValue)")
        }
        let message: ChannelMessage
        do {
            message = try adapter.render(content, in: RenderScope(input: RenderInput(dispatch: dispatch, user: person, campaign: definition, address: address, now: now),
                                                                  tracking: configuration.delivery.tracking))
        } catch {
            throw StartFailure(description: "\(campaign).\(chosen.rawValue): \(error)")
        }
        let encoder = deliveryJSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(message), as: UTF8.self))
        guard send else { return }
        guard let route = configuration.delivery.routes.routes[chosen]?.first else {
            throw ValidationError("no provider is configured for \(chosen.rawValue)")
        }
        // A scratch store for providers that keep what they send (sandbox, feed).
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("render-\(UUID().uuidString).sqlite")
        defer { for suffix in ["", "-wal", "-shm", ".state", ".state-wal", ".state-shm"] { try? FileManager.default.removeItem(atPath: scratch.path + suffix) } }
        let client = CurlClient()
        let result = await route.provider.send(OutgoingMessage(message: message, dispatch: dispatch, sentAt: now),
                                               context: ProviderContext(client: client, store: try SQLiteStore(path: scratch.path)))
        await client.shutdown()
        let status = result.statusCode.map { " (status \($0))" } ?? ""
        switch result.outcome {
        case .sent(let id):
            print("\(route.provider.name): sent\(status)\(id.map { ", provider message id \($0)" } ?? "")")
        case .retryable(_, let reason), .permanent(let reason), .badAddress(let reason), .possiblySent(let reason):
            print("\(route.provider.name): \(result.outcome.code)\(status): \(reason)")
            throw ExitCode(1)
        }
    }
}
