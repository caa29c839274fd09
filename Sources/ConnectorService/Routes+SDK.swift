import ConnectorCore
import ConnectorStore
import Foundation
import Hummingbird

extension ConnectorService {
    /// The interactions an app reports, and the channel of the dispatch each is about.
    static let sdkInteractions: [InteractionKind: Channel] = [
        .pushOpened: .push, .pushButtonClicked: .push, .pushStoryPageClicked: .push,
        .inAppMessageViewed: .inAppMessage, .inAppMessageClicked: .inAppMessage, .inAppMessageButtonClicked: .inAppMessage,
        .contentCardViewed: .contentCard, .contentCardClicked: .contentCard, .contentCardDismissed: .contentCard,
    ]

    /// App-facing endpoints, behind the SDK key: a user's live content cards and pending
    /// in-app messages, and the interactions the app reports (which go through the same
    /// ingest path as API events, so they trigger follow-ups).
    func addSDKRoutes(to router: Router<BasicRequestContext>) {
        router.get("/v1/sdk/users/:id/content-cards") { request, context -> Response in
            try self.keys.authorizeSDK(request.headers)
            return try await self.feed(UserID(try context.parameters.require("id")), .contentCard, name: "cards", request)
        }
        router.get("/v1/sdk/users/:id/in-app-messages") { request, context -> Response in
            try self.keys.authorizeSDK(request.headers)
            return try await self.feed(UserID(try context.parameters.require("id")), .inAppMessage, name: "messages", request)
        }
        // `{"dispatch_id": "d_...", "kind": "content_card_dismissed", "detail": "button id", "id": "client event id"}`
        router.post("/v1/sdk/interactions") { request, _ -> Response in
            try self.keys.authorizeSDK(request.headers)
            guard case .object(let fields) = try await self.bodyJSON(request) else {
                throw APIError(.invalid, "expected {\"dispatch_id\": ..., \"kind\": ...}")
            }
            let known: Set<String> = ["dispatch_id", "kind", "detail", "id"]
            if let unknown = fields.keys.sorted().first(where: { !known.contains($0) }) {
                throw APIError(.invalid, "unknown field; known: \(known.sorted().joined(separator: ", "))", field: unknown)
            }
            guard case .string(let dispatchID)? = fields["dispatch_id"], !dispatchID.isEmpty else {
                throw APIError(.invalid, "is required", field: "dispatch_id")
            }
            guard case .string(let name)? = fields["kind"], let kind = InteractionKind(rawValue: name), let channel = Self.sdkInteractions[kind] else {
                throw APIError(.invalid, "expected one of: \(Self.sdkInteractions.keys.map(\.rawValue).sorted().joined(separator: ", "))", field: "kind")
            }
            var detail: String?
            switch fields["detail"] {
            case nil, .null?: break
            case .string(let text)?: detail = text
            default: throw APIError(.invalid, "expected text", field: "detail")
            }
            var clientID: String?
            switch fields["id"] {
            case nil, .null?: break
            case .string(let text)? where !text.isEmpty && text.utf8.count <= 200: clientID = "sdk:" + text
            default: throw APIError(.invalid, "expected text of 1 to 200 bytes", field: "id")
            }
            guard let dispatch = try await self.dispatch(dispatchID)?.dispatch else { throw APIError.notFound("no dispatch '\(dispatchID)'") }
            guard dispatch.channel == channel else {
                throw APIError(.invalid, "\(name) is about a \(channel.rawValue) message; \(dispatchID) was sent as \(dispatch.channel.rawValue)", field: "kind")
            }
            let report = try await self.ingest([self.interaction(kind, dispatch, detail: detail, id: clientID)], source: "sdk")
            self.metrics.captured(kind.rawValue)
            // A dismissed card leaves the feed; an in-app message shows once.
            if kind == .contentCardDismissed || kind == .inAppMessageViewed {
                try await self.store.dismiss(dispatch: dispatch.id, at: self.clock.now())
            }
            return json(tree: .object(["status": .string(report.duplicates.isEmpty ? "accepted" : "duplicate")]))
        }
    }

    func feed(_ user: UserID, _ channel: Channel, name: String, _ request: Request) async throws -> Response {
        let kept = try await store.keptMessages(KeptMessageFilter(user: user, channel: channel, liveAt: clock.now(), limit: try limit(request)))
        return json(tree: .object([name: .array(kept.map { kept in
            .object(["dispatch_id": .string(kept.dispatchID), "campaign": .string(kept.campaign.rawValue), "at": jsonTime(kept.at),
                     "expires_at": jsonTime(kept.expiresAt),
                     "message": (try? AttributeValue(json: String(decoding: kept.json, as: UTF8.self))) ?? .null])
        })]))
    }
}
