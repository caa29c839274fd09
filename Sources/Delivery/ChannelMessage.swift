import ConnectorCore
import Foundation

/// A message rendered for one user, ready for a provider: what a ``ChannelAdapter``
/// makes of a campaign's ``ChannelContent``.
public enum ChannelMessage: Codable, Sendable, Equatable {
    case email(EmailMessage)
    case sms(SMSMessage)
    case push(PushMessage)
    case webhook(WebhookMessage)
    case inAppMessage(InAppMessage)
    case contentCard(ContentCard)

    /// The channel it goes out on.
    public var channel: Channel {
        switch self {
        case .email: return .email
        case .sms: return .sms
        case .push: return .push
        case .webhook: return .webhook
        case .inAppMessage: return .inAppMessage
        case .contentCard: return .contentCard
        }
    }

    /// Where it goes: an email address, a phone number, a push token, a URL, or the user id
    /// for in-app messages and content cards.
    public var recipient: String {
        switch self {
        case .email(let email): return email.to
        case .sms(let sms): return sms.to
        case .push(let push): return push.token
        case .webhook(let webhook): return webhook.url
        case .inAppMessage(let message): return message.userID
        case .contentCard(let card): return card.userID
        }
    }
}

/// A rendered email.
public struct EmailMessage: Codable, Sendable, Equatable {
    public var fromName: String?
    public var fromAddress: String
    public var to: String
    public var replyTo: String?
    public var subject: String
    public var preheader: String?
    /// The HTML body with tracked links and the open pixel, if tracking is on.
    public var html: String?
    /// The text body with tracked links, if tracking is on.
    public var text: String?
    public var headers: [Header]
    /// The signed one-click unsubscribe URL (RFC 8058), when tracking is configured.
    public var listUnsubscribe: String?
    /// The links found in the bodies, in order, with their aliases (tracked or not).
    public var links: [FoundLink]

    public init(fromName: String? = nil, fromAddress: String, to: String, replyTo: String? = nil, subject: String, preheader: String? = nil,
                html: String? = nil, text: String? = nil, headers: [Header] = [], listUnsubscribe: String? = nil, links: [FoundLink] = []) {
        self.fromName = fromName
        self.fromAddress = fromAddress
        self.to = to
        self.replyTo = replyTo
        self.subject = subject
        self.preheader = preheader
        self.html = html
        self.text = text
        self.headers = headers
        self.listUnsubscribe = listUnsubscribe
        self.links = links
    }
}

/// A rendered text message.
public struct SMSMessage: Codable, Sendable, Equatable {
    public var from: String?
    public var to: String
    public var body: String
    /// GSM-7 or UCS-2, and how many segments the body takes.
    public var segments: SMSSegments
    public var links: [FoundLink]

    public init(from: String? = nil, to: String, body: String, links: [FoundLink] = []) {
        self.from = from
        self.to = to
        self.body = body
        self.segments = SMSSegments(body)
        self.links = links
    }
}

/// A rendered button (push or in-app message).
public struct RenderedButton: Codable, Sendable, Equatable {
    public enum Action: Codable, Sendable, Equatable { case deepLink(String), url(String), close }
    public var id: String
    public var text: String
    public var action: Action

    public init(id: String, text: String, action: Action) {
        self.id = id
        self.text = text
        self.action = action
    }
}

/// A rendered push notification.
public struct PushMessage: Codable, Sendable, Equatable {
    public struct Page: Codable, Sendable, Equatable {
        public var image: String
        public var title: String?
        public var body: String?
        public var deepLink: String?
    }

    /// The device token (APNs, FCM, Expo push token, OneSignal subscription id).
    public var token: String
    public var title: String?
    public var subtitle: String?
    public var body: String
    public var image: String?
    public var deepLink: String?
    public var buttons: [RenderedButton]
    public var storyPages: [Page]
    public var data: [String: String]
    public var badge: Int?
    public var sound: String?
    public var category: String?
    public var timeToLive: Int?
    public var collapseID: String?
    public var priority: PushContent.Priority
    public var apns: [String: AttributeValue]
    public var fcm: [String: AttributeValue]

    public init(token: String, title: String? = nil, subtitle: String? = nil, body: String, image: String? = nil, deepLink: String? = nil,
                buttons: [RenderedButton] = [], storyPages: [Page] = [], data: [String: String] = [:], badge: Int? = nil,
                sound: String? = nil, category: String? = nil, timeToLive: Int? = nil, collapseID: String? = nil,
                priority: PushContent.Priority = .high, apns: [String: AttributeValue] = [:], fcm: [String: AttributeValue] = [:]) {
        self.token = token
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

/// A rendered webhook call.
public struct WebhookMessage: Codable, Sendable, Equatable {
    public var method: String
    public var url: String
    public var headers: [Header]
    public var body: String?

    public init(method: String, url: String, headers: [Header] = [], body: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A rendered in-app message, kept in the user's feed until the app shows it.
public struct InAppMessage: Codable, Sendable, Equatable {
    public var userID: String
    public var layout: InAppMessageContent.Layout
    public var header: String?
    public var body: String?
    public var image: String?
    public var html: String?
    public var buttons: [RenderedButton]
    public var dismissal: InAppMessageContent.Dismissal
    public var expiresAt: Date?
}

/// A rendered content card, kept in the user's feed.
public struct ContentCard: Codable, Sendable, Equatable {
    public var userID: String
    public var kind: ContentCardContent.Kind
    public var title: String?
    public var description: String?
    public var image: String?
    public var link: String?
    public var pinned: Bool
    public var expiresAt: Date?
}
