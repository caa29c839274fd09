import ConnectorCore
import Foundation

/// A message rendered for one user, ready for a provider: what a ``ChannelAdapter``
/// makes of a campaign's `ChannelContent`. As JSON: `{"push": {"token": ..., "body": ...}}`.
public enum ChannelMessage: Codable, Sendable, Equatable {
    /// An email to the user's address.
    case email(EmailMessage)
    /// A text message to the user's phone number.
    case sms(SMSMessage)
    /// A push notification to one device token.
    case push(PushMessage)
    /// An HTTP call to the URL the campaign renders.
    case webhook(WebhookMessage)
    /// An in-app message for the user's feed.
    case inAppMessage(InAppMessage)
    /// A content card for the user's feed.
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
    /// The sender's display name, if any.
    public var fromName: String?
    /// The sender's address; empty when the campaign gives none (a provider may fill in its own
    /// default sender).
    public var fromAddress: String
    /// The recipient's address.
    public var to: String
    /// Where replies go, if not to the sender.
    public var replyTo: String?
    /// The rendered subject.
    public var subject: String
    /// The preview text shown after the subject in inbox lists; ``html`` already carries it,
    /// hidden, at the top.
    public var preheader: String?
    /// The HTML body with tracked links and the open pixel, if tracking is on.
    public var html: String?
    /// The text body with tracked links, if tracking is on.
    public var text: String?
    /// Extra headers, in order, their values rendered.
    public var headers: [Header]
    /// The signed one-click unsubscribe URL (RFC 8058), when tracking is configured.
    public var listUnsubscribe: String?
    /// The links found in the bodies, in order, with their aliases (tracked or not).
    public var links: [FoundLink]

    enum CodingKeys: String, CodingKey {
        case fromName = "from_name", fromAddress = "from_address", to, replyTo = "reply_to", subject, preheader, html, text, headers
        case listUnsubscribe = "list_unsubscribe", links
    }

    /// A rendered email; each parameter sets the property of the same name.
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
    /// A number (E.164) or an alphanumeric sender id; nil uses the provider's default.
    public var from: String?
    /// The recipient's phone number.
    public var to: String
    /// The rendered text, its links replaced by short tracked links when tracking is on.
    public var body: String
    /// GSM-7 or UCS-2, and how many segments the body takes.
    public var segments: SMSSegments
    /// The links replaced by tracked short links, in order; empty when links are not tracked.
    public var links: [FoundLink]

    /// A rendered text message; ``segments`` is counted from `body`.
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
        /// Opens this deep link in the app.
        case deepLink(String)
        /// Opens this web URL.
        case url(String)
        /// Closes the message.
        case close

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
    /// The button's stable id, reported back in `*_button_clicked` interactions.
    public var id: String
    /// The rendered label.
    public var text: String
    /// What tapping it does, with its link rendered.
    public var action: Action

    /// A rendered button; each parameter sets the property of the same name.
    public init(id: String, text: String, action: Action) {
        self.id = id
        self.text = text
        self.action = action
    }
}

/// A rendered push notification.
public struct PushMessage: Codable, Sendable, Equatable {
    /// One rendered page of a push story.
    public struct Page: Codable, Sendable, Equatable {
        /// The page's image URL.
        public var image: String
        /// The page's title, if any.
        public var title: String?
        /// The page's text, if any.
        public var body: String?
        /// Where tapping the page leads in the app, if anywhere.
        public var deepLink: String?

        enum CodingKeys: String, CodingKey { case image, title, body, deepLink = "deep_link" }
    }

    /// The device token (APNs, FCM, Expo push token, OneSignal subscription id).
    public var token: String
    /// The notification's title, if any.
    public var title: String?
    /// The subtitle, if any (APNs shows it under the title; FCM passes it in `data`).
    public var subtitle: String?
    /// The notification's text.
    public var body: String
    /// The URL of an image shown with it, if any.
    public var image: String?
    /// Where tapping the notification leads in the app, if anywhere.
    public var deepLink: String?
    /// The action buttons, in order.
    public var buttons: [RenderedButton]
    /// The pages of a push story, in order; empty for a plain notification.
    public var storyPages: [Page]
    /// Key-value pairs delivered to the app, their values rendered.
    public var data: [String: String]
    /// The number to show on the app's icon, if any.
    public var badge: Int?
    /// The name of the sound to play, if any.
    public var sound: String?
    /// The app's notification category (its registered actions; FCM's `click_action`), if any.
    public var category: String?
    /// Seconds the push service keeps trying to deliver; nil leaves it to the provider (APNs
    /// then tries once).
    public var timeToLive: Int?
    /// An id under which a newer notification replaces an older one (`apns-collapse-id`, FCM's
    /// collapse key), if any.
    public var collapseID: String?
    /// How urgently the push service delivers it; high by default.
    public var priority: PushContent.Priority
    /// Fields merged last into the APNs payload (`aps` fields into `aps`; other keys replace).
    public var apns: [String: AttributeValue]
    /// Fields merged last into the FCM `message` object.
    public var fcm: [String: AttributeValue]

    enum CodingKeys: String, CodingKey {
        case token, title, subtitle, body, image, deepLink = "deep_link", buttons, storyPages = "story_pages", data, badge, sound, category
        case timeToLive = "ttl", collapseID = "collapse_id", priority, apns, fcm
    }

    /// A rendered push notification for `token`; each parameter sets the property of the same name.
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
    /// The HTTP method, such as `POST`.
    public var method: String
    /// The rendered http(s) URL.
    public var url: String
    /// The headers, in order, their values rendered.
    public var headers: [Header]
    /// The rendered body, if any.
    public var body: String?

    /// A rendered webhook call; each parameter sets the property of the same name.
    public init(method: String, url: String, headers: [Header] = [], body: String? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// A rendered in-app message, kept in the user's feed until the app shows it.
public struct InAppMessage: Codable, Sendable, Equatable {
    /// The user whose feed holds it.
    public var userID: String
    /// How the app lays it out: modal, slide-up, full screen or HTML.
    public var layout: InAppMessageContent.Layout
    /// The rendered header, if any.
    public var header: String?
    /// The rendered text, if any.
    public var body: String?
    /// The URL of its image, if any.
    public var image: String?
    /// The whole message as rendered HTML, for the `html` layout.
    public var html: String?
    /// The rendered buttons, in order.
    public var buttons: [RenderedButton]
    /// Whether the user dismisses it or it goes by itself after some seconds.
    public var dismissal: InAppMessageContent.Dismissal
    /// When an unseen message is no longer shown; nil for never.
    public var expiresAt: Date?

    enum CodingKeys: String, CodingKey { case userID = "user_id", layout, header, body, image, html, buttons, dismissal, expiresAt = "expires_at" }
}

/// A rendered content card, kept in the user's feed.
public struct ContentCard: Codable, Sendable, Equatable {
    /// The user whose feed holds it.
    public var userID: String
    /// The card's style: classic, captioned image or banner.
    public var kind: ContentCardContent.Kind
    /// The rendered title, if any.
    public var title: String?
    /// The rendered description, if any.
    public var description: String?
    /// The URL of its image, if any.
    public var image: String?
    /// Where tapping the card leads, if anywhere.
    public var link: String?
    /// Whether the campaign pins the card (its `pinned`; false by default).
    public var pinned: Bool
    /// When the card leaves the feed; nil for never.
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
