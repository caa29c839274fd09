/// The interactions a user can have with, or receive from, a campaign (R1).
///
/// Raw values are the stable snake_case names used in events, campaign files and the API.
public enum InteractionKind: String, CaseIterable, Codable, Sendable {
    case inAppMessageViewed = "in_app_message_viewed"
    case inAppMessageClicked = "in_app_message_clicked"
    /// Detail: the button id (1, 2, ... or a name).
    case inAppMessageButtonClicked = "in_app_message_button_clicked"
    /// Detail: optionally the URL.
    case emailClicked = "email_clicked"
    /// Detail: the link alias (required on a trigger).
    case emailAliasClicked = "email_alias_clicked"
    /// Detail: `machine` for a machine open, else any other open.
    case emailOpened = "email_opened"
    /// A direct open: the user tapped the notification.
    case pushOpened = "push_opened"
    /// Detail: the button id.
    case pushButtonClicked = "push_button_clicked"
    /// Detail: the page id.
    case pushStoryPageClicked = "push_story_page_clicked"
    /// Detail: the conversion event's index or name.
    case conversionPerformed = "conversion_performed"
    case emailReceived = "email_received"
    case smsReceived = "sms_received"
    /// Detail: the short link id.
    case smsLinkClicked = "sms_link_clicked"
    case pushReceived = "push_received"
    case webhookReceived = "webhook_received"
    case controlGroupEnrolled = "control_group_enrolled"
    /// Detail: the card id.
    case contentCardViewed = "content_card_viewed"
    /// Detail: the card id.
    case contentCardClicked = "content_card_clicked"
    /// Detail: the card id.
    case contentCardDismissed = "content_card_dismissed"

    /// Whether a trigger on this kind must name a detail (R1: the alias of `email_alias_clicked`).
    public var triggerRequiresDetail: Bool { self == .emailAliasClicked }
}

extension Channel {
    /// R22: the interaction that says a message on this channel was received: accepted by
    /// the provider (email, SMS, push, webhook) or viewed (in-app message, content card).
    /// A package's own channel has none: the 19 interaction kinds are the built-in channels'.
    public var receiptKind: InteractionKind? {
        switch self {
        case .email: return .emailReceived
        case .sms: return .smsReceived
        case .push: return .pushReceived
        case .webhook: return .webhookReceived
        case .inAppMessage: return .inAppMessageViewed
        case .contentCard: return .contentCardViewed
        default: return nil
        }
    }

    /// Whether the provider's acceptance is the receipt (not so for in-app messages and
    /// content cards, received when the app shows them).
    public var isReceivedOnAcceptance: Bool { self != .inAppMessage && self != .contentCard }
}

extension InteractionKind {
    /// R22: the channel this interaction is the receipt of, if it is one.
    public var receiptChannel: Channel? { Channel.builtIn.first { $0.receiptKind == self } }
}
