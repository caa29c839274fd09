import ConnectorCore
import CurlTransport
import Foundation

/// The delivery part of the configuration: providers per channel, tracking and retries,
/// read from one YAML file and checked at load.
///
/// ```yaml
/// tracking:
///   base_url: https://t.example.com
///   key: ${TRACKING_KEY}          # at least 32 bytes
/// retry: { base: 1s, cap: 5m, deadline: 24h }
/// providers:
///   email:
///     - { kind: smtp, host: smtp.example.com, port: 587, username: ${SMTP_USER}, password: ${SMTP_PASSWORD},
///         from: { name: Shop, address: shop@example.com } }
///     - { kind: webhook, url: https://fallback.example/mail, secret: ${HOOK_SECRET}, failover: true }
///   push:
///     - { kind: sandbox }
///   sms:
///     - { kind: slack-webhook, settings: { webhook_url: ${SLACK_URL} }, rate_limit: 1/s }
/// ```
///
/// Every provider entry takes `kind`, `name` (default: the kind), `failover`,
/// `rate_limit` (`N/s`, `N/m`), `timeout`, `breaker` (`{failures: 5, cool_down: 30s}`)
/// and its kind's own fields. Kinds: `sandbox`, `feed`, `webhook`, `smtp`, and each
/// declarative provider file's `name`. Channels without providers use the sandbox.
public struct DeliveryConfiguration: Sendable {
    /// The providers of each channel (`providers:`); ``ProviderRoutes/sandbox`` by default.
    public var routes: ProviderRoutes
    /// Link and open tracking (`tracking:`), if configured.
    public var tracking: Tracking?
    /// When retryable sends are tried again (`retry:`).
    public var retry: RetryPolicy

    /// A configuration; by default everything goes to the sandbox, untracked, with the default
    /// retries.
    ///
    /// - Parameters:
    ///   - routes: the providers of each channel.
    ///   - tracking: link and open tracking, if any.
    ///   - retry: when retryable sends are tried again.
    public init(routes: ProviderRoutes = .sandbox, tracking: Tracking? = nil, retry: RetryPolicy = RetryPolicy()) {
        self.routes = routes
        self.tracking = tracking
        self.retry = retry
    }

    /// The top-level fields a delivery configuration file may hold.
    public static let fields = ["providers", "tracking", "retry", "provider_files"]

    /// Reads `file`, with `${NAME}` from `environment` and declarative providers from
    /// the `.yaml` files of `providerFiles` folders.
    public static func load(contentsOf file: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
                            providerFiles folders: [URL] = [], providerKinds: ProviderKinds = ProviderKinds()) throws(ConfigurationError) -> DeliveryConfiguration {
        let root = try ConfigNode.load(contentsOf: file, environment: environment)
        if !root.isMissing {
            _ = try root.keys()
            try root.allowOnly(fields)
        }
        return try parse(root, relativeTo: file, providerFiles: folders, providerKinds: providerKinds)
    }

    /// Reads the delivery fields (``fields``) of a configuration that may hold others
    /// beside them (the service's file): declarative providers from `providerFiles`
    /// folders and from the `provider_files:` folders, relative to `file`.
    public static func parse(_ root: ConfigNode, relativeTo file: URL, providerFiles folders: [URL] = [],
                             providerKinds: ProviderKinds = ProviderKinds()) throws(ConfigurationError) -> DeliveryConfiguration {
        var declarative: [String: DeclarativeProviderFile] = [:]
        for folder in folders { try readProviderFiles(in: folder, into: &declarative) }
        if !root.isMissing, (try? root.keys()) != nil, !root.child("provider_files").isMissing {
            for item in try root.child("provider_files").list() {
                let path = try item.string()
                let folder = path.hasPrefix("/") ? URL(fileURLWithPath: path) : file.deletingLastPathComponent().appendingPathComponent(path)
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
                    throw item.fail(.unreadable, "'\(folder.path)' is not a folder of provider files")
                }
                try readProviderFiles(in: folder, into: &declarative)
            }
        }
        return try parse(node: root, declarative: declarative, kinds: providerKinds)
    }

    /// Reads every `.yaml` provider file of `folder`; two files of one name are an error.
    static func readProviderFiles(in folder: URL, into declarative: inout [String: DeclarativeProviderFile]) throws(ConfigurationError) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
        for name in names where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let provider = try DeclarativeProviderFile(contentsOf: folder.appendingPathComponent(name))
            if let other = declarative[provider.kind], other.file != provider.file {
                throw ConfigurationError(file: provider.file, line: 1, path: "name", code: .badValue,
                                         message: "'\(provider.kind)' is also the name of \(other.file); provider names must be unique")
            }
            declarative[provider.kind] = provider
        }
    }

    /// Reads a configuration's text.
    public static func parse(_ text: String, file: String, environment: [String: String],
                             declarative: [String: DeclarativeProviderFile] = [:],
                             providerKinds: ProviderKinds = ProviderKinds()) throws(ConfigurationError) -> DeliveryConfiguration {
        let root = try ConfigNode.parse(text, file: file, environment: environment)
        if !root.isMissing {
            _ = try root.keys()
            try root.allowOnly(fields)
        }
        return try parse(node: root, declarative: declarative, kinds: providerKinds)
    }

    /// The delivery fields of `root`, whatever else it holds.
    static func parse(node root: ConfigNode, declarative: [String: DeclarativeProviderFile],
                      kinds: ProviderKinds = ProviderKinds()) throws(ConfigurationError) -> DeliveryConfiguration {
        var configuration = DeliveryConfiguration()
        guard !root.isMissing else { return configuration }
        _ = try root.keys()
        let tracking = root.child("tracking")
        if !tracking.isMissing {
            try tracking.allowOnly(["base_url", "key"])
            let base = try tracking.child("base_url").url()
            let key = try tracking.child("key").string()
            guard key.utf8.count >= 32 else { throw tracking.child("key").fail(.badValue, "the tracking key must be at least 32 bytes") }
            configuration.tracking = try? Tracking(baseURL: base, key: Data(key.utf8))
        }
        let retry = root.child("retry")
        if !retry.isMissing {
            try retry.allowOnly(["base", "cap", "deadline"])
            var policy = RetryPolicy()
            if !retry.child("base").isMissing { policy.base = try retry.child("base").duration() }
            if !retry.child("cap").isMissing { policy.cap = try retry.child("cap").duration() }
            if !retry.child("deadline").isMissing { policy.deadline = try retry.child("deadline").duration() }
            guard policy.base > 0, policy.cap >= policy.base else { throw retry.fail(.badValue, "need 0 < base <= cap") }
            configuration.retry = policy
        }
        let providers = root.child("providers")
        if !providers.isMissing {
            for name in try providers.keys() {
                let node = providers.child(name)
                guard let channel = Channel(rawValue: name) else {
                    throw node.fail(.badValue, Channel.problem(with: name))
                }
                var routes: [ProviderRoute] = []
                var names: Set<String> = []
                for item in try node.list() {
                    let route = try self.route(item, channel: channel, declarative: declarative, kinds: kinds)
                    guard names.insert(route.provider.name).inserted else {
                        throw item.child("name").fail(.badValue, "two \(name) providers are named '\(route.provider.name)': give each a name")
                    }
                    routes.append(route)
                }
                guard !routes.isEmpty else { throw node.fail(.missingField, "list at least one provider, or leave the channel out") }
                configuration.routes.routes[channel] = routes
            }
        }
        return configuration
    }

    static let common = ["kind", "name", "failover", "rate_limit", "timeout", "breaker"]

    /// A secret given inline (`${ENV}`) or as a file path; exactly one of the two.
    static func secretOrFile(_ node: ConfigNode, _ inline: String, _ file: String) throws(ConfigurationError) -> String {
        switch (node.child(inline).isMissing, node.child(file).isMissing) {
        case (false, true): return try node.child(inline).string()
        case (true, false):
            let path = try node.child(file).string()
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw node.child(file).fail(.unreadable, "cannot read \(path)")
            }
            return text
        default: throw node.fail(.missingField, "give \(inline) (from the environment) or \(file), not both")
        }
    }

    static let builtInKinds = ["sandbox", "feed", "webhook", "smtp", "ses", "sns", "apns", "fcm"]

    static func route(_ node: ConfigNode, channel: Channel, declarative: [String: DeclarativeProviderFile],
                      kinds: ProviderKinds = ProviderKinds()) throws(ConfigurationError) -> ProviderRoute {
        _ = try node.keys()
        let kind = try node.child("kind").rawString()
        let name = node.child("name").isMissing ? kind : try node.child("name").rawString()
        let timeouts: Timeouts? = node.child("timeout").isMissing ? nil
            : Timeouts(connect: .seconds(10), total: .milliseconds(Int(try node.child("timeout").duration() * 1000)))
        let provider: any Provider
        switch kind {
        case "sandbox", "feed":
            try node.allowOnly(common)
            provider = SandboxProvider(name: name)
        case "webhook":
            try node.allowOnly(common + ["url", "secret", "headers", "deduplicates"])
            var headers: [Header] = []
            if !node.child("headers").isMissing {
                for header in try node.child("headers").keys() { headers.append(Header(header, try node.child("headers").child(header).string())) }
            }
            let url = node.child("url").isMissing ? nil : try node.child("url").url()
            if url == nil, channel != .webhook {
                throw node.child("url").fail(.missingField, "a webhook provider for \(channel.rawValue) needs a url (only webhook messages carry their own)")
            }
            do {
                provider = try WebhookProvider(name: name, url: url, secret: try node.child("secret").optionalString(), headers: headers,
                                               deduplicates: node.child("deduplicates").isMissing ? true : try node.child("deduplicates").bool(),
                                               timeouts: timeouts)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw node.child("secret").fail(.badValue, "\(error)")
            }
        case "smtp":
            guard channel == .email else { throw node.child("kind").fail(.badValue, "smtp sends email, not \(channel.rawValue)") }
            try node.allowOnly(common + ["host", "port", "security", "username", "password", "from", "ehlo_domain", "ca_file"])
            let security: SMTPServer.Security
            switch node.child("security").isMissing ? "starttls" : try node.child("security").string() {
            case "starttls": security = .startTLSRequired
            case "tls": security = .implicitTLS
            case "none": security = .none
            case let other: throw node.child("security").fail(.badValue, "'\(other)' is not a security mode: use starttls (default), tls or none")
            }
            let port = node.child("port").isMissing ? (security == .implicitTLS ? 465 : 587) : try node.child("port").int(in: 1...65_535)
            let server = SMTPServer(host: try node.child("host").string(), port: port, security: security,
                                    ehloDomain: try node.child("ehlo_domain").optionalString() ?? "localhost")
            var credentials: SMTPCredentials?
            if let username = try node.child("username").optionalString() {
                credentials = SMTPCredentials(username: username, password: try node.child("password").string())
            }
            var from: MIMEMessage.Mailbox?
            let fromNode = node.child("from")
            if !fromNode.isMissing {
                if (try? fromNode.keys()) != nil {
                    try fromNode.allowOnly(["name", "address"])
                    from = MIMEMessage.Mailbox(name: try fromNode.child("name").optionalString(), address: try fromNode.child("address").string())
                } else {
                    from = MIMEMessage.Mailbox(address: try fromNode.string())
                }
            }
            let tls = try node.child("ca_file").optionalString().map { TLSConfiguration(caBundlePath: $0) }
            provider = SMTPProvider(name: name, server: server, credentials: credentials, defaultFrom: from, tls: tls, timeouts: timeouts)
        case "ses", "sns":
            let wanted: Channel = kind == "ses" ? .email : .sms
            guard channel == wanted else { throw node.child("kind").fail(.badValue, "\(kind) sends \(wanted.rawValue), not \(channel.rawValue)") }
            try node.allowOnly(common + ["access_key_id", "secret_access_key", "session_token", "region", "base_url", "configuration_set",
                                         "sender_id", "sms_type"])
            let key = try node.child("access_key_id").string(), secret = try node.child("secret_access_key").string()
            let token = try node.child("session_token").optionalString(), region = try node.child("region").string()
            let base = node.child("base_url").isMissing ? nil : try node.child("base_url").url()
            if kind == "ses" {
                provider = AmazonSESProvider(name: name, accessKeyID: key, secretAccessKey: secret, sessionToken: token, region: region,
                                             baseURL: base, configurationSet: try node.child("configuration_set").optionalString(), timeouts: timeouts)
            } else {
                let type = try node.child("sms_type").optionalString() ?? "Transactional"
                guard ["Transactional", "Promotional"].contains(type) else {
                    throw node.child("sms_type").fail(.badValue, "'\(type)' is not an SMS type: use Transactional or Promotional")
                }
                provider = AmazonSNSProvider(name: name, accessKeyID: key, secretAccessKey: secret, sessionToken: token, region: region,
                                             baseURL: base, senderID: try node.child("sender_id").optionalString(),
                                             transactional: type == "Transactional", timeouts: timeouts)
            }
        case "apns":
            guard channel == .push else { throw node.child("kind").fail(.badValue, "apns sends push, not \(channel.rawValue)") }
            try node.allowOnly(common + ["team_id", "key_id", "private_key", "private_key_file", "topic", "environment", "base_url", "ca_file"])
            let environment = try node.child("environment").optionalString() ?? "production"
            guard let mode = APNsProvider.Environment(rawValue: environment) else {
                throw node.child("environment").fail(.badValue, "'\(environment)' is not an APNs environment: use production or sandbox")
            }
            let key = try secretOrFile(node, "private_key", "private_key_file")
            do {
                provider = try APNsProvider(name: name, teamID: try node.child("team_id").string(), keyID: try node.child("key_id").string(),
                                            privateKey: key, topic: try node.child("topic").string(), environment: mode,
                                            baseURL: node.child("base_url").isMissing ? nil : try node.child("base_url").url(),
                                            tls: try node.child("ca_file").optionalString().map { TLSConfiguration(caBundlePath: $0) }, timeouts: timeouts)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw node.child(node.child("private_key").isMissing ? "private_key_file" : "private_key").fail(.badValue, "\(error)")
            }
        case "fcm":
            guard channel == .push else { throw node.child("kind").fail(.badValue, "fcm sends push, not \(channel.rawValue)") }
            try node.allowOnly(common + ["service_account", "service_account_file", "base_url", "ca_file"])
            let json = try secretOrFile(node, "service_account", "service_account_file")
            do {
                provider = try FCMProvider(name: name, account: try FCMProvider.ServiceAccount(json: Data(json.utf8)),
                                           baseURL: node.child("base_url").isMissing ? nil : try node.child("base_url").url(),
                                           tls: try node.child("ca_file").optionalString().map { TLSConfiguration(caBundlePath: $0) }, timeouts: timeouts)
            } catch let error as ConfigurationError {
                throw error
            } catch {
                throw node.child(node.child("service_account").isMissing ? "service_account_file" : "service_account").fail(.badValue, "\(error)")
            }
        default:
            if let custom = kinds[kind], declarative[kind] == nil {
                guard custom.channels.contains(channel) else {
                    throw node.child("kind").fail(.badValue, "\(kind) carries \(custom.channels.map(\.rawValue).sorted().joined(separator: ", ")), not \(channel.rawValue)")
                }
                try node.allowOnly(common + custom.fields)
                do {
                    provider = try custom.make(node, channel, name)
                } catch let error as ConfigurationError {
                    throw error
                } catch {
                    throw node.fail(.badValue, "\(kind): \(error)")
                }
                break
            }
            guard let file = declarative[kind] else {
                let known = (builtInKinds + declarative.keys.sorted() + kinds.names).joined(separator: ", ")
                throw node.child("kind").fail(.unknownKind, "unknown provider kind '\(kind)'. Known kinds: \(known)")
            }
            guard file.channels.contains(channel) else {
                throw node.child("kind").fail(.badValue, "\(kind) carries \(file.channels.map(\.rawValue).joined(separator: ", ")), not \(channel.rawValue)")
            }
            try node.allowOnly(common + ["settings", "base_url"])
            provider = try file.provider(name: name, settings: node.child("settings"),
                                         baseURL: node.child("base_url").isMissing ? nil : try node.child("base_url").url(), timeouts: timeouts)
        }
        var bucket: TokenBucket?
        if !node.child("rate_limit").isMissing {
            let text = try node.child("rate_limit").string()
            let parts = text.split(separator: "/")
            guard parts.count == 2, let count = Double(parts[0]), count > 0, let unit = ["s": 1.0, "m": 60.0, "h": 3600.0][String(parts[1])] else {
                throw node.child("rate_limit").fail(.badValue, "'\(text)' is not a rate: use N/s, N/m or N/h")
            }
            bucket = TokenBucket(perSecond: count / unit, burst: max(1, count / unit))
        }
        var breaker = CircuitBreaker()
        let breakerNode = node.child("breaker")
        if !breakerNode.isMissing {
            try breakerNode.allowOnly(["failures", "cool_down"])
            breaker = CircuitBreaker(threshold: breakerNode.child("failures").isMissing ? 5 : try breakerNode.child("failures").int(in: 1...1000),
                                     coolDown: breakerNode.child("cool_down").isMissing ? 30 : try breakerNode.child("cool_down").duration())
        }
        return ProviderRoute(provider, failover: node.child("failover").isMissing ? false : try node.child("failover").bool(),
                             rateLimit: bucket, breaker: breaker)
    }
}
