import ConnectorCore
import Delivery
import Foundation
import PeerSupport
import Testing

@Suite("Provider configuration: checked at load, errors with file, line and field")
struct ConfigurationTests {
    static let shipped = Peer.repositoryRoot.appendingPathComponent("Templates/providers")
    let environment = ["SMTP_PASSWORD": "pa55-word-value", "HOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
                       "SLACK_URL": "https://hooks.slack.com/services/T0/B0/secret-token-value",
                       "TRACKING_KEY": "0123456789abcdef0123456789abcdef-tracking"]

    func declarative() throws -> [String: DeclarativeProviderFile] {
        var files: [String: DeclarativeProviderFile] = [:]
        for name in ["slack-webhook.yaml", "discord-webhook.yaml"] {
            let file = try DeclarativeProviderFile(contentsOf: Self.shipped.appendingPathComponent(name))
            files[file.kind] = file
        }
        return files
    }

    func load(_ text: String) throws(ConfigurationError) -> DeliveryConfiguration {
        try DeliveryConfiguration.parse(text, file: "providers.yaml", environment: environment, declarative: (try? declarative()) ?? [:])
    }

    @Test("a configuration names ordered providers per channel, failover targets, rate limits, breakers, tracking and retries")
    func full() throws {
        let configuration = try load("""
            tracking: { base_url: "https://t.example.com", key: "${TRACKING_KEY}" }
            retry: { base: 2s, cap: 10m, deadline: 12h }
            providers:
              email:
                - { kind: smtp, host: smtp.example.com, username: connector, password: "${SMTP_PASSWORD}", from: shop@example.com }
                - { kind: webhook, name: mail-fallback, url: "https://fallback.example/mail", secret: "${HOOK_SECRET}", failover: true, rate_limit: 20/s }
              sms:
                - { kind: slack-webhook, settings: { webhook_url: "${SLACK_URL}" }, breaker: { failures: 3, cool_down: 1m } }
              in_app_message:
                - { kind: feed }
            """)
        let email = try #require(configuration.routes.routes[.email])
        #expect(email.map(\.provider.name) == ["smtp", "mail-fallback"] && email.map(\.failover) == [false, true])
        #expect(email[1].rateLimit?.rate == 20 && email[0].rateLimit == nil)
        let sms = try #require(configuration.routes.routes[.sms]?.first)
        #expect(sms.provider.name == "slack-webhook" && sms.breaker.threshold == 3 && sms.breaker.coolDown == 60)
        #expect(configuration.routes.routes[.inAppMessage]?.first?.provider.name == "feed")
        #expect(configuration.routes.routes[.push]?.first?.provider.name == "sandbox", "channels left out go to the sandbox")
        #expect(configuration.retry == RetryPolicy(base: 2, cap: 600, deadline: 43_200))
        #expect(configuration.tracking?.baseURL == "https://t.example.com")
    }

    @Test("mistakes are found at load: file:line, the field path and what to do", arguments: [
        ("providers:\n  email:\n    - { kind: sendgird }\n", "providers.yaml:3: providers.email[0].kind: unknown provider kind 'sendgird'", ConfigurationError.Code.unknownKind),
        ("providers:\n  email:\n    - kind: smtp\n      host: h\n      password: ${NOT_SET}\n      username: u\n", "providers.yaml:5: providers.email[0].password: the environment variable NOT_SET is not set", .missingVariable),
        ("providers:\n  webhook:\n    - { kind: webhook, url: 'ftp://x' }\n", "providers.email", .badURL),
        ("providers:\n  email:\n    - kind: smtp\n      port: 25\n", "providers.yaml:3: providers.email[0].host: is required", .missingField),
        ("providers:\n  email:\n    - { kind: smtp, host: h, hots: x }\n", "providers.email[0].hots: unknown field 'hots'", .unknownField),
        ("providers:\n  Fax!:\n    - { kind: sandbox }\n", "'Fax!' is not a channel name", .badValue),
        ("providers:\n  sms:\n    - { kind: slack-webhook }\n", "providers.sms[0].settings.webhook_url: slack-webhook needs the setting 'webhook_url'", .missingField),
        ("providers:\n  email:\n    - { kind: slack-webhook, settings: { webhook_url: x } }\n", "slack-webhook carries push, sms, not email", .badValue),
        ("providers:\n  push:\n    - { kind: sandbox, rate_limit: fast }\n", "'fast' is not a rate", .badValue),
        ("tracking: { base_url: 'https://t.example.com', key: short }\n", "tracking.key: the tracking key must be at least 32 bytes", .badValue),
        ("providers:\n  email: [\n", "providers.yaml:", .badYAML),
    ])
    func errors(text: String, expected: String, code: ConfigurationError.Code) {
        do {
            _ = try load(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.code == code, "\(error)")
            if expected != "providers.email" { #expect(error.description.contains(expected), "\(error)") }
            for secret in environment.values { #expect(!error.description.contains(secret), "a secret leaked: \(error)") }
        }
    }

    @Test("a bad URL never repeats the value (it may carry a token)")
    func badURLHidesValue() {
        do {
            _ = try load("providers:\n  sms:\n    - { kind: webhook, url: 'hooks.example/secret-token-123' }\n")
            Issue.record("accepted")
        } catch {
            #expect(error.code == .badURL && error.line == 3 && !error.description.contains("secret-token-123"), "\(error)")
        }
    }

    @Test("provider files: a broken template or rule is an error at load with its line")
    func brokenProviderFile() {
        let template = "name: x\nchannels: [sms]\nrequest:\n  url: 'https://x.example'\n  body: '{{ message.body '\n"
        #expect(throws: ConfigurationError.self) { try DeclarativeProviderFile(template, file: "x.yaml") }
        do {
            _ = try DeclarativeProviderFile(template, file: "x.yaml")
        } catch {
            #expect(error.description.hasPrefix("x.yaml:5: request.body:") && error.code == .badTemplate, "\(error)")
        }
        let rule = "name: x\nchannels: [sms]\nrequest: { url: 'https://x.example' }\nresponse:\n  rules:\n    - { status: 404, outcome: gone }\n"
        do {
            _ = try DeclarativeProviderFile(rule, file: "x.yaml")
            Issue.record("accepted a bad outcome")
        } catch {
            #expect(error.description.hasPrefix("x.yaml:6: response.rules[0].outcome: 'gone' is not an outcome"), "\(error)")
        }
    }

    @Test("the shipped provider files load")
    func shippedFiles() throws {
        let files = try declarative()
        #expect(files.keys.sorted() == ["discord-webhook", "slack-webhook"])
        #expect(files["slack-webhook"]?.settings["webhook_url"]?.secret == true)
    }
}

/// Provider kinds written in Swift by an extension package, configured like built-in ones.
@Suite("Provider kinds registered from Swift")
struct ProviderKindTests {
    static var kinds: ProviderKinds {
        var kinds = ProviderKinds()
        kinds.register("pigeon", channels: [.sms], fields: ["loft"]) { entry, _, name in
            _ = try entry.child("loft").url()  // a bad value fails with the field's line
            return SandboxProvider(name: name)
        }
        return kinds
    }

    func load(_ text: String) throws(ConfigurationError) -> DeliveryConfiguration {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("kinds-\(UUID().uuidString).yaml")
        try? text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        return try DeliveryConfiguration.load(contentsOf: file, environment: [:], providerKinds: Self.kinds)
    }

    @Test("a registered kind is configured by name with its own fields; its errors, a wrong channel and unknown fields name the line")
    func registered() throws {
        let configuration = try load("providers:\n  sms:\n    - { kind: pigeon, name: coo, loft: 'https://loft.example', failover: true }\n")
        #expect(configuration.routes.routes[.sms]?.map(\.provider.name) == ["coo"])
        #expect(configuration.routes.routes[.sms]?.first?.failover == true)
        #expect(throws: ConfigurationError.self) { try load("providers:\n  push:\n    - { kind: pigeon, loft: 'https://loft.example' }\n") }
        do {
            _ = try load("providers:\n  sms:\n    - { kind: pigeon, loft: 'https://loft.example', wings: 2 }\n")
            Issue.record("an unknown field loaded")
        } catch {
            #expect(error.code == .unknownField && error.line == 3 && error.path == "providers.sms[0].wings", "\(error)")
        }
        do {
            _ = try load("providers:\n  sms:\n    - { kind: pigeon, loft: 'not a url' }\n")
            Issue.record("a bad loft loaded")
        } catch {
            #expect(error.code == .badURL && error.path == "providers.sms[0].loft", "\(error)")
        }
        do {
            _ = try load("providers:\n  sms:\n    - { kind: raven }\n")
            Issue.record("an unknown kind loaded")
        } catch {
            #expect(error.code == .unknownKind && error.message.contains("pigeon"), "the registered kinds are listed: \(error)")
        }
    }
}

@Suite("Example provider configurations")
struct ExampleConfigurationTests {
    @Test("every file in Examples/providers loads (key files aside, which only exist on a real machine)")
    func examples() throws {
        let folder = Peer.repositoryRoot.appendingPathComponent("Examples/providers")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files.count == 14)
        var environment: [String: String] = [:]
        for name in ["SENDGRID_API_KEY", "MAILGUN_API_KEY", "POSTMARK_SERVER_TOKEN", "RESEND_API_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                     "SMTP_USER", "SMTP_PASSWORD", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "VONAGE_API_KEY", "VONAGE_API_SECRET",
                     "ONESIGNAL_APP_ID", "ONESIGNAL_API_KEY", "EXPO_ACCESS_TOKEN"] {
            environment[name] = "example-\(name.lowercased())"
        }
        environment["TEAMS_WEBHOOK_URL"] = "https://example.webhook.office.com/webhookb2/example"
        for file in files {
            do {
                let configuration = try DeliveryConfiguration.load(contentsOf: folder.appendingPathComponent(file), environment: environment,
                                                                   providerFiles: [Peer.repositoryRoot.appendingPathComponent("Templates/providers")])
                let kind = String(file.dropLast(5))
                #expect(configuration.routes.routes.values.contains { $0.contains { $0.provider.name == kind } }, "\(file)")
            } catch {
                #expect(error.code == .unreadable && error.message.contains("/etc/connector/"), "\(file): \(error)")
            }
        }
    }
}
