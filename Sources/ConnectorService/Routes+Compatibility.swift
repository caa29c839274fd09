import ConnectorCore
import ConnectorStore
import Crypto
import Foundation
import Hummingbird

/// Endpoints that existing clients call unchanged: Segment's HTTP tracking API
/// (`/v1/track`, `/v1/identify`, `/v1/batch`, with the write key as Basic auth's user
/// name or as the body's `writeKey`, the two ways Segment's libraries send it) and a
/// subset of Braze's `/users/track`
/// (attributes, events, purchases). Both end in the same ingest path as `/v1/events`.
extension ConnectorService {
    func addCompatibilityRoutes(to router: Router<BasicRequestContext>) {
        for (path, type) in [("/v1/track", "track"), ("/v1/identify", "identify")] {
            router.post(RouterPath(stringLiteral: path)) { request, _ -> Response in
                let body = try await self.bodyJSON(request)
                try self.authorizeSegment(request, body)
                return try await self.segment([body], defaultType: type, field: nil)
            }
        }
        router.post("/v1/batch") { request, _ -> Response in
            let body = try await self.bodyJSON(request)
            try self.authorizeSegment(request, body)
            guard case .object(let fields) = body, case .array(let items)? = fields["batch"] else {
                throw APIError(.invalid, "expected {\"batch\": [...]}", field: "batch")
            }
            guard !items.isEmpty else { throw APIError(.invalid, "the batch is empty", field: "batch") }
            guard items.count <= self.configuration.limits.maxBatch else {
                throw APIError(.tooLarge, "\(items.count) items; at most \(self.configuration.limits.maxBatch) per batch (limits.max_batch)", field: "batch")
            }
            return try await self.segment(items, defaultType: nil, field: "batch")
        }
        router.post("/users/track") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .ingest)
            return try await self.brazeTrack(try await self.bodyJSON(request))
        }
    }

    /// Segment's write key: in the Authorization header, else the body's `writeKey`.
    func authorizeSegment(_ request: Request, _ body: AttributeValue) throws {
        if request.headers[.authorization] != nil {
            _ = try keys.authorize(request.headers, .ingest)
        } else {
            _ = try keys.authorize(secret: body.stringField("writeKey"), .ingest)
        }
    }

    /// A stable event id for a client that sends none: the same item sent again (a retry)
    /// is the same event (R25).
    static func contentID(_ prefix: String, _ item: AttributeValue) -> String {
        prefix + ":" + SHA256.hash(data: Data(item.jsonText.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    /// A time field (RFC 3339), or the service's now when missing.
    func time(_ value: AttributeValue?, field: String) throws -> Date {
        switch value {
        case nil, .null?: return clock.now()
        case .string(let text)?:
            do { return try SupportedTime.parse(text) } catch { throw APIError(.invalid, "\(error)", field: field) }
        default: throw APIError(.invalid, "expected an RFC 3339 time", field: field)
        }
    }

    /// Segment calls: `track` becomes a custom event (`Order Completed` a purchase),
    /// `identify` updates the user (traits as attributes, `email` and `phone` as addresses).
    func segment(_ items: [AttributeValue], defaultType: String?, field: String?) async throws -> Response {
        var events: [Event] = [], errors: [AttributeValue] = []
        var identified = 0
        for (index, item) in items.enumerated() {
            let place = field.map { "\($0)[\(index)]" }
            do {
                guard case .object(let fields) = item else { throw APIError(.invalid, "expected an object") }
                let type = item.stringField("type") ?? defaultType ?? ""
                guard let userID = item.stringField("userId"), !userID.isEmpty else {
                    throw APIError(.invalid, "userId is required: the connector keys users by id (anonymousId alone is not enough)", field: "userId")
                }
                let time = try self.time(fields["timestamp"], field: "timestamp")
                let id = item.stringField("messageId").map { "segment:" + $0 } ?? Self.contentID("segment", item)
                switch type {
                case "track":
                    guard let name = item.stringField("event"), !name.isEmpty else { throw APIError(.invalid, "is required", field: "event") }
                    var properties: [String: AttributeValue] = [:]
                    if case .object(let given)? = fields["properties"] { properties = given }
                    events.append(Event(id: EventID(id), userID: UserID(userID), time: time, payload: Self.segmentPayload(name, properties)))
                case "identify":
                    var traits: [String: AttributeValue] = [:]
                    if case .object(let given)? = fields["traits"] { traits = given }
                    var timeZone: String?
                    if case .object(let context)? = fields["context"], case .string(let zone)? = context["timezone"], TimeZone(identifier: zone) != nil {
                        timeZone = zone
                    }
                    try await updateUser(UserID(userID), attributes: traits, timeZone: timeZone)
                    identified += 1
                case "page", "screen", "group", "alias":
                    continue  // accepted and ignored: nothing the engine decides on
                default:
                    throw APIError(.invalid, "unknown type '\(type)'; expected track or identify", field: "type")
                }
            } catch let error as APIError {
                let where_ = [place, error.field].compactMap { $0 }.joined(separator: ".")
                errors.append(.object(["index": .number(Double(index)), "field": where_.isEmpty ? .null : .string(where_), "message": .string(error.message)]))
            }
        }
        let report = try await ingest(events, source: "segment", rejected: errors.count)
        var answer: [String: AttributeValue] = ["success": .bool(errors.isEmpty), "accepted": .number(Double(report.accepted)),
                                                "duplicates": .number(Double(report.duplicates.count)), "identified": .number(Double(identified))]
        if !errors.isEmpty { answer["errors"] = .array(errors) }
        return json(tree: .object(answer), status: errors.isEmpty ? .ok : .badRequest)
    }

    static func segmentPayload(_ name: String, _ properties: [String: AttributeValue]) -> Event.Payload {
        // Segment's e-commerce spec: an order is a purchase (an exception in many campaigns).
        if name == "Order Completed" {
            var total = 0.0
            for key in ["total", "revenue", "value"] { if case .number(let value)? = properties[key], value.isFinite, value >= 0 { total = value; break } }
            var currency = "USD"
            if case .string(let code)? = properties["currency"], code.count == 3 { currency = code.uppercased() }
            var order = "order"
            if case .string(let id)? = properties["order_id"] { order = id }
            return .purchase(productID: order, price: total, currency: currency, quantity: 1)
        }
        return .custom(name: name, properties: properties)
    }

    /// Merges attributes into a user (creating it): `email` and `phone` also become the
    /// email and SMS addresses.
    func updateUser(_ id: UserID, attributes: [String: AttributeValue], timeZone: String?) async throws {
        var user = try await store.user(id) ?? User(id: id)
        for (name, value) in attributes {
            switch (name, value) {
            case ("email", .string(let address)) where address.contains("@"): user.addresses[.email] = address
            case ("phone", .string(let number)) where !number.isEmpty: user.addresses[.sms] = number
            default: break
            }
            user.attributes[name] = value
        }
        if let timeZone { user.timeZone = timeZone }
        try await store.save(user)
    }

    /// Braze's `/users/track`: `attributes` (by `external_id`), `events` and `purchases`.
    /// Answered as Braze answers: 201 with counts, and `errors` naming the array and index.
    func brazeTrack(_ body: AttributeValue) async throws -> Response {
        guard case .object(let fields) = body else { throw APIError(.invalid, "expected {\"attributes\": [...], \"events\": [...], \"purchases\": [...]}") }
        if let unknown = fields.keys.sorted().first(where: { !["attributes", "events", "purchases"].contains($0) }) {
            throw APIError(.invalid, "unknown field; known: attributes, events, purchases", field: unknown)
        }
        func array(_ name: String) throws -> [AttributeValue] {
            switch fields[name] {
            case nil, .null?: return []
            case .array(let items)?: return items
            default: throw APIError(.invalid, "expected a list", field: name)
            }
        }
        let attributes = try array("attributes"), eventItems = try array("events"), purchases = try array("purchases")
        guard attributes.count + eventItems.count + purchases.count <= configuration.limits.maxBatch else {
            throw APIError(.tooLarge, "at most \(configuration.limits.maxBatch) objects per request (limits.max_batch)")
        }
        var errors: [AttributeValue] = []
        func fail(_ array: String, _ index: Int, _ message: String) {
            errors.append(.object(["type": .string(message), "input_array": .string(array), "index": .number(Double(index))]))
        }
        var processed = 0
        for (index, item) in attributes.enumerated() {
            guard case .object(var values) = item, let id = item.stringField("external_id"), !id.isEmpty else {
                fail("attributes", index, "external_id is required")
                continue
            }
            values["external_id"] = nil
            let zone = item.stringField("time_zone").flatMap { TimeZone(identifier: $0) != nil ? $0 : nil }
            values["time_zone"] = nil
            try await updateUser(UserID(id), attributes: values, timeZone: zone)
            processed += 1
        }
        var events: [Event] = []
        for (index, item) in eventItems.enumerated() {
            guard case .object(let values) = item, let id = item.stringField("external_id"), !id.isEmpty,
                  let name = item.stringField("name"), !name.isEmpty else {
                fail("events", index, "external_id and name are required")
                continue
            }
            do {
                var properties: [String: AttributeValue] = [:]
                if case .object(let given)? = values["properties"] { properties = given }
                events.append(Event(id: EventID(Self.contentID("braze", item)), userID: UserID(id), time: try time(values["time"], field: "time"),
                                    payload: .custom(name: name, properties: properties)))
            } catch let error as APIError {
                fail("events", index, error.message)
            }
        }
        for (index, item) in purchases.enumerated() {
            guard case .object(let values) = item, let id = item.stringField("external_id"), !id.isEmpty,
                  let product = item.stringField("product_id"), !product.isEmpty,
                  case .number(let price)? = values["price"], price.isFinite, price >= 0,
                  let currency = item.stringField("currency"), currency.count == 3 else {
                fail("purchases", index, "external_id, product_id, price (a number >= 0) and currency (ISO 4217) are required")
                continue
            }
            var quantity = 1
            if case .number(let given)? = values["quantity"], given >= 1, given < 1e9, given == given.rounded() { quantity = Int(given) }
            do {
                events.append(Event(id: EventID(Self.contentID("braze", item)), userID: UserID(id), time: try time(values["time"], field: "time"),
                                    payload: .purchase(productID: product, price: price, currency: currency.uppercased(), quantity: quantity)))
            } catch let error as APIError {
                fail("purchases", index, error.message)
            }
        }
        let report = try await ingest(events, source: "braze", rejected: errors.count)
        let customEvents = events.filter { if case .custom = $0.payload { return true }; return false }.count
        var answer: [String: AttributeValue] = [
            "message": .string(errors.isEmpty ? "success" : "partial_success"),
            "attributes_processed": .number(Double(processed)), "events_processed": .number(Double(customEvents)),
            "purchases_processed": .number(Double(events.count - customEvents)), "duplicates": .number(Double(report.duplicates.count)),
        ]
        if !errors.isEmpty { answer["errors"] = .array(errors) }
        return json(tree: .object(answer), status: errors.isEmpty ? .created : .badRequest)
    }
}
