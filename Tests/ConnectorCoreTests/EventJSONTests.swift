import ConnectorCore
import Foundation
import Testing

@Suite("Events from JSON")
struct EventJSONTests {
    @Test("each event type reads into the model; time as ISO 8601 (with fraction or offset) or seconds")
    func reads() throws {
        let open = try EventJSON.event(json: #"{"id":"e1","user_id":"ada","time":"2026-03-02T09:05:00Z","type":"interaction","kind":"push_opened","campaign":"T"}"#)
        #expect(open == Event(id: "e1", userID: "ada", time: Date(timeIntervalSince1970: 1_772_442_300),
                              payload: .interaction(Interaction(kind: .pushOpened, campaign: "T"))))
        let buy = try EventJSON.event(json: #"{"id":"e2","user_id":"bob","time":"2026-03-02T10:05:00.250+01:00","type":"purchase","product_id":"sku","price":29.9,"currency":"EUR"}"#)
        #expect(buy.payload == .purchase(productID: "sku", price: 29.9, currency: "EUR", quantity: 1))
        #expect(buy.time == Date(timeIntervalSince1970: 1_772_442_300.25))
        let custom = try EventJSON.event(json: #"{"id":"e3","user_id":"cy","time":1772442300,"type":"custom","name":"viewed","properties":{"sku":"42","n":2}}"#)
        #expect(custom.payload == .custom(name: "viewed", properties: ["sku": .string("42"), "n": .number(2)]))
        #expect(try EventJSON.event(json: #"{"id":"e4","user_id":"cy","time":0,"type":"session_start"}"#).payload == .sessionStart)
        #expect(try EventJSON.event(json: #"{"id":"e5","user_id":"cy","time":0,"type":"attributes","attributes":{"plan":"pro"}}"#).payload
                == .attributeUpdate(["plan": .string("pro")]))
    }

    @Test("a malformed event names the field and what would be right", arguments: [
        (#"{"user_id":"a","time":0,"type":"session_start"}"#, "id: is required"),
        (#"{"id":"e","user_id":"a","time":"yesterday","type":"session_start"}"#, "time: 'yesterday' is not an RFC 3339 time"),
        (#"{"id":"e","user_id":"a","time":0,"type":"interaction","kind":"push_tapped","campaign":"T"}"#, "kind: unknown interaction 'push_tapped'; expected one of: "),
        (#"{"id":"e","user_id":"a","time":0,"type":"interaction","kind":"email_alias_clicked","campaign":"T"}"#, "detail: email_alias_clicked needs the link alias"),
        (#"{"id":"e","user_id":"a","time":0,"type":"purchase","product_id":"p","price":-1,"currency":"EUR"}"#, "price: expected a number of at least 0"),
        (#"{"id":"e","user_id":"a","time":0,"type":"purchase","product_id":"p","price":1,"currency":"euro"}"#, "currency: expected an ISO 4217 code"),
        (#"{"id":"e","user_id":"a","time":0,"type":"refund"}"#, "type: unknown type 'refund'"),
        (#"{"id":"e","user_id":"a","time":0,"type":"session_start","userid":"b"}"#, "userid: unknown field"),
        (#"{"id":"e","user_id":"a","time":0,"type":"custom","name":"x","properties":[1]}"#, "properties: expected an object"),
        (#"[1]"#, "expected an object with id, user_id, time and type"),
        (#"{"id": "e""#, "not JSON (invalid JSON at byte"),
    ])
    func errors(json: String, message: String) {
        #expect {
            try EventJSON.event(json: json)
        } throws: { error in
            "\(error)".hasPrefix(message) || "\(error)".contains(message)
        }
    }
}
