import Foundation

/// Something that happened to or by a user.
public struct Event: Codable, Sendable, Equatable {
    /// The client's id; ingesting the same id twice has no further effect (R25).
    public var id: EventID
    public var userID: UserID
    /// When it happened (not when it was ingested).
    public var time: Date
    public var payload: Payload

    public init(id: EventID, userID: UserID, time: Date, payload: Payload) {
        self.id = id
        self.userID = userID
        self.time = time
        self.payload = payload
    }

    /// What happened.
    public enum Payload: Codable, Sendable, Equatable {
        /// An interaction with a campaign (R1).
        case interaction(Interaction)
        /// A custom event with properties.
        case custom(name: String, properties: [String: AttributeValue])
        /// A purchase.
        case purchase(productID: String, price: Double, currency: String, quantity: Int)
        case sessionStart
        case attributeUpdate([String: AttributeValue])
    }
}

/// An interaction with a campaign, with the detail its kind can carry.
public struct Interaction: Codable, Sendable, Equatable {
    public var kind: InteractionKind
    public var campaign: CampaignID
    /// Button id, URL, link alias, card id, ... (see ``InteractionKind``).
    public var detail: String?

    public init(kind: InteractionKind, campaign: CampaignID, detail: String? = nil) {
        self.kind = kind
        self.campaign = campaign
        self.detail = detail
    }
}
