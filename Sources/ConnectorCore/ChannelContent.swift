import Foundation

/// What a campaign sends on one channel. Every text field is a Liquid template (Braze's
/// dialect), parsed when the campaign is loaded or published and rendered at send time
/// from the campaign's current version (R21).
public enum ChannelContent: Codable, Sendable, Equatable {
    case email(EmailContent)
    case sms(SMSContent)
    case push(PushContent)
    case webhook(WebhookContent)
    case inAppMessage(InAppMessageContent)
    case contentCard(ContentCardContent)
    /// Content for a channel a package adds, rendered by the adapter it registers.
    case custom(CustomContent)

    /// The channel this content is for.
    public var channel: Channel {
        switch self {
        case .email: return .email
        case .sms: return .sms
        case .push: return .push
        case .webhook: return .webhook
        case .inAppMessage: return .inAppMessage
        case .contentCard: return .contentCard
        case .custom(let content): return content.channel
        }
    }

    private typealias Key = ChannelCodingKey

    /// As JSON: `{"push": {...}}`.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let key = Key(stringValue: channel.rawValue)
        switch self {
        case .email(let content): try container.encode(content, forKey: key)
        case .sms(let content): try container.encode(content, forKey: key)
        case .push(let content): try container.encode(content, forKey: key)
        case .webhook(let content): try container.encode(content, forKey: key)
        case .inAppMessage(let content): try container.encode(content, forKey: key)
        case .contentCard(let content): try container.encode(content, forKey: key)
        case .custom(let content): try container.encode(content, forKey: key)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first, let channel = Channel(rawValue: key.stringValue) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected one channel key"))
        }
        switch channel {
        case .email: self = .email(try container.decode(EmailContent.self, forKey: key))
        case .sms: self = .sms(try container.decode(SMSContent.self, forKey: key))
        case .push: self = .push(try container.decode(PushContent.self, forKey: key))
        case .webhook: self = .webhook(try container.decode(WebhookContent.self, forKey: key))
        case .inAppMessage: self = .inAppMessage(try container.decode(InAppMessageContent.self, forKey: key))
        case .contentCard: self = .contentCard(try container.decode(ContentCardContent.self, forKey: key))
        default: self = .custom(try container.decode(CustomContent.self, forKey: key))
        }
    }

    /// Every template of the content with its field path in a campaign file
    /// (`subject`, `buttons[1].text`, `headers.X-Campaign`), in file order.
    public var templates: [(path: String, source: String)] {
        var found: [(path: String, source: String)] = []
        func add(_ path: String, _ source: String?) { if let source { found.append((path, source)) } }
        func addHeaders(_ prefix: String, _ headers: [Header]) { for header in headers { add("\(prefix).\(header.name)", header.value) } }
        switch self {
        case .email(let email):
            add("from.name", email.fromName); add("from.address", email.fromAddress); add("reply_to", email.replyTo)
            add("subject", email.subject); add("preheader", email.preheader); add("html", email.html); add("text", email.text)
            addHeaders("headers", email.headers)
        case .sms(let sms):
            add("from", sms.from); add("body", sms.body)
        case .push(let push):
            add("title", push.title); add("subtitle", push.subtitle); add("body", push.body); add("image", push.image)
            add("deep_link", push.deepLink)
            for (index, button) in push.buttons.enumerated() {
                add("buttons[\(index)].text", button.text); add("buttons[\(index)].action", button.action.target)
            }
            for (index, page) in push.storyPages.enumerated() {
                add("story_pages[\(index)].image", page.image); add("story_pages[\(index)].title", page.title)
                add("story_pages[\(index)].body", page.body); add("story_pages[\(index)].deep_link", page.deepLink)
            }
            for (key, value) in push.data.sorted(by: { $0.key < $1.key }) { add("data.\(key)", value) }
            add("sound", push.sound); add("category", push.category); add("collapse_id", push.collapseID)
        case .webhook(let webhook):
            add("url", webhook.url); addHeaders("headers", webhook.headers); add("body", webhook.body)
        case .inAppMessage(let message):
            add("header", message.header); add("body", message.body); add("image", message.image); add("html", message.html)
            for (index, button) in message.buttons.enumerated() {
                add("buttons[\(index)].text", button.text); add("buttons[\(index)].action", button.action.target)
            }
        case .contentCard(let card):
            add("title", card.title); add("description", card.description); add("image", card.image); add("link", card.link)
        case .custom(let content):
            for field in content.fields { add(field.path, field.template) }
        }
        return found
    }
}

/// A header a campaign adds to a message (name fixed, value a template).
public struct Header: Codable, Sendable, Equatable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// An email: sender, subject, bodies and extra headers.
public struct EmailContent: Codable, Sendable, Equatable {
    /// The sender's display name, if any.
    public var fromName: String?
    /// The sender's address; nil uses the provider configuration's default sender.
    public var fromAddress: String?
    public var replyTo: String?
    public var subject: String
    /// The preview text shown after the subject in inbox lists (put hidden at the top of the HTML).
    public var preheader: String?
    public var html: String?
    public var text: String?
    /// Extra headers, in order.
    public var headers: [Header]
    /// Aliases of links by URL, for click reports (Braze's link aliasing); an HTML link
    /// can also carry `data-alias`.
    public var linkAliases: [String: String]
    /// Whether links are rewritten for click tracking and an open pixel is added.
    public var trackLinks: Bool

    public init(fromName: String? = nil, fromAddress: String? = nil, replyTo: String? = nil, subject: String, preheader: String? = nil,
                html: String? = nil, text: String? = nil, headers: [Header] = [], linkAliases: [String: String] = [:], trackLinks: Bool = true) {
        self.fromName = fromName
        self.fromAddress = fromAddress
        self.replyTo = replyTo
        self.subject = subject
        self.preheader = preheader
        self.html = html
        self.text = text
        self.headers = headers
        self.linkAliases = linkAliases
        self.trackLinks = trackLinks
    }
}

/// A text message.
public struct SMSContent: Codable, Sendable, Equatable {
    /// A number (E.164) or an alphanumeric sender id; nil uses the provider's default.
    public var from: String?
    public var body: String
    /// Whether http(s) links are replaced by short signed links.
    public var trackLinks: Bool

    public init(from: String? = nil, body: String, trackLinks: Bool = true) {
        self.from = from
        self.body = body
        self.trackLinks = trackLinks
    }
}

/// What tapping a button does.
public enum ButtonAction: Codable, Sendable, Equatable {
    case deepLink(String)
    case url(String)
    case close

    /// The link template, if the action has one.
    public var target: String? {
        switch self {
        case .deepLink(let link), .url(let link): return link
        case .close: return nil
        }
    }
}

/// A button of a push notification or an in-app message.
public struct MessageButton: Codable, Sendable, Equatable {
    /// Stable id, reported back in `*_button_clicked` interactions.
    public var id: String
    public var text: String
    public var action: ButtonAction

    public init(id: String, text: String, action: ButtonAction) {
        self.id = id
        self.text = text
        self.action = action
    }
}

/// One page of a push story.
public struct StoryPage: Codable, Sendable, Equatable {
    public var image: String
    public var title: String?
    public var body: String?
    public var deepLink: String?

    public init(image: String, title: String? = nil, body: String? = nil, deepLink: String? = nil) {
        self.image = image
        self.title = title
        self.body = body
        self.deepLink = deepLink
    }
}

/// A push notification.
public struct PushContent: Codable, Sendable, Equatable {
    public enum Priority: String, Codable, Sendable { case normal, high }

    public var title: String?
    public var subtitle: String?
    public var body: String
    public var image: String?
    public var deepLink: String?
    /// At most 3.
    public var buttons: [MessageButton]
    public var storyPages: [StoryPage]
    /// Key-value pairs delivered to the app.
    public var data: [String: String]
    public var badge: Int?
    public var sound: String?
    public var category: String?
    /// Seconds the push service keeps trying to deliver.
    public var timeToLive: Int?
    public var collapseID: String?
    public var priority: Priority
    /// Fields merged into the APNs payload (`aps` and custom keys) for what the common
    /// fields do not cover.
    public var apns: [String: AttributeValue]
    /// Fields merged into the FCM `message` object.
    public var fcm: [String: AttributeValue]

    public init(title: String? = nil, subtitle: String? = nil, body: String, image: String? = nil, deepLink: String? = nil,
                buttons: [MessageButton] = [], storyPages: [StoryPage] = [], data: [String: String] = [:], badge: Int? = nil,
                sound: String? = nil, category: String? = nil, timeToLive: Int? = nil, collapseID: String? = nil,
                priority: Priority = .high, apns: [String: AttributeValue] = [:], fcm: [String: AttributeValue] = [:]) {
        self.title = title
        self.subtitle = subtitle
        self.body = body
        self.image = image
        self.deepLink = deepLink
        self.buttons = buttons
        self.storyPages = storyPages
        self.data = data
        self.badge = badge
        self.sound = sound
        self.category = category
        self.timeToLive = timeToLive
        self.collapseID = collapseID
        self.priority = priority
        self.apns = apns
        self.fcm = fcm
    }
}

/// An HTTP request to any URL.
public struct WebhookContent: Codable, Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [Header]
    public var body: String?

    public init(method: String = "POST", url: String, headers: [Header] = [], body: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A message shown inside the app the next time it asks for one.
public struct InAppMessageContent: Codable, Sendable, Equatable {
    public enum Layout: String, Codable, Sendable, CaseIterable { case modal, slideUp = "slide_up", full, html }
    public enum Dismissal: Codable, Sendable, Equatable {
        /// Dismissed by the user.
        case manual
        /// Dismissed by itself after this many seconds.
        case automatic(seconds: Int)
    }

    public var layout: Layout
    public var header: String?
    public var body: String?
    public var image: String?
    /// The whole message, for the `html` layout.
    public var html: String?
    public var buttons: [MessageButton]
    public var dismissal: Dismissal
    /// Seconds after the send when an unseen message is no longer shown; nil = never.
    public var expiresAfter: Int?

    public init(layout: Layout = .modal, header: String? = nil, body: String? = nil, image: String? = nil, html: String? = nil,
                buttons: [MessageButton] = [], dismissal: Dismissal = .manual, expiresAfter: Int? = nil) {
        self.layout = layout
        self.header = header
        self.body = body
        self.image = image
        self.html = html
        self.buttons = buttons
        self.dismissal = dismissal
        self.expiresAfter = expiresAfter
    }
}

/// A card in the app's content card feed.
public struct ContentCardContent: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable { case classic, captionedImage = "captioned_image", banner }

    public var kind: Kind
    public var title: String?
    public var description: String?
    public var image: String?
    public var link: String?
    public var pinned: Bool
    /// Seconds after the send when the card leaves the feed; nil = never.
    public var expiresAfter: Int?

    public init(kind: Kind = .classic, title: String? = nil, description: String? = nil, image: String? = nil, link: String? = nil,
                pinned: Bool = false, expiresAfter: Int? = nil) {
        self.kind = kind
        self.title = title
        self.description = description
        self.image = image
        self.link = link
        self.pinned = pinned
        self.expiresAfter = expiresAfter
    }
}

/// The one key of a per-channel JSON document (`{"push": {...}}`): the channel's name.
/// Campaign content and rendered messages are written this way.
public struct ChannelCodingKey: CodingKey {
    public var stringValue: String
    public var intValue: Int? { nil }
    public init(stringValue: String) { self.stringValue = stringValue }
    public init?(intValue: Int) { nil }
}
