import ArgumentParser
import ConnectorCore
import CurlTransport
import Foundation

/// `connector campaigns list|publish|stop|resume|archive` against a running service's API.
struct CampaignsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaigns",
        abstract: "List a running service's campaigns, or publish, stop, resume or archive one.",
        subcommands: [List.self, Change.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "Every campaign with its version, status and trigger.")

        @OptionGroup var connection: ServiceConnection

        func run() async throws {
            let client = try connection.client()
            let answer = await Result(catching: { try await client.call(.get, "/v1/campaigns").json })
            await client.shutdown()
            guard case .object(let fields) = try answer.get(), case .array(let campaigns)? = fields["campaigns"] else { return }
            for case .object(let campaign) in campaigns {
                func text(_ value: AttributeValue?) -> String { if case .string(let text)? = value { return text }; return value?.jsonText ?? "" }
                var channels: [String] = []
                if case .array(let names)? = campaign["channels"] { channels = names.map { text($0) } }
                var line = "\(text(campaign["id"]))  v\(text(campaign["version"]))  \(text(campaign["status"]))  [\(channels.joined(separator: ", "))]"
                if case .object(let trigger)? = campaign["trigger"] { line += "  after \(text(trigger["kind"])) on \(text(trigger["campaign"]))" }
                print(line)
            }
        }
    }

    struct Change: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "change", abstract: "publish, stop, resume or archive a campaign.",
                                                        aliases: ["set"])

        @Argument(help: "publish, stop, resume or archive.")
        var action: String

        @Argument(help: "The campaign id.")
        var campaign: String

        @OptionGroup var connection: ServiceConnection

        func validate() throws {
            guard ["publish", "stop", "resume", "archive"].contains(action) else { throw ValidationError("the action is publish, stop, resume or archive") }
        }

        func run() async throws {
            let client = try connection.client()
            let path = "/v1/campaigns/\(campaign.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? campaign)/\(action)"
            let answer = await Result(catching: { try await client.call(.post, path, body: "{}", accepting: [409]) })
            await client.shutdown()
            let (status, json) = try answer.get()
            guard case .object(let fields) = json else { return }
            if status == 409, case .object(let error)? = fields["error"], case .array(let issues)? = error["issues"] {
                print("refused: \(campaign) cannot be changed to \(action):")
                for case .object(let issue) in issues { print("  \(issue["field"]?.jsonText ?? ""): \(issue["message"]?.jsonText ?? "")") }
                throw ExitCode(1)
            }
            if case .object(let changed)? = fields["campaign"], case .string(let state)? = changed["status"] { print("\(campaign): \(state)") }
            if case .array(let warnings)? = fields["warnings"] {
                for case .object(let warning) in warnings { print("  warning: \(warning["message"]?.jsonText ?? "")") }
            }
        }
    }
}

extension Result where Failure == any Error {
    /// The result of an async throwing call, to clean up before rethrowing.
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
