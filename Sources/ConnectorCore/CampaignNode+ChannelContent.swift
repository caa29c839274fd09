import Foundation
import Liquid

/// The `messages:` section of a campaign file: typed content per channel.
extension CampaignNode {
    func channelContent(_ channel: Channel) throws(CampaignDefinitionError) -> ChannelContent {
        _ = try object()
        let content: ChannelContent
        switch channel {
        case .email: content = .email(try email())
        case .sms:
            try allowOnly(["from", "body", "track_links"])
            content = .sms(SMSContent(from: try optionalText("from"), body: try child("body").string(),
                                      trackLinks: try optionalBool("track_links") ?? true))
        case .push: content = .push(try push())
        case .webhook:
            try allowOnly(["method", "url", "headers", "body"])
            let method = (try optionalText("method") ?? "POST").uppercased()
            guard ["GET", "POST", "PUT", "PATCH", "DELETE"].contains(method) else {
                throw child("method").fail("'\(method)' is not a webhook method: use GET, POST, PUT, PATCH or DELETE")
            }
            content = .webhook(WebhookContent(method: method, url: try child("url").string(), headers: try headers(),
                                              body: try optionalText("body")))
        case .inAppMessage: content = .inAppMessage(try inAppMessage())
        case .contentCard: content = .contentCard(try contentCard())
        default: content = .custom(CustomContent(channel: channel, fields: try customFields()))
        }
        // Parsed now (Braze's dialect), so a syntax error stops the file, not a send.
        for (path, source) in content.templates {
            do {
                _ = try Template(source, dialect: .braze)
            } catch {
                let place = error.line.map { "\($0):\(error.column ?? 1): " } ?? ""
                throw CampaignDefinitionError(file: file, path: "\(self.path).\(path)", message: "\(place)\(error.kind): \(error.message)")
            }
        }
        return content
    }

    /// A custom channel's entry as template fields by path (see ``CustomContent``).
    private func customFields() throws(CampaignDefinitionError) -> [CustomContent.Field] {
        var fields: [CustomContent.Field] = []
        func collect(_ node: CampaignNode, relative: String) throws(CampaignDefinitionError) {
            switch node.value {
            case let object as [String: Any]:
                for key in object.keys.sorted() { try collect(node.child(key), relative: relative.isEmpty ? key : "\(relative).\(key)") }
            case let items as [Any]:
                for index in items.indices { try collect(CampaignNode(value: items[index], path: "\(node.path)[\(index)]", file: file), relative: "\(relative)[\(index)]") }
            case let text as String: fields.append(.init(path: relative, template: text))
            case let flag as Bool: fields.append(.init(path: relative, template: flag ? "true" : "false"))
            case let number as Int: fields.append(.init(path: relative, template: String(number)))
            case let number as Double: fields.append(.init(path: relative, template: String(number)))
            default: throw node.fail(node.isMissing ? "has no value" : "expected text, a number, true/false, a mapping or a list")
            }
        }
        try collect(self, relative: "")
        guard !fields.isEmpty else { throw fail("a \(path.split(separator: ".").last.map(String.init) ?? "custom") message needs at least one field") }
        return fields
    }

    private func email() throws(CampaignDefinitionError) -> EmailContent {
        try allowOnly(["from", "from_name", "reply_to", "subject", "preheader", "html", "text", "headers", "link_aliases", "track_links"])
        var email = EmailContent(subject: try child("subject").string())
        let from = child("from")
        if from.value is [String: Any] {
            try from.allowOnly(["name", "address"])
            email.fromName = try from.optionalText("name")
            email.fromAddress = try from.optionalText("address")
        } else {
            email.fromAddress = try optionalText("from")
            email.fromName = try optionalText("from_name")
        }
        email.replyTo = try optionalText("reply_to")
        email.preheader = try optionalText("preheader")
        email.html = try optionalText("html")
        email.text = try optionalText("text")
        guard email.html != nil || email.text != nil else { throw fail("an email needs an html or a text body (or both)") }
        email.headers = try headers()
        if !child("link_aliases").isMissing {
            for (url, _) in try child("link_aliases").object() { email.linkAliases[url] = try child("link_aliases").child(url).string() }
        }
        email.trackLinks = try optionalBool("track_links") ?? true
        return email
    }

    private func push() throws(CampaignDefinitionError) -> PushContent {
        try allowOnly(["title", "subtitle", "body", "image", "deep_link", "buttons", "story_pages", "data", "badge", "sound",
                       "category", "ttl", "collapse_id", "priority", "apns", "fcm"])
        var push = PushContent(title: try optionalText("title"), subtitle: try optionalText("subtitle"), body: try child("body").string())
        push.image = try optionalText("image")
        push.deepLink = try optionalText("deep_link")
        push.buttons = try buttons(limit: 3)
        if !child("story_pages").isMissing {
            for page in try child("story_pages").list() {
                try page.allowOnly(["image", "title", "body", "deep_link"])
                push.storyPages.append(StoryPage(image: try page.child("image").string(), title: try page.optionalText("title"),
                                                 body: try page.optionalText("body"), deepLink: try page.optionalText("deep_link")))
            }
        }
        if !child("data").isMissing {
            for (key, _) in try child("data").object() { push.data[key] = try child("data").child(key).string() }
        }
        if !child("badge").isMissing { push.badge = try child("badge").int(in: 0...99_999) }
        push.sound = try optionalText("sound")
        push.category = try optionalText("category")
        if !child("ttl").isMissing { push.timeToLive = try child("ttl").duration() }
        push.collapseID = try optionalText("collapse_id")
        if let priority = try optionalText("priority") {
            guard let value = PushContent.Priority(rawValue: priority) else { throw child("priority").fail("'\(priority)' is not a priority: use normal or high") }
            push.priority = value
        }
        if !child("apns").isMissing { push.apns = try child("apns").object().mapValues { AttributeValue(any: $0) } }
        if !child("fcm").isMissing { push.fcm = try child("fcm").object().mapValues { AttributeValue(any: $0) } }
        return push
    }

    private func inAppMessage() throws(CampaignDefinitionError) -> InAppMessageContent {
        try allowOnly(["layout", "header", "body", "image", "html", "buttons", "dismiss_after", "expires_after"])
        var message = InAppMessageContent()
        if let layout = try optionalText("layout") {
            guard let value = InAppMessageContent.Layout(rawValue: layout) else {
                throw child("layout").fail("'\(layout)' is not a layout: use \(InAppMessageContent.Layout.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            message.layout = value
        }
        message.header = try optionalText("header")
        message.body = try optionalText("body")
        message.image = try optionalText("image")
        message.html = try optionalText("html")
        if message.layout == .html, message.html == nil { throw fail("the html layout needs an html field") }
        if message.layout != .html, message.body == nil, message.header == nil { throw fail("an in-app message needs a header or a body") }
        message.buttons = try buttons(limit: 2)
        if !child("dismiss_after").isMissing {
            let seconds = try child("dismiss_after").duration()
            message.dismissal = seconds == 0 ? .manual : .automatic(seconds: seconds)
        }
        if !child("expires_after").isMissing { message.expiresAfter = try child("expires_after").duration() }
        return message
    }

    private func contentCard() throws(CampaignDefinitionError) -> ContentCardContent {
        try allowOnly(["kind", "title", "description", "image", "link", "pinned", "expires_after"])
        var card = ContentCardContent()
        if let kind = try optionalText("kind") {
            guard let value = ContentCardContent.Kind(rawValue: kind) else {
                throw child("kind").fail("'\(kind)' is not a card kind: use \(ContentCardContent.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            card.kind = value
        }
        card.title = try optionalText("title")
        card.description = try optionalText("description")
        card.image = try optionalText("image")
        card.link = try optionalText("link")
        if card.kind != .classic, card.image == nil { throw fail("a \(card.kind.rawValue) card needs an image") }
        if card.kind == .classic, card.title == nil, card.description == nil { throw fail("a classic card needs a title or a description") }
        card.pinned = try optionalBool("pinned") ?? false
        if !child("expires_after").isMissing { card.expiresAfter = try child("expires_after").duration() }
        return card
    }

    private func buttons(limit: Int) throws(CampaignDefinitionError) -> [MessageButton] {
        guard !child("buttons").isMissing else { return [] }
        let items = try child("buttons").list()
        guard items.count <= limit else { throw child("buttons").fail("at most \(limit) buttons, got \(items.count)") }
        var buttons: [MessageButton] = []
        for item in items {
            try item.allowOnly(["id", "text", "deep_link", "url", "close"])
            let given = ["deep_link", "url", "close"].filter { !item.child($0).isMissing }
            guard given.count == 1 else { throw item.fail("a button needs exactly one action: deep_link, url or close: true") }
            let action: ButtonAction
            switch given[0] {
            case "deep_link": action = .deepLink(try item.child("deep_link").string())
            case "url": action = .url(try item.child("url").string())
            default:
                guard try item.child("close").bool() else { throw item.child("close").fail("write close: true, or give a deep_link or url") }
                action = .close
            }
            let id = try item.child("id").identifier()
            guard !buttons.contains(where: { $0.id == id }) else { throw item.child("id").fail("'\(id)' is already the id of another button") }
            buttons.append(MessageButton(id: id, text: try item.child("text").string(), action: action))
        }
        return buttons
    }

    private func headers() throws(CampaignDefinitionError) -> [Header] {
        guard !child("headers").isMissing else { return [] }
        var headers: [Header] = []
        for (name, _) in try child("headers").object().sorted(by: { $0.key < $1.key }) {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 32 && $0 < 127 && $0 != UInt8(ascii: ":") }) else {
                throw child("headers").child(name).fail("'\(name)' is not a header name: printable ASCII without spaces or ':'")
            }
            headers.append(Header(name, try child("headers").child(name).string()))
        }
        return headers
    }

    func optionalText(_ key: String) throws(CampaignDefinitionError) -> String? {
        child(key).isMissing ? nil : try child(key).string()
    }

    func optionalBool(_ key: String) throws(CampaignDefinitionError) -> Bool? {
        child(key).isMissing ? nil : try child(key).bool()
    }
}
