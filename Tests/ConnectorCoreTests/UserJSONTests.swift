import ConnectorCore
import Foundation
import Testing

@Suite("Users from JSON")
struct UserJSONTests {
    @Test("a user document reads into the model")
    func reads() throws {
        let user = try UserJSON.user(json: #"{"id":"ada","attributes":{"plan":"pro","orders":3},"time_zone":"Europe/Berlin","addresses":{"push":"tok","email":"ada@example.com"},"subscriptions":{"email":"unsubscribed"}}"#)
        #expect(user == User(id: "ada", attributes: ["plan": .string("pro"), "orders": .number(3)], timeZone: "Europe/Berlin",
                             addresses: [.push: "tok", .email: "ada@example.com"], subscriptions: [.email: .unsubscribed]))
        #expect(try UserJSON.user(json: #"{"id":"bare"}"#) == User(id: "bare"))
    }

    @Test("a malformed user names the field", arguments: [
        (#"{"attributes":{}}"#, "id: is required"),
        (#"{"id":"a","time_zone":"Mars/Olympus"}"#, "time_zone: 'Mars/Olympus' is not an IANA time zone"),
        (#"{"id":"a","addresses":{"Pigeon!":"x"}}"#, "addresses.Pigeon!: 'Pigeon!' is not a channel name"),
        (#"{"id":"a","addresses":{"email":"nobody"}}"#, "addresses.email: 'nobody' is not an email address"),
        (#"{"id":"a","subscriptions":{"email":"maybe"}}"#, "subscriptions.email: expected opted_in, subscribed or unsubscribed"),
        (#"{"id":"a","timezone":"UTC"}"#, "timezone: unknown field"),
    ])
    func errors(json: String, message: String) {
        #expect {
            try UserJSON.user(json: json)
        } throws: { error in
            "\(error)".hasPrefix(message)
        }
    }
}
