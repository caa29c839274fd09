import ConnectorCore
import ConnectorStore
import Foundation
import Hummingbird

extension ConnectorService {
    func addReadRoutes(to router: Router<BasicRequestContext>) {
        // Why a user got (or did not get) each follow-up.
        router.get("/v1/users/:id/trace") { request, context -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            let id = try context.parameters.require("id")
            let records = try await self.store.trace(for: UserID(id))
            return json(tree: .object(["user_id": .string(id), "trace": .array(records.map { record in
                .object(["time": jsonTime(record.time), "campaign": .string(record.campaign.rawValue), "action": .string(record.action.rawValue),
                         "code": .string(record.reason.code.rawValue), "reason": .string(record.reason.text)])
            })]))
        }
        router.get("/v1/users/:id/waiting") { request, context -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            let entries = try await self.store.waitingEntries(for: UserID(try context.parameters.require("id")))
            return json(tree: .object(["waiting": .array(entries.map(Self.entryJSON))]))
        }
        // Waiting entries across users (`?follow_up=`), and their count per follow-up.
        router.get("/v1/waiting") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            let entries = try await self.store.waitingEntries(WaitingFilter(followUp: self.query(request, "follow_up").map { CampaignID($0) },
                                                                             limit: try self.limit(request)))
            return json(tree: .object(["waiting": .array(entries.map(Self.entryJSON))]))
        }
        // How many users wait for each follow-up.
        router.get("/v1/waiting/counts") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            let counts = try await self.store.waitingCounts()
            return json(tree: .object(["counts": .object(Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, AttributeValue.number(Double($0.value))) }))]))
        }
        // Dispatches: `?user=`, `?campaign=`, `?state=sent,dead`.
        router.get("/v1/outbox") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            var states: Set<DispatchState>?
            if let text = self.query(request, "state") {
                var parsed: Set<DispatchState> = []
                for name in text.split(separator: ",") {
                    guard let state = DispatchState(rawValue: String(name)) else {
                        throw APIError(.invalid, "unknown state '\(name)'; use \(DispatchState.allCases.map(\.rawValue).joined(separator: ", "))", field: "state")
                    }
                    parsed.insert(state)
                }
                states = parsed
            }
            let items = try await self.store.outbox(OutboxFilter(states: states, followUp: self.query(request, "campaign").map { CampaignID($0) },
                                                                 user: self.query(request, "user").map { UserID($0) }, limit: try self.limit(request)))
            return json(tree: .object(["dispatches": .array(items.map(Self.dispatchJSON))]))
        }
        // One dispatch with every try at sending it (no secret, no body).
        router.get("/v1/dispatches/:id") { request, context -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            let id = try context.parameters.require("id")
            guard let item = try await self.dispatch(id) else { throw APIError.notFound("no dispatch '\(id)'") }
            let attempts = try await self.store.attempts(of: id)
            guard case .object(var fields) = Self.dispatchJSON(item) else { return json(tree: Self.dispatchJSON(item)) }
            fields["attempts"] = .array(attempts.map { attempt in
                .object(["at": jsonTime(attempt.at), "provider": .string(attempt.provider), "status_code": attempt.statusCode.map { .number(Double($0)) } ?? .null,
                         "latency_ms": .number((attempt.latency * 1000).rounded()), "provider_message_id": attempt.providerMessageID.map(AttributeValue.string) ?? .null,
                         "error_class": attempt.errorClass.map(AttributeValue.string) ?? .null, "error": attempt.error.map(AttributeValue.string) ?? .null])
            })
            return json(tree: .object(fields))
        }
        // What the sandbox provider captured: rendered follow-ups, newest first
        // (`?user=`, `?channel=`, `?limit=`).
        router.get("/v1/sandbox/messages") { request, _ -> Response in
            _ = try self.keys.authorize(request.headers, .read)
            var channel: Channel?
            if let name = self.query(request, "channel") {
                guard let value = Channel(rawValue: name) else { throw APIError(.invalid, "unknown channel '\(name)'", field: "channel") }
                channel = value
            }
            let kept = try await self.store.keptMessages(KeptMessageFilter(user: self.query(request, "user").map { UserID($0) }, channel: channel,
                                                                           limit: try self.limit(request)))
            return json(tree: .object(["messages": .array(kept.map(Self.keptJSON))]))
        }
    }

    static func entryJSON(_ entry: WaitingEntry) -> AttributeValue {
        .object(["id": .string(entry.id), "follow_up": .string(entry.followUp.rawValue), "user_id": .string(entry.userID.rawValue),
                 "trigger_event_id": .string(entry.triggerEventID.rawValue), "trigger_time": jsonTime(entry.triggerTime),
                 "due_at": jsonTime(entry.dueAt)])
    }

    static func dispatchJSON(_ item: OutboxItem) -> AttributeValue {
        let dispatch = item.dispatch
        return .object([
            "id": .string(dispatch.id), "follow_up": .string(dispatch.followUp.rawValue), "campaign_version": .number(Double(dispatch.campaignVersion)),
            "user_id": .string(dispatch.userID.rawValue), "channel": .string(dispatch.channel.rawValue),
            "trigger_event_id": .string(dispatch.triggerEventID.rawValue), "idempotency_key": .string(dispatch.idempotencyKey),
            "created_at": jsonTime(dispatch.createdAt), "state": .string(item.state.rawValue), "tries": .number(Double(item.attempts)),
            "next_attempt_at": jsonTime(item.nextAttemptAt), "provider_message_id": item.providerMessageID.map(AttributeValue.string) ?? .null,
            "reason_code": item.reason.map { .string($0.code.rawValue) } ?? .null, "reason": item.reason.map { .string($0.text) } ?? .null,
            "updated_at": jsonTime(item.updatedAt),
        ])
    }

    static func keptJSON(_ kept: KeptMessage) -> AttributeValue {
        .object([
            "dispatch_id": .string(kept.dispatchID), "user_id": .string(kept.userID.rawValue), "campaign": .string(kept.campaign.rawValue),
            "channel": .string(kept.channel.rawValue), "provider": .string(kept.provider), "at": jsonTime(kept.at),
            "expires_at": jsonTime(kept.expiresAt), "dismissed_at": jsonTime(kept.dismissedAt),
            "message": (try? AttributeValue(json: String(decoding: kept.json, as: UTF8.self))) ?? .null,
        ])
    }
}
