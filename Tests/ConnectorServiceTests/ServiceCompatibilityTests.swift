import ChildProcess
import ConnectorCore
import CurlTransport
import Foundation
import PeerSupport
import Testing

/// Existing clients unchanged: Segment's official Python library against `/v1/batch` (with
/// the write key in the body, as it sends it), Segment's single calls (Basic auth), and Braze's `/users/track`.
@Suite("Service compatibility: Segment's HTTP tracking API and Braze's /users/track")
struct ServiceCompatibilityTests {
    static let campaigns = [
        "seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'x' } }"),
        "later": campaign("""
            id: later
            channels: [push]
            messages: { push: { body: "Later" } }
            trigger: { kind: push_opened, campaign: seed }
            delay: { after: 1d }
            exceptions:
              - { purchase: any }
            """),
    ]

    @Test("R13: Segment's official client identifies a user and its Order Completed cancels a waiting follow-up as a purchase")
    func officialSegmentClient() async throws {
        // The real clock: the library stamps its calls with the time now.
        let service = try await ServiceUnderTest(campaigns: Self.campaigns, clock: "system")
        #expect(try await service.events([event("e1", "ada", Date().addingTimeInterval(-60).ISO8601Format(), "push_opened", "seed")]).status == 200)
        let script = Peer.repositoryRoot.appendingPathComponent("Tests/Peers/segment_send.py").path
        let process = try ChildProcess(executable: "/usr/bin/env", arguments: [Peer.python, script, service.baseURL, ServiceUnderTest.apiKey, "ada"],
                                       standardError: .standardOutput)
        let (output, termination) = await process.outputAndTermination()
        let text = String(decoding: output, as: UTF8.self)
        #expect(termination == .exited(0) && text.contains("SENT"), "\(text)")
        let user = ServiceUnderTest.json(try await service.call(.get, "/v1/users/ada"))
        #expect((user["attributes"] as? [String: Any])?["plan"] as? String == "pro", "\(user)")
        #expect((user["addresses"] as? [String: Any])?["email"] as? String == "ada@example.com")
        #expect(user["time_zone"] as? String == "Europe/Berlin")
        let trace = try #require(ServiceUnderTest.json(try await service.call(.get, "/v1/users/ada/trace"))["trace"] as? [[String: Any]])
        #expect(trace.contains { $0["campaign"] as? String == "later" && $0["action"] as? String == "cancelled" && ($0["reason"] as? String ?? "").contains("purchase") },
                "\(trace)")
        #expect(await service.stop() == .exited(0))
    }

    @Test("Segment's single calls: a missing userId is 400 naming it, a compressed body 415, a wrong write key 401; a repeated messageId is a duplicate (R25)")
    func segmentCalls() async throws {
        let service = try await ServiceUnderTest(campaigns: Self.campaigns)
        let basic = [("Authorization", "Basic " + Data("\(ServiceUnderTest.apiKey):".utf8).base64EncodedString())]
        let track = #"{"userId": "ada", "event": "Cart Viewed", "messageId": "m-1", "timestamp": "2026-03-02T09:00:00Z", "properties": {"items": 2}}"#
        let first = try await service.call(.post, "/v1/track", track, key: nil, headers: basic)
        #expect(first.status == 200 && ServiceUnderTest.json(first)["accepted"] as? Int == 1, "\(first.bodyText)")
        let again = try await service.call(.post, "/v1/track", track, key: nil, headers: basic)
        #expect(ServiceUnderTest.json(again)["duplicates"] as? Int == 1)
        let anonymous = try await service.call(.post, "/v1/track", #"{"anonymousId": "a-1", "event": "Cart Viewed"}"#, key: nil, headers: basic)
        #expect(anonymous.status == 400)
        #expect((ServiceUnderTest.json(anonymous)["errors"] as? [[String: Any]])?.first?["field"] as? String == "userId", "\(anonymous.bodyText)")
        let gzip = try await service.call(.post, "/v1/batch", #"{"batch": []}"#, key: nil, headers: basic + [("Content-Encoding", "gzip")])
        #expect(gzip.status == 415)
        let wrong = [("Authorization", "Basic " + Data("not-the-key:".utf8).base64EncodedString())]
        #expect(try await service.call(.post, "/v1/track", track, key: nil, headers: wrong).status == 401)
        #expect(await service.stop() == .exited(0))
    }

    @Test("Braze /users/track: attributes, events and purchases processed; a bad purchase named by array and index; a retry is a duplicate (R25)")
    func brazeUsersTrack() async throws {
        let service = try await ServiceUnderTest(campaigns: Self.campaigns)
        let body = """
            {"attributes": [{"external_id": "ada", "first_name": "Ada", "email": "ada@example.com", "time_zone": "Asia/Tokyo"}],
             "events": [{"external_id": "ada", "name": "played", "time": "2026-03-02T09:00:00Z", "properties": {"level": 3}}],
             "purchases": [{"external_id": "ada", "product_id": "sku", "currency": "EUR", "price": 9.5, "time": "2026-03-02T09:00:00Z"},
                           {"external_id": "ada", "product_id": "sku", "currency": "EUR", "price": "free"}]}
            """
        let answer = try await service.call(.post, "/users/track", body)
        #expect(answer.status == 400, "\(answer.bodyText)")
        let json = ServiceUnderTest.json(answer)
        #expect(json["message"] as? String == "partial_success" && json["attributes_processed"] as? Int == 1)
        #expect(json["events_processed"] as? Int == 1 && json["purchases_processed"] as? Int == 1)
        let errors = try #require(json["errors"] as? [[String: Any]])
        #expect(errors.count == 1 && errors.first?["input_array"] as? String == "purchases" && errors.first?["index"] as? Int == 1)
        let user = ServiceUnderTest.json(try await service.call(.get, "/v1/users/ada"))
        #expect(user["time_zone"] as? String == "Asia/Tokyo" && (user["addresses"] as? [String: Any])?["email"] as? String == "ada@example.com")
        let retry = ServiceUnderTest.json(try await service.call(.post, "/users/track", body))
        #expect(retry["duplicates"] as? Int == 2)
        let ok = try await service.call(.post, "/users/track", #"{"events": [{"external_id": "bob", "name": "x"}]}"#)
        #expect(ok.status == 201 && ServiceUnderTest.json(ok)["message"] as? String == "success")
        #expect(await service.stop() == .exited(0))
    }
}
