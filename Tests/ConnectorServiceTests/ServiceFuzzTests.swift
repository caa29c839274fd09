import CurlTransport
import Foundation
import PeerSupport
import Testing

/// Generated bad input against every endpoint that reads a body: mutated valid bodies
/// (flipped, cut, repeated bytes, stray tokens, invalid UTF-8) and random JSON built from
/// the endpoint's own field names with wrong types, deep nesting and long strings. Every
/// answer must be a 2xx or a 4xx with a JSON error or per-item results (never a 5xx,
/// never a dropped connection), and the service must still be healthy and stop cleanly.
@Suite("Service fuzz: thousands of generated bodies per endpoint, no 5xx, no crash")
struct ServiceFuzzTests {
    /// Seeded, so a failure can be replayed.
    typealias Generator = SeededGenerator

    struct Endpoint: Sendable {
        var method: HTTPMethod
        var path: String
        var seed: String
        var fields: [String]
        var key: String?
    }

    static let endpoints: [Endpoint] = [
        Endpoint(method: .post, path: "/v1/events",
                 seed: #"{"events": [{"id": "e1", "user_id": "ada", "time": "2026-03-02T09:00:00Z", "type": "interaction", "kind": "push_opened", "campaign": "seed"}, {"id": "e2", "user_id": "bob", "time": "2026-03-02T09:01:00Z", "type": "purchase", "product_id": "p", "price": 3, "currency": "EUR"}]}"#,
                 fields: ["events", "id", "user_id", "time", "type", "kind", "campaign", "detail", "product_id", "price", "currency", "quantity", "name", "properties", "attributes"],
                 key: ServiceUnderTest.apiKey),
        Endpoint(method: .post, path: "/v1/users",
                 seed: #"{"users": [{"id": "ada", "attributes": {"plan": "pro"}, "time_zone": "Europe/Berlin", "addresses": {"email": "a@example.com", "push": "t"}, "subscriptions": {"email": "subscribed"}}]}"#,
                 fields: ["users", "id", "attributes", "time_zone", "addresses", "subscriptions", "email", "push", "sms"], key: ServiceUnderTest.apiKey),
        Endpoint(method: .post, path: "/v1/batch",
                 seed: #"{"batch": [{"type": "track", "userId": "ada", "event": "Order Completed", "messageId": "m1", "properties": {"total": 3, "currency": "eur"}}, {"type": "identify", "userId": "ada", "traits": {"email": "a@example.com"}}], "writeKey": "\#(ServiceUnderTest.apiKey)"}"#,
                 fields: ["batch", "type", "userId", "event", "messageId", "properties", "traits", "timestamp", "context", "timezone", "writeKey"], key: nil),
        Endpoint(method: .post, path: "/users/track",
                 seed: #"{"attributes": [{"external_id": "ada", "email": "a@example.com"}], "events": [{"external_id": "ada", "name": "x", "time": "2026-03-02T09:00:00Z"}], "purchases": [{"external_id": "ada", "product_id": "p", "currency": "EUR", "price": 1}]}"#,
                 fields: ["attributes", "events", "purchases", "external_id", "name", "time", "product_id", "currency", "price", "quantity", "properties"],
                 key: ServiceUnderTest.apiKey),
        Endpoint(method: .post, path: "/v1/sdk/interactions", seed: #"{"dispatch_id": "d_1", "kind": "content_card_clicked", "detail": "b", "id": "c1"}"#,
                 fields: ["dispatch_id", "kind", "detail", "id"], key: ServiceUnderTest.sdkKey),
        Endpoint(method: .put, path: "/v1/campaigns/fuzz",
                 seed: "id: fuzz\nchannels: [push]\nmessages: { push: { title: 'Hi {{ ${first_name} }}', body: 'x' } }\ntrigger: { kind: push_opened, campaign: seed }\ndelay: { after: 1h }\n",
                 fields: ["id", "channels", "messages", "push", "trigger", "kind", "campaign", "delay", "after", "exceptions", "audience"], key: ServiceUnderTest.apiKey),
        Endpoint(method: .put, path: "/v1/users/ada", seed: #"{"id": "ada", "attributes": {"a": [1, {"b": null}]}, "addresses": {"email": "a@example.com"}}"#,
                 fields: ["id", "attributes", "time_zone", "addresses", "subscriptions"], key: ServiceUnderTest.apiKey),
        Endpoint(method: .post, path: "/v1/webhooks/mg", seed: #"{"signature": {"timestamp": "1772442000", "token": "t", "signature": "00"}, "event-data": {"event": "opened", "id": "x", "user-variables": {"dispatch_id": "d_1"}}}"#,
                 fields: ["signature", "timestamp", "token", "event-data", "event", "id", "user-variables", "dispatch_id"], key: nil),
    ]

    static let tokens = ["{", "}", "[", "]", "\"", ":", ",", "null", "true", "1e999", "-0", "\\u0000", "\\ud800", "\u{0}", "{{", "{%", "${", "ü", "\u{FEFF}"]

    /// A mutation of `seed`: 1 to 4 byte-level changes.
    static func mutate(_ seed: String, _ random: inout Generator) -> [UInt8] {
        var bytes = Array(seed.utf8)
        for _ in 0..<Int.random(in: 1...4, using: &random) where !bytes.isEmpty {
            let at = Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<6, using: &random) {
            case 0: bytes[at] ^= UInt8.random(in: 1...255, using: &random)
            case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &random)))
            case 2: bytes.insert(contentsOf: Array((tokens.randomElement(using: &random) ?? "{").utf8), at: at)
            case 3: bytes = Array(bytes.prefix(at))
            case 4: bytes.insert(contentsOf: bytes[at..<min(bytes.count, at + 32)], at: at)
            default: bytes.insert(contentsOf: [0xC3, 0x28], at: at)  // invalid UTF-8
            }
        }
        return bytes
    }

    /// Random JSON from the endpoint's field names, of any type, up to `depth` deep.
    static func value(_ fields: [String], depth: Int, _ random: inout Generator) -> String {
        switch Int.random(in: 0..<(depth > 0 ? 9 : 6), using: &random) {
        case 0: return "null"
        case 1: return Bool.random(using: &random) ? "true" : "false"
        case 2: return [String(Int.random(in: -1_000_000...1_000_000, using: &random)), "1e308", "-1.5", "0.1", "9007199254740993"].randomElement(using: &random) ?? "0"
        case 3: return "\"" + String(repeating: "x", count: Int.random(in: 0...4, using: &random) == 0 ? 20_000 : Int.random(in: 0...12, using: &random)) + "\""
        case 4: return ["\"2026-03-02T09:00:00Z\"", "\"2026-02-30T09:00:00Z\"", "\"push_opened\"", "\"EUR\"", "\"\"", "\"Europe/Berlin\"", "\"a@b\""]
            .randomElement(using: &random) ?? "\"\""
        case 5: return "\"" + (fields.randomElement(using: &random) ?? "x") + "\""
        case 6, 7:
            let count = Int.random(in: 0...5, using: &random)
            return "{" + (0..<count).map { _ in "\"\(fields.randomElement(using: &random) ?? "x")\": \(value(fields, depth: depth - 1, &random))" }
                .joined(separator: ", ") + "}"
        default:
            let count = Int.random(in: 0...4, using: &random)
            return "[" + (0..<count).map { _ in value(fields, depth: depth - 1, &random) }.joined(separator: ", ") + "]"
        }
    }

    /// One generated body.
    static func body(for endpoint: Endpoint, _ random: inout Generator) -> [UInt8] {
        switch Int.random(in: 0..<10, using: &random) {
        case 0...4: return mutate(endpoint.seed, &random)
        case 5...8:
            var text = value(endpoint.fields, depth: Int.random(in: 1...6, using: &random), &random)
            // Keep the endpoint's key so the body reaches the field checks past the key check.
            if endpoint.path == "/v1/batch", text.hasPrefix("{"), text.count > 2 {
                text = "{\"writeKey\": \"\(ServiceUnderTest.apiKey)\", " + text.dropFirst()
            }
            return Array(text.utf8)
        default:
            let depth = Int.random(in: 100...3000, using: &random)
            return Array((String(repeating: "[", count: depth) + String(repeating: "]", count: depth)).utf8)
        }
    }

    @Test("2,000 generated bodies for each of 8 endpoints: only 2xx and 4xx answers with JSON errors; still healthy afterwards")
    func generatedBodies() async throws {
        let seed = UInt64(ProcessInfo.processInfo.environment["CONNECTOR_FUZZ_SEED"] ?? "") ?? 20_261_202
        let perEndpoint = 2000
        let service = try await ServiceUnderTest(campaigns: ["seed": campaign("id: seed\nchannels: [push]\nmessages: { push: { body: 'x' } }")],
                                                 extra: "webhooks: { mg: { kind: mailgun, signing_key: fuzz-signing-key } }")
        var statuses: [Int: Int] = [:]
        for (number, endpoint) in Self.endpoints.enumerated() {
            var random = Generator(state: seed &+ UInt64(number))
            let bodies = (0..<perEndpoint).map { _ in Self.body(for: endpoint, &random) }
            // 8 requests in flight at a time.
            try await withThrowingTaskGroup(of: (Int, Int, String).self) { group in
                var next = 0
                func add() {
                    guard next < bodies.count else { return }
                    let index = next, body = bodies[index]
                    next += 1
                    group.addTask {
                        var headers: HTTPHeaders = ["Content-Type": "application/json"]
                        if let key = endpoint.key { headers.add(name: "Authorization", value: "Bearer \(key)") }
                        let response = try await service.client.execute(HTTPRequest(method: endpoint.method, url: service.baseURL + endpoint.path, headers: headers,
                                                                                    body: body, httpVersion: .http1_1))
                        return (index, response.status, response.status >= 400 ? response.bodyText : "")
                    }
                }
                for _ in 0..<8 { add() }
                while let (index, status, text) = try await group.next() {
                    statuses[status, default: 0] += 1
                    #expect(status < 500, "\(endpoint.path) body #\(index) (seed \(seed)): \(status) \(text.prefix(200)) for \(String(decoding: bodies[index].prefix(200), as: UTF8.self))")
                    if status >= 400 {
                        // A refusal ({"error": ...}) or a batch's per-item results.
                        let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
                        #expect(object["error"] != nil || object["results"] != nil || object["errors"] != nil,
                                "\(endpoint.path) body #\(index): a \(status) without a JSON error: \(text.prefix(200))")
                    }
                    add()
                }
            }
        }
        #expect(statuses.values.reduce(0, +) == perEndpoint * Self.endpoints.count)
        #expect(statuses.keys.contains { (200..<300).contains($0) }, "some generated bodies are valid: \(statuses)")
        #expect(statuses.keys.contains(400), "\(statuses)")
        let health = try await service.call(.get, "/health", key: nil)
        #expect(health.status == 200, "\(health.bodyText)")
        #expect(await service.stop() == .exited(0))
    }
}
