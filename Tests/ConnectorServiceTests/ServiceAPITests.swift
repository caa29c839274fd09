import ConnectorCore
import CurlTransport
import Foundation
import Testing

/// The API's keys and its answers to bad input: the right status, the field at fault, the
/// valid items of a batch kept.
@Suite("Service API: keys and scopes, batch validation, limits, campaigns and users")
struct ServiceAPITests {
    static let campaigns = [
        "seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'Free shipping' } }"),
        "later": campaign("""
            id: later
            channels: [push]
            messages: { push: { body: "Later" } }
            trigger: { kind: push_opened, campaign: seed }
            delay: { after: 1h }
            """),
    ]

    static func error(_ response: HTTPResponse) -> [String: Any] { (ServiceUnderTest.json(response)["error"] as? [String: Any]) ?? [:] }

    @Test("no key or a wrong key: 401 without detail; a key without the scope: 403; read, Basic (Segment's write key) and X-API-Key work")
    func keys() async throws {
        let service = try await ServiceUnderTest(campaigns: Self.campaigns)
        for key in [nil, "wrong-key-0123456789", ServiceUnderTest.sdkKey] {
            let answer = try await service.call(.get, "/v1/campaigns", key: key)
            #expect(answer.status == 401)
            #expect(Self.error(answer)["code"] as? String == "unauthorized")
            #expect(answer.headers.first(name: "WWW-Authenticate") == "Bearer")
            #expect(!answer.bodyText.contains("test-") && !answer.bodyText.contains("reader"), "no hint at the keys")
        }
        let forbidden = try await service.events([event("e1", "ada", "2026-03-02T09:00:00Z", "push_opened", "seed")]).status
        #expect(forbidden == 200)
        let reader = try await service.call(.post, "/v1/events", #"{"events": []}"#, key: ServiceUnderTest.readKey)
        #expect(reader.status == 403 && Self.error(reader)["code"] as? String == "forbidden")
        #expect(try await service.call(.get, "/v1/campaigns", key: ServiceUnderTest.readKey).status == 200)
        let basic = Data("\(ServiceUnderTest.readKey):".utf8).base64EncodedString()
        #expect(try await service.call(.get, "/v1/campaigns", key: nil, headers: [("Authorization", "Basic \(basic)")]).status == 200)
        #expect(try await service.call(.get, "/v1/campaigns", key: nil, headers: [("X-API-Key", ServiceUnderTest.readKey)]).status == 200)
        #expect(try await service.call(.get, "/metrics", key: nil).status == 401)
        let health = try await service.call(.get, "/health", key: nil)
        #expect(health.status == 200 && ServiceUnderTest.json(health)["status"] as? String == "ok", "\(health.bodyText)")
        #expect(await service.stop() == .exited(0))
    }

    @Test("R25: a batch's bad items are rejected with their field, the good ones kept and a repeated id is a duplicate")
    func batchValidation() async throws {
        let service = try await ServiceUnderTest(campaigns: Self.campaigns)
        let answer = try await service.events([
            event("e1", "ada", "2026-03-02T09:00:00Z", "push_opened", "seed"),
            #"{"id": "e2", "time": "2026-03-02T09:00:00Z", "type": "interaction", "kind": "push_opened", "campaign": "seed"}"#,
            #"{"id": "e3", "user_id": "bob", "time": "2026-03-02T09:00:00Z", "type": "interaction", "kind": "push_opened", "campaign": "seed", "colour": "red"}"#,
            #"{"id": "e4", "user_id": "cy", "time": true, "type": "interaction", "kind": "push_opened", "campaign": "seed"}"#,
            #"{"id": "e5", "user_id": "dee", "time": "2026-03-02T09:00:00Z", "type": "interaction", "kind": "push_flown", "campaign": "seed"}"#,
            event("e1", "ada", "2026-03-02T09:00:00Z", "push_opened", "seed"),
            "42",
        ])
        #expect(answer.status == 400)
        let body = ServiceUnderTest.json(answer)
        #expect(body["accepted"] as? Int == 1 && body["duplicates"] as? Int == 1 && body["rejected"] as? Int == 5, "\(answer.bodyText)")
        let results = try #require(body["results"] as? [[String: Any]])
        #expect(results.map { $0["status"] as? String } == ["accepted", "rejected", "rejected", "rejected", "rejected", "duplicate", "rejected"])
        let fields = results.map { ($0["error"] as? [String: Any])?["field"] as? String }
        #expect(fields == [nil, "events[1].user_id", "events[2].colour", "events[3].time", "events[4].kind", nil, "events[6]"])
        // The good event was decided: ada waits for `later`.
        let waiting = ServiceUnderTest.json(try await service.call(.get, "/v1/users/ada/waiting"))
        #expect((waiting["waiting"] as? [[String: Any]])?.first?["follow_up"] as? String == "later")
        let counts = ServiceUnderTest.json(try await service.call(.get, "/v1/waiting/counts", key: ServiceUnderTest.readKey))
        #expect((counts["counts"] as? [String: Any])?["later"] as? Int == 1, "\(counts)")
        let metrics = try await service.call(.get, "/metrics", key: ServiceUnderTest.readKey).bodyText
        #expect(metrics.contains(#"connector_waiting_entries{follow_up="later"} 1"#), "\(metrics)")
        #expect(metrics.contains(#"connector_events_ingested_total{result="rejected",source="api"} 5"#), "\(metrics)")
        #expect(await service.stop() == .exited(0))
    }

    @Test("malformed JSON, invalid UTF-8, deep nesting, a wrong shape: 400 naming the problem; an oversized body or batch: 413")
    func badBodies() async throws {
        let service = try await ServiceUnderTest(campaigns: Self.campaigns)
        let cases: [(String, Int, String)] = [
            (#"{"events": [ {"id": "#, 400, "bad_json"),
            (#"{"events": {"id": "e1"}}"#, 400, "invalid"),
            (#"{"evnts": []}"#, 400, "invalid"),
            (#"{"events": []}"#, 400, "invalid"),
            ("[" + String(repeating: "[", count: 5000) + String(repeating: "]", count: 5001), 400, "bad_json"),
            (#"{"events": ["# + Array(repeating: event("e", "u", "2026-03-02T09:00:00Z", "push_opened", "seed"), count: 51).joined(separator: ",") + "]}",
             413, "too_large"),
            (#"{"events": [{"id": ""# + String(repeating: "x", count: 70_000) + #""}]}"#, 413, "too_large"),
        ]
        for (body, status, code) in cases {
            let answer = try await service.call(.post, "/v1/events", body)
            #expect(answer.status == status, "\(body.prefix(60)): \(answer.status) \(answer.bodyText.prefix(200))")
            #expect(Self.error(answer)["code"] as? String == code, "\(body.prefix(60)): \(answer.bodyText.prefix(200))")
        }
        let utf8 = try await service.call(.post, "/v1/events", bytes: Array(#"{"events": [{"id": "e"#.utf8) + [0xC3, 0x28] + Array(#""}]}"#.utf8))
        #expect(utf8.status == 400 && Self.error(utf8)["code"] as? String == "bad_utf8")
        // Still serving after all of it.
        #expect(try await service.call(.get, "/health", key: nil).status == 200)
        #expect(await service.stop() == .exited(0))
    }

    @Test("campaigns: saved from a file's text (versions), errors with the field, publish with warnings (R26), refusals 409, stop")
    func campaignsAPI() async throws {
        let service = try await ServiceUnderTest(campaigns: [:])
        let bad = try await service.call(.put, "/v1/campaigns/o", "id: o\nchannels: [push]\nmessages: { push: { body: 'x' } }\ndelay: { after: soon }\n",
                                         headers: [("Content-Type", "application/yaml")])
        #expect(bad.status == 400 && Self.error(bad)["field"] as? String == "delay.after", "\(bad.bodyText)")
        let mismatch = try await service.call(.put, "/v1/campaigns/other", "id: o\nchannels: [push]\nmessages: { push: { body: 'x' } }\n")
        #expect(mismatch.status == 400 && Self.error(mismatch)["field"] as? String == "id")
        #expect(try await service.call(.put, "/v1/campaigns/o", "id: o\nchannels: [push]\nmessages: { push: { body: 'x' } }\n").status == 200)
        let follow = "id: f\nchannels: [push]\nmessages: { push: { body: 'y' } }\ntrigger: { kind: push_opened, campaign: o }\n"
        let saved = ServiceUnderTest.json(try await service.call(.put, "/v1/campaigns/f", follow))
        #expect((saved["campaign"] as? [String: Any])?["status"] as? String == "draft")
        let changed = ServiceUnderTest.json(try await service.call(.put, "/v1/campaigns/f", follow + "delay: { after: 2h }\n"))
        #expect((changed["campaign"] as? [String: Any])?["version"] as? Int == 2)
        // The original before its follow-up: published, with R26's warning.
        let original = try await service.call(.post, "/v1/campaigns/o/publish")
        #expect(original.status == 200)
        let warnings = try #require(ServiceUnderTest.json(original)["warnings"] as? [[String: Any]])
        #expect(!warnings.isEmpty, "\(original.bodyText)")
        #expect(try await service.call(.post, "/v1/campaigns/f/publish").status == 200)
        // A follow-up of a campaign that does not exist is refused with its issues.
        _ = try await service.call(.put, "/v1/campaigns/g", "id: g\nchannels: [push]\nmessages: { push: { body: 'z' } }\ntrigger: { kind: push_opened, campaign: nowhere }\n")
        let refused = try await service.call(.post, "/v1/campaigns/g/publish")
        #expect(refused.status == 409 && !((Self.error(refused)["issues"] as? [Any]) ?? []).isEmpty, "\(refused.bodyText)")
        let stopped = ServiceUnderTest.json(try await service.call(.post, "/v1/campaigns/f/stop"))
        #expect((stopped["campaign"] as? [String: Any])?["status"] as? String == "stopped")
        #expect(try await service.call(.post, "/v1/campaigns/f/explode").status == 404)
        #expect(try await service.call(.get, "/v1/campaigns/nowhere").status == 404)
        let detail = ServiceUnderTest.json(try await service.call(.get, "/v1/campaigns/f"))
        #expect(detail["versions"] as? [Int] == [1, 2])
        #expect(await service.stop() == .exited(0))
    }

    @Test("users: saved whole by id, read back, deleted (admin scope); a body for another id or a bad field is 400 with the field")
    func users() async throws {
        let service = try await ServiceUnderTest(campaigns: [:])
        #expect(try await service.call(.put, "/v1/users/ada", user("ada", email: "ada@example.com")).status == 200)
        let back = ServiceUnderTest.json(try await service.call(.get, "/v1/users/ada", key: ServiceUnderTest.readKey))
        #expect((back["attributes"] as? [String: Any])?["first_name"] as? String == "Ada")
        #expect((back["addresses"] as? [String: Any])?["email"] as? String == "ada@example.com")
        #expect(Self.error(try await service.call(.put, "/v1/users/bob", user("ada")))["field"] as? String == "id")
        let badEmail = try await service.call(.put, "/v1/users/ada", #"{"id": "ada", "addresses": {"email": "not-an-address"}}"#)
        #expect(badEmail.status == 400 && Self.error(badEmail)["field"] as? String == "addresses.email")
        let batch = try await service.call(.post, "/v1/users", #"{"users": [{"id": "b1"}, {"id": ""}, {"id": "b3", "time_zone": "Mars/Olympus"}]}"#)
        #expect(batch.status == 400)
        let results = try #require(ServiceUnderTest.json(batch)["results"] as? [[String: Any]])
        #expect(results.map { $0["status"] as? String } == ["accepted", "rejected", "rejected"])
        #expect(try await service.call(.get, "/v1/users/b1").status == 200)
        #expect(try await service.call(.get, "/v1/users/b3").status == 404)
        #expect(try await service.call(.delete, "/v1/users/b1", key: ServiceUnderTest.readKey).status == 403)
        let deleted = try await service.call(.delete, "/v1/users/b1")
        #expect(deleted.status == 200 && ServiceUnderTest.json(deleted)["status"] as? String == "deleted")
        #expect(try await service.call(.get, "/v1/users/b1").status == 404)
        #expect(try await service.call(.delete, "/v1/users/b1").status == 404)
        #expect(await service.stop() == .exited(0))
    }
}
