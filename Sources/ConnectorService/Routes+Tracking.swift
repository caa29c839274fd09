import ConnectorCore
import ConnectorStore
import Delivery
import Foundation
import Hummingbird

extension ConnectorService {
    /// The transparent 1x1 GIF of the open pixel.
    static let pixel: [UInt8] = [
        0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0x21, 0xF9, 0x04, 0x01, 0x00,
        0x00, 0x00, 0x00, 0x2C, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3B,
    ]

    /// Tracked links, the open pixel and unsubscribe: no key, but a signed token. A forged
    /// or altered token is 404 and records nothing; a valid one whose dispatch the store no
    /// longer holds still redirects (its destination is inside the token).
    func addTrackingRoutes(to router: Router<BasicRequestContext>) {
        router.get("/c/:token") { _, context -> Response in
            let link = try self.verifiedLink(context)
            guard let url = link.url else { throw APIError.notFound("not a link") }
            if let dispatch = try await self.dispatch(link.dispatchID)?.dispatch, dispatch.channel == .email {
                var events = [self.interaction(.emailClicked, dispatch, detail: url)]
                if let alias = link.alias { events.append(self.interaction(.emailAliasClicked, dispatch, detail: alias)) }
                try await self.ingest(events, source: "tracking")
                self.metrics.captured("email_clicked")
            }
            return Self.redirect(to: url)
        }
        router.get("/s/:token") { _, context -> Response in
            let link = try self.verifiedLink(context)
            guard let url = link.url else { throw APIError.notFound("not a link") }
            if let dispatch = try await self.dispatch(link.dispatchID)?.dispatch, dispatch.channel == .sms {
                try await self.ingest([self.interaction(.smsLinkClicked, dispatch, detail: url)], source: "tracking")
                self.metrics.captured("sms_link_clicked")
            }
            return Self.redirect(to: url)
        }
        router.get("/o/:token") { _, context -> Response in
            let link = try self.verifiedLink(context)
            if let dispatch = try await self.dispatch(link.dispatchID)?.dispatch, dispatch.channel == .email {
                try await self.ingest([self.interaction(.emailOpened, dispatch, detail: nil)], source: "tracking")
                self.metrics.captured("email_opened")
            }
            return Response(status: .ok, headers: [.contentType: "image/gif", .cacheControl: "no-store, max-age=0"],
                            body: ResponseBody(byteBuffer: ByteBuffer(bytes: Self.pixel)))
        }
        // Unsubscribe: a GET (a person, or a link scanner) only shows a button; the POST
        // (that button, or a mail client's RFC 8058 one-click POST) unsubscribes.
        router.get("/u/:token") { _, context -> Response in
            let token = try context.parameters.require("token")
            guard self.tracking.tokens.verify(token)?.alias == "unsubscribe" else { throw APIError.notFound("unknown link") }
            let page = """
                <!doctype html><html><head><meta charset="utf-8"><title>Unsubscribe</title></head><body>
                <form method="post"><p>Stop these messages?</p><button type="submit">Unsubscribe</button></form></body></html>
                """
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: page)))
        }
        router.post("/u/:token") { _, context -> Response in
            let token = try context.parameters.require("token")
            guard let link = self.tracking.tokens.verify(token), link.alias == "unsubscribe" else { throw APIError.notFound("unknown link") }
            if let dispatch = try await self.dispatch(link.dispatchID)?.dispatch, var user = try await self.store.user(dispatch.userID) {
                user.subscriptions[dispatch.channel] = .unsubscribed
                try await self.store.save(user)
                self.metrics.captured("unsubscribed")
            }
            return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: "<!doctype html><p>You are unsubscribed.</p>")))
        }
    }

    func verifiedLink(_ context: BasicRequestContext) throws -> TrackedLink {
        guard let link = tracking.tokens.verify(try context.parameters.require("token")) else { throw APIError.notFound("unknown link") }
        return link
    }

    /// An interaction with `dispatch`'s follow-up now, as a new event.
    func interaction(_ kind: InteractionKind, _ dispatch: Dispatch, detail: String?, id: String? = nil) -> Event {
        Event(id: EventID(id ?? "\(kind.rawValue):\(dispatch.id):\(UUID().uuidString)"), userID: dispatch.userID, time: clock.now(),
              payload: .interaction(Interaction(kind: kind, campaign: dispatch.followUp, detail: detail)))
    }

    static func redirect(to url: String) -> Response {
        Response(status: .found, headers: [.location: url, .cacheControl: "no-store"])
    }
}
