import ConnectorCore
import CurlTransport
import Foundation
import Liquid

/// A provider file read and checked: its templates parsed, its rules and settings known.
/// ``provider(name:settings:baseURL:timeouts:)`` makes a provider from it with a configuration's settings.
public struct DeclarativeProviderFile: Sendable {
    /// A setting a configuration gives the provider (an entry of the file's `settings`).
    public struct Setting: Sendable {
        /// Whether a configuration must give it when it has no default.
        public var required: Bool
        /// Never printed (a token, a password, a URL with a key in it).
        public var secret: Bool
        /// The value used when a configuration gives none (`default`), if any.
        public var defaultValue: String?
    }

    /// The kind a configuration names to use it (the file's `name`).
    public let kind: String
    /// The path it was read from, for errors.
    public let file: String
    /// What the provider is, in the file's own words (`description`), if it says.
    public let description: String?
    /// The channels its providers carry (`channels`).
    public let channels: [Channel]
    /// Its settings, by name (`settings`).
    public let settings: [String: Setting]
    /// The service's address (`https://api.sendgrid.com`), `{{ base_url }}` in templates;
    /// a configuration's `base_url` replaces it (a regional endpoint, a test server).
    public let baseURL: String?
    let deduplicates: Bool
    let method: String
    let url: Template
    let headers: [(String, Template)]
    let body: Template?
    let auth: DeclarativeProvider.Auth
    let messageID: DeclarativeProvider.MessageID
    let rules: [DeclarativeProvider.Rule]
    let timeouts: Timeouts?

    /// Reads a provider file; every mistake is a ``ConfigurationError`` with its line.
    public init(contentsOf url: URL) throws(ConfigurationError) {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigurationError(file: url.path, line: nil, path: "", code: .unreadable, message: "cannot read the file: \(error.localizedDescription)")
        }
        try self.init(text, file: url.path)
    }

    /// Reads a provider file's text (`file` names it in errors).
    public init(_ text: String, file: String) throws(ConfigurationError) {
        let root = try ConfigNode.parse(text, file: file, environment: [:])
        _ = try root.keys()
        try root.allowOnly(["name", "description", "channels", "deduplicates", "base_url", "settings", "request", "response"])
        self.file = file
        kind = try root.child("name").rawString()
        guard !kind.isEmpty, kind.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 95 }) else {
            throw root.child("name").fail(.badValue, "'\(kind)' is not a provider name: use lowercase letters, digits, - and _")
        }
        description = root.child("description").isMissing ? nil : try root.child("description").rawString()
        var channels: [Channel] = []
        for item in try root.child("channels").list() {
            let name = try item.rawString()
            guard let channel = Channel(rawValue: name) else {
                throw item.fail(.badValue, Channel.problem(with: name))
            }
            channels.append(channel)
        }
        self.channels = channels
        baseURL = root.child("base_url").isMissing ? nil : try root.child("base_url").url()
        deduplicates = root.child("deduplicates").isMissing ? false : try root.child("deduplicates").bool()
        var settings: [String: Setting] = [:]
        if !root.child("settings").isMissing {
            for name in try root.child("settings").keys() {
                let node = root.child("settings").child(name)
                try node.allowOnly(["required", "secret", "default"])
                settings[name] = Setting(required: node.child("required").isMissing ? false : try node.child("required").bool(),
                                         secret: node.child("secret").isMissing ? false : try node.child("secret").bool(),
                                         defaultValue: node.child("default").isMissing ? nil : try node.child("default").rawString())
            }
        }
        self.settings = settings
        let request = root.child("request")
        try request.allowOnly(["method", "url", "headers", "body", "auth", "timeout"])
        method = request.child("method").isMissing ? "POST" : try request.child("method").rawString().uppercased()
        guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) else {
            throw request.child("method").fail(.badValue, "'\(method)' is not a method: use GET, POST, PUT, PATCH or DELETE")
        }
        url = try Self.template(request.child("url"))
        var headers: [(String, Template)] = []
        if !request.child("headers").isMissing {
            for name in try request.child("headers").keys() { headers.append((name, try Self.template(request.child("headers").child(name)))) }
        }
        self.headers = headers
        body = request.child("body").isMissing ? nil : try Self.template(request.child("body"))
        timeouts = request.child("timeout").isMissing ? nil : Timeouts(total: .milliseconds(Int(try request.child("timeout").duration() * 1000)))
        auth = try Self.auth(request.child("auth"))
        let response = root.child("response")
        try response.allowOnly(["message_id", "rules"])
        messageID = try Self.messageID(response.child("message_id"))
        var rules: [DeclarativeProvider.Rule] = []
        if !response.child("rules").isMissing {
            for item in try response.child("rules").list() { rules.append(try Self.rule(item)) }
        }
        self.rules = rules
    }

    /// A provider of this kind named `name`, with `settings` from a configuration.
    public func provider(name: String, settings node: ConfigNode, baseURL: String? = nil,
                         timeouts configured: Timeouts? = nil) throws(ConfigurationError) -> DeclarativeProvider {
        var values: [(String, LiquidValue)] = []
        let given = node.isMissing ? [] : try node.keys()
        for key in given where settings[key] == nil {
            throw node.child(key).fail(.unknownField, "\(kind) has no setting '\(key)'. Its settings: \(settings.keys.sorted().joined(separator: ", "))")
        }
        for (key, setting) in settings.sorted(by: { $0.key < $1.key }) {
            if given.contains(key) {
                values.append((key, .string(try node.child(key).string())))
            } else if let value = setting.defaultValue {
                values.append((key, .string(value)))
            } else if setting.required {
                throw node.child(key).fail(.missingField, "\(kind) needs the setting '\(key)'")
            }
        }
        return DeclarativeProvider(name: name, kind: kind, deduplicates: deduplicates, channels: channels, method: method, url: url,
                                   headers: headers, body: body, auth: auth, messageID: messageID, rules: rules,
                                   settings: .object(LiquidObject(values)), baseURL: (baseURL ?? self.baseURL).map(Self.trimmed) ?? "",
                                   timeouts: configured ?? timeouts)
    }

    /// A base URL without its trailing slashes (templates write `{{ base_url }}/path`).
    static func trimmed(_ url: String) -> String {
        var url = url
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    static func template(_ node: ConfigNode) throws(ConfigurationError) -> Template {
        let source = try node.rawString()
        do {
            return try Template(source, dialect: .braze)
        } catch {
            let line = (node.line ?? 1) + max(0, (error.line ?? 1) - 1)
            throw ConfigurationError(file: node.file, line: line, path: node.path, code: .badTemplate, message: "\(error.kind): \(error.message)")
        }
    }

    static func auth(_ node: ConfigNode) throws(ConfigurationError) -> DeclarativeProvider.Auth {
        guard !node.isMissing else { return .none }
        let type = try node.child("type").rawString()
        switch type {
        case "none":
            try node.allowOnly(["type"])
            return .none
        case "basic":
            try node.allowOnly(["type", "username", "password"])
            return .basic(username: try template(node.child("username")), password: try template(node.child("password")))
        case "bearer":
            try node.allowOnly(["type", "token"])
            return .bearer(try template(node.child("token")))
        case "header":
            try node.allowOnly(["type", "name", "value"])
            return .header(name: try node.child("name").rawString(), value: try template(node.child("value")))
        case "sigv4":
            try node.allowOnly(["type", "access_key_id", "secret_access_key", "region", "service"])
            return .sigV4(accessKeyID: try template(node.child("access_key_id")), secretAccessKey: try template(node.child("secret_access_key")),
                          region: try template(node.child("region")), service: try node.child("service").rawString())
        default:
            throw node.child("type").fail(.badValue, "'\(type)' is not an auth type: use none, basic, bearer, header or sigv4")
        }
    }

    static func messageID(_ node: ConfigNode) throws(ConfigurationError) -> DeclarativeProvider.MessageID {
        guard !node.isMissing else { return .none }
        try node.allowOnly(["header", "json"])
        if !node.child("header").isMissing { return .header(try node.child("header").rawString()) }
        if !node.child("json").isMissing { return .json(try node.child("json").rawString().split(separator: ".").map(String.init)) }
        throw node.fail(.missingField, "give header: NAME or json: path.to.id")
    }

    static func rule(_ node: ConfigNode) throws(ConfigurationError) -> DeclarativeProvider.Rule {
        try node.allowOnly(["status", "json", "equals", "body_contains", "outcome"])
        var statuses: [ClosedRange<Int>] = []
        let status = node.child("status")
        if !status.isMissing {
            let items = (try? status.list()) ?? [status]
            for item in items {
                let text = try item.rawString().lowercased()
                if text.count == 3, text.hasSuffix("xx"), let hundred = Int(text.prefix(1)), (1...5).contains(hundred) {
                    statuses.append((hundred * 100)...(hundred * 100 + 99))
                } else if let code = Int(text), (100...599).contains(code) {
                    statuses.append(code...code)
                } else {
                    throw item.fail(.badValue, "'\(text)' is not a status: use a code such as 404 or a class such as 4xx")
                }
            }
        }
        var json: (path: [String], values: [String])?
        if !node.child("json").isMissing {
            let path = try node.child("json").rawString().split(separator: ".").map(String.init)
            let equals = node.child("equals")
            guard !equals.isMissing else { throw node.fail(.missingField, "a json rule needs equals: (a value or a list of values)") }
            let values = ((try? equals.list()) ?? [equals])
            var texts: [String] = []
            for value in values {
                // YAML's null (a missing field in the answer reads as null too).
                if value.isMissing {
                    texts.append("null")
                    continue
                }
                let raw = try value.rawString()
                // Compared as JSON text: a plain `true`, `null` or `406` is that JSON value; a
                // quoted "0" or any other word is a JSON string.
                let quoted = value.node?.scalar.map { $0.style == .singleQuoted || $0.style == .doubleQuoted } ?? false
                let literal = !quoted && (["true", "false", "null"].contains(raw) || Double(raw) != nil)
                texts.append(literal ? raw : DeclarativeProvider.jsonText(raw) ?? raw)
            }
            json = (path, texts)
        }
        let outcome = try node.child("outcome").rawString()
        guard ["sent", "retryable", "permanent", "bad_address", "possibly_sent"].contains(outcome) else {
            throw node.child("outcome").fail(.badValue, "'\(outcome)' is not an outcome: use sent, retryable, permanent, bad_address or possibly_sent")
        }
        return DeclarativeProvider.Rule(statuses: statuses,
                                        json: json, bodyContains: node.child("body_contains").isMissing ? nil : try node.child("body_contains").rawString(),
                                        outcome: outcome)
    }
}
