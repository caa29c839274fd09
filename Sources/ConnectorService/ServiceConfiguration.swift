import ConnectorCore
import ConnectorStore
import Delivery
import Foundation

/// Everything `connector serve` reads from its one YAML file, checked at load: the store,
/// where to listen, API keys, campaigns, the workspace, provider event webhooks and the
/// delivery configuration (providers, tracking, retries) beside them.
///
/// ```yaml
/// store: connector.sqlite            # a file (relative to this one) or postgres://user@host/db
/// listen: 127.0.0.1:8080
/// api_keys:
///   - { name: backend, key: ${CONNECTOR_API_KEY}, scopes: [ingest, admin, read] }
/// sdk_key: ${CONNECTOR_SDK_KEY}       # app-facing endpoints (feeds, push opens)
/// campaigns: campaigns                # a folder of campaign files, saved at start
/// workspace: { time_zone: Europe/Berlin }
/// tracking: { base_url: https://t.example.com, key: ${CONNECTOR_TRACKING_KEY} }
/// providers: { email: [ { kind: sandbox } ] }
/// webhooks:
///   sendgrid: { kind: sendgrid, public_key: ${SENDGRID_WEBHOOK_KEY} }
/// limits: { max_body: 1048576, max_batch: 1000, idle_timeout: 30s }
/// scheduler: { interval: 1s, lease: 60s }
/// dispatcher: { concurrency: 64, lease: 60s }
/// ```
///
/// Secrets come from the environment (`${NAME}`); an error names the file, line and field,
/// never a secret's value.
public struct ServiceConfiguration: Sendable {
    /// A SQLite file path or a `postgres://` URL.
    public var store: String
    public var host: String
    public var port: Int
    public var apiKeys: [APIKey]
    public var sdkKey: String?
    /// The folder of campaign files, saved into the store at start.
    public var campaignFolder: URL?
    public var timeZone: String?
    public var delivery: DeliveryConfiguration
    public var webhooks: [String: WebhookEndpoint]
    public var limits: Limits
    public var schedulerInterval: TimeInterval
    public var schedulerLease: TimeInterval
    public var dispatcherConcurrency: Int
    public var dispatcherLease: TimeInterval
    /// The file it was read from (for messages).
    public var file: String

    /// Request limits of the HTTP API.
    public struct Limits: Sendable, Equatable {
        /// The largest request body, in bytes (413 above it).
        public var maxBody: Int
        /// The most items in one batch (413 above it).
        public var maxBatch: Int
        /// How long a connection may send nothing (a slow or stalled client) before it is closed.
        public var idleTimeout: TimeInterval

        public init(maxBody: Int = 1 << 20, maxBatch: Int = 1000, idleTimeout: TimeInterval = 30) {
            self.maxBody = maxBody
            self.maxBatch = maxBatch
            self.idleTimeout = idleTimeout
        }
    }

    /// A provider's event webhook: where it posts (`/v1/webhooks/NAME`) and how its calls
    /// are verified.
    public struct WebhookEndpoint: Sendable {
        public var name: String
        /// The provider whose configured name the events are attributed to.
        public var provider: String
        public var verifier: any EventWebhook
        /// For `ses`: the certificate cache, filled before a message is verified.
        public var certificates: SNSCertificates?
    }

    /// The fields of the file; anything else is an error.
    static let fields = ["store", "listen", "api_keys", "sdk_key", "campaigns", "workspace", "webhooks", "limits", "scheduler", "dispatcher"]
        + DeliveryConfiguration.fields

    /// Reads `file`, with `${NAME}` from `environment`; declarative provider files from
    /// `providerFiles` folders and the file's own `provider_files:`.
    /// - Parameters:
    ///   - providerKinds: provider kinds written in Swift (an extension package's).
    ///   - webhookKinds: event webhook kinds written in Swift, for `webhooks:` entries.
    public static func load(contentsOf file: URL, environment: [String: String] = ProcessInfo.processInfo.environment,
                            providerFiles: [URL] = [], providerKinds: ProviderKinds = ProviderKinds(),
                            webhookKinds: WebhookKinds = WebhookKinds()) throws(ConfigurationError) -> ServiceConfiguration {
        let root = try ConfigNode.load(contentsOf: file, environment: environment)
        _ = try root.keys()
        try root.allowOnly(fields)
        let folder = file.deletingLastPathComponent()
        func relative(_ path: String) -> URL { path.hasPrefix("/") ? URL(fileURLWithPath: path) : folder.appendingPathComponent(path) }

        let storeText = try root.child("store").string()
        let store = storeText.hasPrefix("postgres://") || storeText.hasPrefix("postgresql://") ? storeText : relative(storeText).path
        var host = "127.0.0.1", port = 8080
        if !root.child("listen").isMissing {
            let listen = root.child("listen")
            let text = try listen.string()
            guard let colon = text.lastIndex(of: ":"), let number = Int(text[text.index(after: colon)...]), (0...65_535).contains(number),
                  colon > text.startIndex else {
                throw listen.fail(.badValue, "'\(text)' is not an address: use HOST:PORT such as 127.0.0.1:8080 (port 0 picks a free one)")
            }
            host = String(text[..<colon])
            port = number
        }
        var keys: [APIKey] = []
        if !root.child("api_keys").isMissing {
            for item in try root.child("api_keys").list() {
                try item.allowOnly(["name", "key", "scopes"])
                let key = try item.child("key").string()
                guard key.utf8.count >= 16 else { throw item.child("key").fail(.badValue, "an API key must be at least 16 characters") }
                var scopes: Set<APIKey.Scope> = []
                for scope in try item.child("scopes").list() {
                    let name = try scope.string()
                    guard let value = APIKey.Scope(rawValue: name) else {
                        throw scope.fail(.badValue, "unknown scope '\(name)'; use ingest, admin or read")
                    }
                    scopes.insert(value)
                }
                guard !scopes.isEmpty else { throw item.child("scopes").fail(.missingField, "give at least one scope: ingest, admin, read") }
                keys.append(APIKey(name: try item.child("name").optionalString() ?? "key\(keys.count + 1)", secret: key, scopes: scopes))
            }
        }
        guard !keys.isEmpty else {
            throw root.child("api_keys").fail(.missingField, "list at least one API key (every /v1 endpoint needs one): api_keys: [{key: ${CONNECTOR_API_KEY}, scopes: [ingest, admin, read]}]")
        }
        let sdkKey = try root.child("sdk_key").optionalString()
        if let sdkKey, sdkKey.utf8.count < 16 { throw root.child("sdk_key").fail(.badValue, "the SDK key must be at least 16 characters") }

        var campaignFolder: URL?
        if let path = try root.child("campaigns").optionalString() {
            let url = relative(path)
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue else {
                throw root.child("campaigns").fail(.unreadable, "'\(url.path)' is not a folder of campaign files")
            }
            campaignFolder = url
        }
        var timeZone: String?
        let workspace = root.child("workspace")
        if !workspace.isMissing {
            try workspace.allowOnly(["time_zone"])
            if let zone = try workspace.child("time_zone").optionalString() {
                guard TimeZone(identifier: zone) != nil else {
                    throw workspace.child("time_zone").fail(.badValue, "'\(zone)' is not an IANA time zone such as Europe/Berlin")
                }
                timeZone = zone
            }
        }
        let delivery = try DeliveryConfiguration.parse(root, relativeTo: file, providerFiles: providerFiles, providerKinds: providerKinds)
        guard delivery.tracking != nil else {
            throw root.child("tracking").fail(.missingField, "the service signs its tracking links: tracking: {base_url: https://t.example.com, key: ${CONNECTOR_TRACKING_KEY}}")
        }
        var webhooks: [String: WebhookEndpoint] = [:]
        if !root.child("webhooks").isMissing {
            for name in try root.child("webhooks").keys() {
                webhooks[name] = try webhook(root.child("webhooks").child(name), name: name, kinds: webhookKinds)
            }
        }
        var limits = Limits()
        let limitsNode = root.child("limits")
        if !limitsNode.isMissing {
            try limitsNode.allowOnly(["max_body", "max_batch", "idle_timeout"])
            if !limitsNode.child("idle_timeout").isMissing {
                let seconds = try limitsNode.child("idle_timeout").duration()
                guard seconds >= 0.1, seconds <= 3600 else { throw limitsNode.child("idle_timeout").fail(.badValue, "use 100ms to 1h") }
                limits.idleTimeout = seconds
            }
            if !limitsNode.child("max_body").isMissing { limits.maxBody = try limitsNode.child("max_body").int(in: 1024...(64 << 20)) }
            if !limitsNode.child("max_batch").isMissing { limits.maxBatch = try limitsNode.child("max_batch").int(in: 1...100_000) }
        }
        let scheduler = root.child("scheduler"), dispatcher = root.child("dispatcher")
        try scheduler.allowOnly(["interval", "lease"])
        try dispatcher.allowOnly(["concurrency", "lease"])
        func positive(_ node: ConfigNode, _ fallback: TimeInterval) throws(ConfigurationError) -> TimeInterval {
            guard !node.isMissing else { return fallback }
            let value = try node.duration()
            guard value > 0 else { throw node.fail(.badValue, "must be more than 0") }
            return value
        }
        return ServiceConfiguration(
            store: store, host: host, port: port, apiKeys: keys, sdkKey: sdkKey, campaignFolder: campaignFolder, timeZone: timeZone,
            delivery: delivery, webhooks: webhooks, limits: limits,
            schedulerInterval: try positive(scheduler.child("interval"), 1), schedulerLease: try positive(scheduler.child("lease"), 60),
            dispatcherConcurrency: dispatcher.child("concurrency").isMissing ? 64 : try dispatcher.child("concurrency").int(in: 1...4096),
            dispatcherLease: try positive(dispatcher.child("lease"), 60), file: file.path)
    }

    /// One `webhooks:` entry: `kind` picks the verifier, its fields the secret.
    static func webhook(_ node: ConfigNode, name: String, kinds: WebhookKinds) throws(ConfigurationError) -> WebhookEndpoint {
        _ = try node.keys()
        let kind = try node.child("kind").string()
        let provider = try node.child("provider").optionalString() ?? kind
        let common = ["kind", "provider"]
        let verifier: any EventWebhook
        var certificates: SNSCertificates?
        switch kind {
        case "sendgrid":
            try node.allowOnly(common + ["public_key"])
            let key = try node.child("public_key").string()
            do throws(WebhookVerificationError) {
                verifier = try SendGridEventWebhook(publicKey: key)
            } catch {
                throw node.child("public_key").fail(.badValue, error.message)
            }
        case "mailgun":
            try node.allowOnly(common + ["signing_key"])
            verifier = MailgunEventWebhook(signingKey: try node.child("signing_key").string())
        case "postmark":
            try node.allowOnly(common + ["username", "password"])
            verifier = PostmarkEventWebhook(username: try node.child("username").string(), password: try node.child("password").string())
        case "twilio":
            try node.allowOnly(common + ["auth_token"])
            verifier = TwilioStatusCallback(authToken: try node.child("auth_token").string())
        case "resend":
            try node.allowOnly(common + ["secret"])
            let secret = try node.child("secret").string()
            guard let resend = try? ResendEventWebhook(secret: secret) else {
                throw node.child("secret").fail(.badValue, "expected the signing secret Resend shows (whsec_ and base64)")
            }
            verifier = resend
        case "ses":
            // SES events through an SNS subscription: the message's certificate must come
            // from Amazon's SNS hosts (plus `certificate_hosts`) and its topic be listed.
            try node.allowOnly(common + ["topics", "certificate_hosts", "allow_http_certificates"])
            var topics: [String] = [], hosts: [String] = []
            if !node.child("topics").isMissing { for topic in try node.child("topics").list() { topics.append(try topic.string()) } }
            if !node.child("certificate_hosts").isMissing { for host in try node.child("certificate_hosts").list() { hosts.append(try host.string()) } }
            let http = node.child("allow_http_certificates").isMissing ? false : try node.child("allow_http_certificates").bool()
            let cache = SNSCertificates(extraHosts: hosts, requireHTTPS: !http)
            certificates = cache
            verifier = SESEventWebhook(certificates: cache, topics: topics)
        default:
            guard let registered = try kinds.verifier(kind, entry: node, common: common) else {
                let known = (WebhookKinds.builtIn + kinds.names).joined(separator: ", ")
                throw node.child("kind").fail(.unknownKind, "unknown webhook kind '\(kind)'; known: \(known)")
            }
            verifier = registered
        }
        return WebhookEndpoint(name: name, provider: provider, verifier: verifier, certificates: certificates)
    }
}
