import ConnectorCore
import Foundation
import Testing

@testable import ConnectorStore

@Suite("Stored users")
struct UserRowTests {
    let ada = User(id: "ada", attributes: ["plan": .string("pro"), "orders": .number(3), "ratio": .number(0.25), "vip": .bool(true),
                                          "tags": .array([.string("a\"b"), .string("ü ☃ 😀"), .null]),
                                          "address": .object(["city": .string("Berlin\nMitte"), "zip": .string("10115")])],
                   timeZone: "Europe/Berlin", addresses: [.push: "tok", .email: "ada@example.com"],
                   subscriptions: [.email: .unsubscribed, .sms: .optedIn])

    func read(_ text: String) throws -> User {
        var text = text
        return try text.withUTF8 { try UserRow.user(json: $0) }
    }

    @Test("a user round-trips through its stored document, every field and character")
    func roundTrip() throws {
        #expect(try read(UserRow.json(ada)) == ada)
        #expect(try read(UserRow.json(User(id: "bare"))) == User(id: "bare"))
    }

    @Test("documents written by JSONEncoder (earlier versions) read the same")
    func readsFoundationDocuments() throws {
        let encoded = try JSONEncoder().encode(ada)
        #expect(try read(String(decoding: encoded, as: UTF8.self)) == ada)
    }

    @Test("a damaged document is an error naming what is wrong, not a user without fields")
    func damagedDocuments() {
        #expect(throws: StoreCorruption.self) { try read(#"{"id":"x","addresses":["push"]}"#) }
        #expect(throws: StoreCorruption.self) { try read(#"{"id":"x","addresses":["Pigeon!","coo"]}"#) }
        #expect(throws: StoreCorruption.self) { try read(#"{"attributes":{}}"#) }
        #expect(throws: StoreCorruption.self) { try read(#"{"id":"x""#) }
        do {
            _ = try read(#"{"id":"x","subscriptions":["email","maybe"]}"#)
        } catch {
            #expect("\(error)".contains("user x has an unknown subscription 'email': 'maybe'"))
        }
    }

    @Test("users saved through the store are what the engine reads back in ingestion (R5)")
    func engineSeesStoredAttributes() throws {
        let temporary = try TemporaryStore()
        var followUp = active("F")
        followUp.trigger = Trigger(kind: .pushOpened, target: "T")
        followUp.audience = .all([.attribute("plan", .equals(.string("pro"))), .reachable(.push)])
        let engine = ConnectorEngine(campaigns: [active("T"), followUp], workspaceTimeZone: TimeZone(identifier: "UTC") ?? .current)
        var bob = ada
        bob.id = "bob"
        bob.attributes["plan"] = .string("free")
        try temporary.store.save([ada, bob])
        #expect(try temporary.store.user("ada") == ada)
        let report = try temporary.store.ingest([interact(.pushOpened, "T", user: "ada", at: scenarioStart),
                                                 interact(.pushOpened, "T", user: "bob", at: scenarioStart)], engine: engine, now: scenarioStart)
        #expect(report.decisions.map { $0.entry != nil } == [true, false])
        #expect(report.decisions.last?.reason.text.contains("plan") == true)
    }
}
