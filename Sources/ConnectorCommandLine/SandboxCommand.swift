import ArgumentParser
import ConnectorCore
import Foundation

/// `connector sandbox list --url URL`: the follow-ups a running service's sandbox provider
/// captured (`GET /v1/sandbox/messages`), newest first, one line each.
struct SandboxCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Show what a running service's sandbox provider captured.",
        subcommands: [List.self],
        defaultSubcommand: List.self
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List captured messages, newest first.")

        @OptionGroup var connection: ServiceConnection

        @Option(help: "Only this user's messages.")
        var user: String?

        @Option(help: "At most this many.")
        var limit = 100

        @Flag(help: "Print the JSON answer as it came.")
        var json = false

        func run() async throws {
            let client = try connection.client()
            var path = "/v1/sandbox/messages?limit=\(limit)"
            if let user, let escaped = user.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) { path += "&user=\(escaped)" }
            let answer: AttributeValue
            do {
                answer = try await client.call(.get, path).json
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
            if json {
                print(answer.jsonText)
                return
            }
            guard case .object(let fields) = answer, case .array(let messages)? = fields["messages"] else { return }
            print("\(messages.count) message\(messages.count == 1 ? "" : "s") in the sandbox")
            for case .object(let kept) in messages {
                let text = { (name: String) -> String in if case .string(let value)? = kept[name] { return value }; return "" }
                print("  \(text("at"))  \(text("campaign")) -> \(text("user_id")) on \(text("channel")) (\(text("dispatch_id")))")
                if case .object(let message)? = kept["message"] {
                    // The message is one channel's document: {"push": {...}}.
                    for (_, body) in message {
                        guard case .object(let content) = body else { continue }
                        let shown = ["to", "token", "subject", "title", "body", "text", "url"].compactMap { key -> String? in
                            guard case .string(let value)? = content[key], !value.isEmpty else { return nil }
                            let short = value.count > 90 ? String(value.prefix(87)) + "..." : value
                            return "\(key): \(short.replacingOccurrences(of: "\n", with: " "))"
                        }
                        print("    " + shown.joined(separator: " | "))
                    }
                }
            }
        }
    }
}
