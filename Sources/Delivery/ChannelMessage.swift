import ConnectorCore
import Foundation

/// A message rendered for one user, ready for a provider: what a ``ChannelAdapter``
/// makes of a campaign's `ChannelContent`. As JSON: `{"push": {"token": ..., "body": ...}}`.
public enum ChannelMessage: Codable, Sendable, Equatable {
    case email(EmailMessage)
    case sms(SMSMessage)
    case push(PushMessage)
    case webhook(WebhookMessage)
    case inAppMessage(InAppMessage)
    case contentCard(ContentCard)
    /// A message on a channel a package adds, made by the adapter it registers.
    case custom(CustomMessage)

    /// The channel it goes out on.
    public var channel: Channel {
        switch self {
        case .email: return .email
        case .sms: return .sms
        case .push: return .push
        case .webhook: return .webhook
        case .inAppMessage: return .inAppMessage
        case .contentCard: return .contentCard
        case .custom(let message): return message.channel
        }
    }

    private typealias Key = ChannelCodingKey

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        let key = Key(stringValue: channel.rawValue)
        switch self {
        case .email(let message): try container.encode(message, forKey: key)
        case .sms(let message): try container.encode(message, forKey: key)
        case .push(let message): try container.encode(message, forKey: key)
        case .webhook(let message): try container.encode(message, forKey: key)
        case .inAppMessage(let message): try container.encode(message, forKey: key)
        case .contentCard(let message): try container.encode(message, forKey: key)
        case .custom(let message): try container.encode(message, forKey: key)
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: Key.self)
        guard container.allKeys.count == 1, let key = container.allKeys.first, let channel = Channel(rawValue: key.stringValue) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "expected one channel key"))
        }
        switch channel {
        case .email: self = .email(try container.decode(EmailMessage.self, forKey: key))
        case .sms: self = .sms(try container.decode(SMSMessage.self, forKey: key))
        case .push: self = .push(try container.decode(PushMessage.self, forKey: key))
        case .webhook: self = .webhook(try container.decode(WebhookMessage.self, forKey: key))
        case .inAppMessage: self = .inAppMessage(try container.decode(InAppMessage.self, forKey: key))
        case .contentCard: self = .contentCard(try container.decode(ContentCard.self, forKey: key))
        default: self = .custom(try container.decode(CustomMessage.self, forKey: key))
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
        case .custom(let message): return message.recipient
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

    enum CodingKeys: String, CodingKey {
        case fromName = "from_name", fromAddress = "from_address", to, replyTo = "reply_to", subject, preheader, html, text, headers
        case listUnsubscribe = "list_unsubscribe", links
    }

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
    /// As JSON: `{"deep_link": "app://x"}`, `{"url": "https://x"}` or `{"close": true}`.
    public enum Action: Codable, Sendable, Equatable {
        case deepLink(String), url(String), close

        enum CodingKeys: String, CodingKey { case deepLink = "deep_link", url, close }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            switch self {
            case .deepLink(let link): try container.encode(link, forKey: .deepLink)
            case .url(let link): try container.encode(link, forKey: .url)
            case .close: try container.encode(true, forKey: .close)
            }
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            if let link = try container.decodeIfPresent(String.self, forKey: .deepLink) {
                self = .deepLink(link)
            } else if let link = try container.decodeIfPresent(String.self, forKey: .url) {
                self = .url(link)
            } else {
                self = .close
            }
        }
    }
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

        enum CodingKeys: String, CodingKey { case image, title, body, deepLink = "deep_link" }
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

    enum CodingKeys: String, CodingKey {
        case token, title, subtitle, body, image, deepLink = "deep_link", buttons, storyPages = "story_pages", data, badge, sound, category
        case timeToLive = "ttl", collapseID = "collapse_id", priority, apns, fcm
    }

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

    enum CodingKeys: String, CodingKey { case userID = "user_id", layout, header, body, image, html, buttons, dismissal, expiresAt = "expires_at" }
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

    enum CodingKeys: String, CodingKey { case userID = "user_id", kind, title, description, image, link, pinned, expiresAt = "expires_at" }
}

/// How delivery writes messages as JSON (kept messages, webhook envelopes, the data of
/// declarative providers): snake_case field names as in campaign files (each type's
/// coding keys; a push's `data` keys stay as written), sorted, ISO 8601 dates.
public func deliveryJSONEncoder() -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
}

/// Reads what ``deliveryJSONEncoder()`` writes.
public func deliveryJSONDecoder() -> JSONDecoder {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
}
