import ConnectorCore
import ConnectorStore
import Foundation
import Hummingbird

/// One item's result in a batch answer.
struct ItemResult: Encodable {
    var index: Int
    var id: String?
    /// accepted, duplicate, failed (the store refused it) or rejected (malformed).
    var status: String
    var error: FieldError?

    struct FieldError: Encodable {
        var field: String?
        var message: String
    }
}

/// A batch answer: counts, then every item in order.
struct BatchResult: Encodable {
    var accepted: Int
    var duplicates: Int
    var rejected: Int
    var failed: Int
    var results: [ItemResult]
}

extension ConnectorService {
    func addEventRoutes(to router: Router<BasicRequestContext>) {
        // Events in batches: `{"events": [...]}` (or a bare array). Each item is checked on
        // its own; the valid ones are ingested even when others are not (the answer is then
        // 400 with every item's result), and an event id seen before is a duplicate (R25).
        router.post("/v1/events") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .ingest)
            let items = try self.batchItems(try await self.bodyJSON(request), field: "events")
            var events: [(index: Int, event: Event)] = []
            var results: [ItemResult?] = Array(repeating: nil, count: items.count)
            for (index, item) in items.enumerated() {
                do throws(DocumentError) {
                    events.append((index, try EventJSON.event(item)))
                } catch {
                    results[index] = ItemResult(index: index, id: item.stringField("id"), status: "rejected",
                                                error: .init(field: "events[\(index)]" + (error.field.isEmpty ? "" : ".\(error.field)"), message: error.message))
                }
            }
            let rejected = results.count { $0 != nil }
            let report = try await self.ingest(events.map(\.event), source: "api", rejected: rejected)
            // An id the store had before is a duplicate every time; one new in this batch
            // is accepted the first time and a duplicate after (the report lists each).
            var duplicates: [EventID: Int] = [:], occurrences: [EventID: Int] = [:]
            for id in report.duplicates { duplicates[id, default: 0] += 1 }
            for (_, event) in events { occurrences[event.id, default: 0] += 1 }
            var seen: [EventID: Int] = [:]
            let failures = Dictionary(report.failures.map { ($0.eventID, $0.reason) }, uniquingKeysWith: { first, _ in first })
            for (index, event) in events {
                seen[event.id, default: 0] += 1
                if let reason = failures[event.id] {
                    results[index] = ItemResult(index: index, id: event.id.rawValue, status: "failed", error: .init(field: nil, message: reason))
                } else {
                    let accepted = (occurrences[event.id] ?? 0) - (duplicates[event.id] ?? 0)
                    results[index] = ItemResult(index: index, id: event.id.rawValue, status: (seen[event.id] ?? 0) <= accepted ? "accepted" : "duplicate")
                }
            }
            let answer = BatchResult(accepted: report.accepted, duplicates: report.duplicates.count, rejected: rejected,
                                     failed: report.failures.count, results: results.compactMap { $0 })
            return try json(answer, status: rejected + report.failures.count > 0 ? .badRequest : .ok)
        }

        // Users: one by id (`PUT`, the whole user), or many (`POST {"users": [...]}`).
        router.put("/v1/users/:id") { request, context -> Response in
            _ = try self.keys.authorize(request.headers, .ingest)
            let id = try context.parameters.require("id")
            let user: User
            do {
                user = try self.checkedChannels(UserJSON.user(json: try await self.bodyText(request)))
            } catch let error as DocumentError {
                throw APIError(.invalid, error.message, field: error.field.isEmpty ? nil : error.field)
            }
            guard user.id.rawValue == id else { throw APIError(.invalid, "the body's id '\(user.id.rawValue)' is not the path's '\(id)'", field: "id") }
            try await self.store.save(user)
            return try json(["id": id, "status": "saved"])
        }
        router.post("/v1/users") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .ingest)
            let items = try self.batchItems(try await self.bodyJSON(request), field: "users")
            var users: [User] = []
            var results: [ItemResult] = []
            for (index, item) in items.enumerated() {
                do throws(DocumentError) {
                    let user = try self.checkedChannels(UserJSON.user(json: item.jsonText))
                    users.append(user)
                    results.append(ItemResult(index: index, id: user.id.rawValue, status: "accepted"))
                } catch {
                    results.append(ItemResult(index: index, id: item.stringField("id"), status: "rejected",
                                              error: .init(field: "users[\(index)]" + (error.field.isEmpty ? "" : ".\(error.field)"), message: error.message)))
                }
            }
            if !users.isEmpty { try await self.store.save(users) }
            let rejected = items.count - users.count
            return try json(BatchResult(accepted: users.count, duplicates: 0, rejected: rejected, failed: 0, results: results),
                            status: rejected > 0 ? .badRequest : .ok)
        }
        // Deletes the user and what waits for them (nothing pending is sent); 404 if unknown.
        router.delete("/v1/users/:id") { request, context -> Response in
            _ = try self.keys.authorize(request.headers, .admin)
            let id = try context.parameters.require("id")
            let deletion = try await self.store.deleteUser(UserID(id))
            guard deletion.existed else { throw APIError.notFound("no user '\(id)'") }
            return json(tree: .object(["id": .string(id), "status": .string("deleted"), "waiting_removed": .number(Double(deletion.waitingRemoved)),
                                       "messages_removed": .number(Double(deletion.messagesRemoved))]))
        }
        router.get("/v1/users/:id") { request, context -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            let id = try context.parameters.require("id")
            guard let user = try await self.store.user(UserID(id)) else { throw APIError.notFound("no user '\(id)'") }
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: ResponseBody(byteBuffer: ByteBuffer(string: UserJSON.json(user))))
        }
    }

    /// The items of a batch body: `{"FIELD": [...]}` or a bare array, at most the
    /// configured number (413 above it).
    func batchItems(_ body: AttributeValue, field: String) throws -> [AttributeValue] {
        let items: [AttributeValue]
        switch body {
        case .array(let array): items = array
        case .object(let fields):
            if let unknown = fields.keys.sorted().first(where: { $0 != field }) {
                throw APIError(.invalid, "unknown field; send {\"\(field)\": [...]}", field: unknown)
            }
            guard case .array(let array)? = fields[field] else { throw APIError(.invalid, "expected a list", field: field) }
            items = array
        default:
            throw APIError(.invalid, "expected {\"\(field)\": [...]} or a list")
        }
        guard !items.isEmpty else { throw APIError(.invalid, "the batch is empty", field: field) }
        guard items.count <= configuration.limits.maxBatch else {
            throw APIError(.tooLarge, "\(items.count) items; at most \(configuration.limits.maxBatch) per batch (limits.max_batch)", field: field)
        }
        return items
    }
}

extension AttributeValue {
    /// A text field of an object, if it is one (for naming a rejected item).
    func stringField(_ name: String) -> String? {
        if case .object(let fields) = self, case .string(let text)? = fields[name] { return text }
        return nil
    }
}

extension ConnectorService {
    /// `user`, if every channel of its addresses and subscriptions has an adapter here (a
    /// misspelt `emial` address would otherwise be kept and never used).
    func checkedChannels(_ user: User) throws(DocumentError) -> User {
        let known = Set(adapters.channels)
        for (field, channels) in [("addresses", Array(user.addresses.keys)), ("subscriptions", Array(user.subscriptions.keys))] {
            for channel in channels.sorted() where !known.contains(channel) {
                throw DocumentError(field: "\(field).\(channel.rawValue)",
                                    message: "no channel '\(channel.rawValue)' here; channels: \(adapters.channels.map(\.rawValue).joined(separator: ", "))")
            }
        }
        return user
    }
}
