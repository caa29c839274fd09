import ConnectorCore
import Foundation

/// The built-in adapters, one per channel.
public enum StandardAdapters {
    /// One adapter for each built-in channel.
    public static let all: [any ChannelAdapter] = [
        EmailAdapter(), SMSAdapter(), PushAdapter(), WebhookAdapter(), InAppMessageAdapter(), ContentCardAdapter(),
    ]
}

/// Fails with a clear message when content of another channel reaches an adapter.
func mismatch(_ content: ChannelContent, _ channel: Channel) -> RenderError {
    .failed(field: "", message: "\(content.channel.rawValue) content given to the \(channel.rawValue) adapter")
}

/// Email: renders every field, puts the preheader at the top of the HTML, rewrites
/// http(s) links to signed click URLs (aliases from `data-alias` or the campaign's
/// `link_aliases`), adds the open pixel and the one-click unsubscribe URL.
public struct EmailAdapter: ChannelAdapter {
    /// `Channel.email`.
    public let channel = Channel.email
    /// The built-in email adapter.
    public init() {}

    /// An ``EmailMessage`` for the scope's user; content of another channel, an empty subject
    /// or both bodies empty is an error.
    public func render(_ content: ChannelContent, in scope: RenderScope) throws(RenderError) -> ChannelMessage {
        guard case .email(let email) = content else { throw mismatch(content, channel) }
        let dispatch = scope.input.dispatch.id
        let track = email.trackLinks ? scope.tracking : nil
        var links: [FoundLink] = []
        var html = try scope.optional(email.html, field: "html")
        if let body = html {
            let preheader = try scope.optional(email.preheader, field: "preheader")
            let withPreheader = preheader.map { Self.insertPreheader($0, into: body) } ?? body
            let rewritten = LinkRewriter.rewriteHTML(withPreheader, pixel: track?.pixelURL(dispatch: dispatch)) { link in
                let alias = link.alias ?? email.linkAliases[link.url]
                links.append(FoundLink(index: link.index, url: link.url, alias: alias))
                return track?.clickURL(dispatch: dispatch, index: link.index, alias: alias, url: link.url) ?? link.url
            }
            html = rewritten.html
        }
        var text = try scope.optional(email.text, field: "text")
        if let body = text {
            let start = links.count
            text = LinkRewriter.rewriteText(body, startIndex: start) { link in
                let alias = email.linkAliases[link.url]
                links.append(FoundLink(index: link.index, url: link.url, alias: alias))
                return track?.clickURL(dispatch: dispatch, index: link.index, alias: alias, url: link.url) ?? link.url
            }.text
        }
        guard html != nil || text != nil else { throw .failed(field: "html", message: "both bodies rendered empty") }
        var headers: [Header] = []
        for header in email.headers { headers.append(Header(header.name, try scope.text(header.value, field: "headers.\(header.name)"))) }
        return .email(EmailMessage(
            fromName: try scope.optional(email.fromName, field: "from.name"),
            fromAddress: try scope.optional(email.fromAddress, field: "from.address") ?? "",
            to: scope.input.address,
            replyTo: try scope.optional(email.replyTo, field: "reply_to"),
            subject: try scope.required(email.subject, field: "subject"),
            preheader: try scope.optional(email.preheader, field: "preheader"),
            html: html, text: text, headers: headers,
            listUnsubscribe: scope.tracking?.unsubscribeURL(dispatch: dispatch), links: links))
    }

    /// The preheader as hidden text right after `<body ...>` (or first, without a body tag).
    static func insertPreheader(_ preheader: String, into html: String) -> String {
        let escaped = preheader.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
        let hidden = "<div style=\"display:none;max-height:0;overflow:hidden\">\(escaped)</div>"
        if let body = html.range(of: "<body", options: .caseInsensitive), let end = html[body.upperBound...].firstIndex(of: ">") {
            var result = html
            result.insert(contentsOf: hidden, at: html.index(after: end))
            return result
        }
        return hidden + html
    }
}

/// SMS: renders the body and replaces http(s) links by signed short links.
public struct SMSAdapter: ChannelAdapter {
    /// `Channel.sms`.
    public let channel = Channel.sms
    /// The built-in SMS adapter.
    public init() {}

    /// An ``SMSMessage`` for the scope's user; content of another channel is an error.
    public func render(_ content: ChannelContent, in scope: RenderScope) throws(RenderError) -> ChannelMessage {
        guard case .sms(let sms) = content else { throw mismatch(content, channel) }
        var body = try scope.required(sms.body, field: "body")
        var links: [FoundLink] = []
        if sms.trackLinks, let tracking = scope.tracking {
            body = LinkRewriter.rewriteText(body) { link in
                links.append(link)
                return tracking.shortURL(dispatch: scope.input.dispatch.id, index: link.index, url: link.url)
            }.text
        }
        return .sms(SMSMessage(from: try scope.optional(sms.from, field: "from"), to: scope.input.address, body: body, links: links))
    }
}

/// Push: renders every text field, the buttons' texts and links, and the story pages.
public struct PushAdapter: ChannelAdapter {
    /// `Channel.push`.
    public let channel = Channel.push
    /// The built-in push adapter.
    public init() {}

    /// A ``PushMessage`` for the scope's device token; content of another channel is an error.
    public func render(_ content: ChannelContent, in scope: RenderScope) throws(RenderError) -> ChannelMessage {
        guard case .push(let push) = content else { throw mismatch(content, channel) }
        var message = PushMessage(token: scope.input.address, body: try scope.required(push.body, field: "body"))
        message.title = try scope.optional(push.title, field: "title")
        message.subtitle = try scope.optional(push.subtitle, field: "subtitle")
        message.image = try scope.optional(push.image, field: "image")
        message.deepLink = try scope.optional(push.deepLink, field: "deep_link")
        message.buttons = try renderButtons(push.buttons, in: scope)
        for (index, page) in push.storyPages.enumerated() {
            message.storyPages.append(PushMessage.Page(
                image: try scope.required(page.image, field: "story_pages[\(index)].image"),
                title: try scope.optional(page.title, field: "story_pages[\(index)].title"),
                body: try scope.optional(page.body, field: "story_pages[\(index)].body"),
                deepLink: try scope.optional(page.deepLink, field: "story_pages[\(index)].deep_link")))
        }
        for (key, value) in push.data { message.data[key] = try scope.text(value, field: "data.\(key)") }
        message.badge = push.badge
        message.sound = try scope.optional(push.sound, field: "sound")
        message.category = try scope.optional(push.category, field: "category")
        message.timeToLive = push.timeToLive
        message.collapseID = try scope.optional(push.collapseID, field: "collapse_id")
        message.priority = push.priority
        message.apns = push.apns
        message.fcm = push.fcm
        return .push(message)
    }
}

/// Renders buttons (push and in-app messages).
func renderButtons(_ buttons: [MessageButton], in scope: RenderScope) throws(RenderError) -> [RenderedButton] {
    var rendered: [RenderedButton] = []
    for (index, button) in buttons.enumerated() {
        let action: RenderedButton.Action
        switch button.action {
        case .deepLink(let link): action = .deepLink(try scope.required(link, field: "buttons[\(index)].action"))
        case .url(let link): action = .url(try scope.required(link, field: "buttons[\(index)].action"))
        case .close: action = .close
        }
        rendered.append(RenderedButton(id: button.id, text: try scope.required(button.text, field: "buttons[\(index)].text"), action: action))
    }
    return rendered
}

/// Webhook: renders the URL (which must be http or https), the headers and the body.
public struct WebhookAdapter: ChannelAdapter {
    /// `Channel.webhook`.
    public let channel = Channel.webhook
    /// The built-in webhook adapter.
    public init() {}

    /// A ``WebhookMessage``; a URL that does not render to http(s), or content of another
    /// channel, is an error.
    public func render(_ content: ChannelContent, in scope: RenderScope) throws(RenderError) -> ChannelMessage {
        guard case .webhook(let hook) = content else { throw mismatch(content, channel) }
        let url = try scope.required(hook.url, field: "url").trimmingCharacters(in: .whitespacesAndNewlines)
        guard let parsed = URLComponents(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""), parsed.host?.isEmpty == false else {
            throw .failed(field: "url", message: "rendered to something that is not an http(s) URL")
        }
        var headers: [Header] = []
        for header in hook.headers { headers.append(Header(header.name, try scope.text(header.value, field: "headers.\(header.name)"))) }
        return .webhook(WebhookMessage(method: hook.method, url: url, headers: headers, body: try scope.optional(hook.body, field: "body")))
    }
}

/// In-app messages: rendered at send time and kept in the user's feed until expiry.
public struct InAppMessageAdapter: ChannelAdapter {
    /// `Channel.inAppMessage`.
    public let channel = Channel.inAppMessage
    /// The built-in in-app message adapter.
    public init() {}

    /// An ``InAppMessage`` for the scope's user, expiring `expires_after` after the send if
    /// set; content of another channel is an error.
    public func render(_ content: ChannelContent, in scope: RenderScope) throws(RenderError) -> ChannelMessage {
        guard case .inAppMessage(let message) = content else { throw mismatch(content, channel) }
        return .inAppMessage(InAppMessage(
            userID: scope.input.user.id.rawValue, layout: message.layout,
            header: try scope.optional(message.header, field: "header"), body: try scope.optional(message.body, field: "body"),
            image: try scope.optional(message.image, field: "image"), html: try scope.optional(message.html, field: "html"),
            buttons: try renderButtons(message.buttons, in: scope), dismissal: message.dismissal,
            expiresAt: message.expiresAfter.map { scope.input.now.addingTimeInterval(TimeInterval($0)) }))
    }
}

/// Content cards: rendered at send time and kept in the user's feed.
public struct ContentCardAdapter: ChannelAdapter {
    /// `Channel.contentCard`.
    public let channel = Channel.contentCard
    /// The built-in content card adapter.
    public init() {}

    /// A ``ContentCard`` for the scope's user, expiring `expires_after` after the send if set;
    /// content of another channel is an error.
    public func render(_ content: ChannelContent, in scope: RenderScope) throws(RenderError) -> ChannelMessage {
        guard case .contentCard(let card) = content else { throw mismatch(content, channel) }
        return .contentCard(ContentCard(
            userID: scope.input.user.id.rawValue, kind: card.kind, title: try scope.optional(card.title, field: "title"),
            description: try scope.optional(card.description, field: "description"), image: try scope.optional(card.image, field: "image"),
            link: try scope.optional(card.link, field: "link"), pinned: card.pinned,
            expiresAt: card.expiresAfter.map { scope.input.now.addingTimeInterval(TimeInterval($0)) }))
    }
}
