import ConnectorCore
import Foundation
import Liquid
import Synchronization

/// Why a message was not rendered.
public enum RenderError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A template called `abort_message` (R21): no send, the user stays eligible.
    case aborted(reason: String?)
    /// A field could not be rendered or makes no message (an empty subject, a bad URL).
    case failed(field: String, message: String)

    /// A stable code for metrics and the trace.
    public var code: String {
        switch self {
        case .aborted: return "aborted_by_template"
        case .failed: return "render_failed"
        }
    }

    /// The reason for people: what aborted the send, or the field and what is wrong with it.
    public var description: String {
        switch self {
        case .aborted(let reason): return "the template aborted the send" + (reason.map { ": \($0)" } ?? "")
        case .failed(let field, let message): return "\(field): \(message)"
        }
    }
}

/// What one dispatch is rendered with (R21): the user's attributes, the trigger, the
/// campaign's current version, and the send time.
public struct RenderInput: Sendable {
    /// The dispatch being rendered.
    public var dispatch: Dispatch
    /// The user it goes to, with their attributes.
    public var user: User
    /// The campaign's current version.
    public var campaign: Campaign
    /// The user's address on the dispatch's channel (or the user id for feeds).
    public var address: String
    /// The send time: Liquid's `now`, and where expiries count from.
    public var now: Date

    /// What one dispatch is rendered with.
    ///
    /// - Parameters:
    ///   - dispatch: the dispatch being rendered.
    ///   - user: the user it goes to.
    ///   - campaign: the campaign's current version.
    ///   - address: the user's address on the dispatch's channel (the user id for feeds).
    ///   - now: the send time.
    public init(dispatch: Dispatch, user: User, campaign: Campaign, address: String, now: Date) {
        self.dispatch = dispatch
        self.user = user
        self.campaign = campaign
        self.address = address
        self.now = now
    }
}

/// Renders the templates of one dispatch: adapters call ``text(_:field:)`` for each field.
///
/// The Liquid data follows Braze: `${first_name}` and every attribute at the top of
/// `user`, `custom_attribute.${name}`, `${user_id}`, `${email_address}`,
/// `${phone_number}`, `${time_zone}`; `campaign.${name}`, `campaign.${api_id}`,
/// `campaign.${dispatch_id}`; `event_properties` holds the trigger interaction's kind
/// and campaign.
public struct RenderScope: Sendable {
    /// What the dispatch is rendered with: dispatch, user, campaign, address and send time.
    public let input: RenderInput
    /// Link tracking, if configured.
    public let tracking: Tracking?
    let data: LiquidValue
    let options: RenderOptions
    let cache: TemplateCache

    /// A scope for one dispatch. `timeZone` is used for users without one of their own.
    public init(input: RenderInput, tracking: Tracking? = nil, timeZone: TimeZone = TimeZone(identifier: "UTC") ?? .current) {
        self.init(input: input, tracking: tracking, timeZone: timeZone, cache: TemplateCache())
    }

    init(input: RenderInput, tracking: Tracking?, timeZone: TimeZone, cache: TemplateCache) {
        self.input = input
        self.tracking = tracking
        self.cache = cache
        data = Self.data(input)
        let now = input.now
        let zone = input.user.timeZone.flatMap(TimeZone.init(identifier:)) ?? timeZone
        options = RenderOptions(now: { now }, timeZone: zone)
    }

    /// Renders one template; `field` names it in errors (`subject`, `buttons[0].text`).
    public func text(_ source: String, field: String) throws(RenderError) -> String {
        let template: Template
        do {
            template = try cache.template(source)
        } catch {
            throw .failed(field: field, message: "\(error.kind): \(error.message)")
        }
        let result: RenderResult
        do {
            result = try template.render(data, options: options)
        } catch {
            throw .failed(field: field, message: "\(error.kind): \(error.message)")
        }
        switch result {
        case .output(let text): return text
        case .aborted(let reason): throw .aborted(reason: reason)
        }
    }

    /// Renders an optional template; nil stays nil, and so does an empty result.
    public func optional(_ source: String?, field: String) throws(RenderError) -> String? {
        guard let source else { return nil }
        let text = try text(source, field: field)
        return text.isEmpty ? nil : text
    }

    /// Renders a template that must give a non-empty result.
    public func required(_ source: String, field: String) throws(RenderError) -> String {
        let text = try text(source, field: field)
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw .failed(field: field, message: "rendered empty; the message needs it")
        }
        return text
    }

    /// Renders a template the campaign may lack (a package channel's field, looked up by
    /// `CustomContent[path]`) that the message needs: missing is an error too.
    public func required(_ source: String?, field: String) throws(RenderError) -> String {
        guard let source else { throw .failed(field: field, message: "missing; the campaign's message needs it") }
        return try required(source, field: field)
    }

    /// Renders every field of a package channel's content, by path (empty results kept).
    public func fields(_ content: CustomContent) throws(RenderError) -> [String: String] {
        var rendered: [String: String] = [:]
        for field in content.fields { rendered[field.path] = try text(field.template, field: field.path) }
        return rendered
    }

    private static func data(_ input: RenderInput) -> LiquidValue {
        var user = LiquidObject()
        for (key, value) in input.user.attributes.sorted(by: { $0.key < $1.key }) { user[key] = liquid(value) }
        user["custom_attributes"] = .object(LiquidObject(input.user.attributes.sorted { $0.key < $1.key }.map { ($0.key, liquid($0.value)) }))
        user["user_id"] = .string(input.user.id.rawValue)
        user["external_id"] = .string(input.user.id.rawValue)
        if let email = input.user.addresses[.email] { user["email_address"] = .string(email) }
        if let phone = input.user.addresses[.sms] { user["phone_number"] = .string(phone) }
        if let zone = input.user.timeZone { user["time_zone"] = .string(zone) }
        var campaign = LiquidObject()
        campaign["name"] = .string(input.campaign.name)
        campaign["api_id"] = .string(input.campaign.id.rawValue)
        campaign["dispatch_id"] = .string(input.dispatch.id)
        campaign["version"] = .int(input.campaign.version)
        campaign["channel"] = .string(input.dispatch.channel.rawValue)
        var event = LiquidObject()
        if let trigger = input.campaign.trigger {
            event["kind"] = .string(trigger.kind.rawValue)
            event["campaign"] = .string(trigger.target.rawValue)
        }
        return .object(LiquidObject([("user", .object(user)), ("campaign", .object(campaign)), ("event_properties", .object(event))]))
    }

    static func liquid(_ value: AttributeValue) -> LiquidValue {
        switch value {
        case .null: return .nil
        case .bool(let flag): return .bool(flag)
        case .number(let number):
            if number.rounded() == number, abs(number) < 9.0e15 { return .int(Int(number)) }
            return .double(number)
        case .string(let text): return .string(text)
        case .array(let items): return .array(items.map(liquid))
        case .object(let fields): return .object(LiquidObject(fields.sorted { $0.key < $1.key }.map { ($0.key, liquid($0.value)) }))
        }
    }
}

/// Parsed templates by source, shared by every render (a campaign's templates are parsed
/// once per process, not once per send). Bounded: cleared when it grows past its limit.
final class TemplateCache: Sendable {
    private let templates = Mutex<[String: Template]>([:])
    private let limit: Int

    init(limit: Int = 10_000) { self.limit = limit }

    func template(_ source: String) throws(LiquidError) -> Template {
        if let cached = templates.withLock({ $0[source] }) { return cached }
        let parsed = try Template(source, dialect: .braze)
        templates.withLock { cache in
            if cache.count >= limit { cache.removeAll(keepingCapacity: true) }
            cache[source] = parsed
        }
        return parsed
    }
}
